"""The answering side shared by the Discord bot and the terminal chat: one Answerer, one build at a time.

Everything here is synchronous and may block (embedding, Chroma, BM25): the bot calls it through
`asyncio.to_thread`, the chat calls it directly. A reindex builds the next generation in a worker thread while the
live one keeps answering, then refreshes the Answerer.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from index.errors import IndexBusy, IndexMissing, StoreUnavailable
from index.models import Answer
from index.names import Resolved

log = logging.getLogger(__name__)

Progress = Callable[[str, int, int], None]
Builder = Callable[..., Any]  # build_index(corpus_dir, db_dir, *, progress=..., full=...) -> BuildReport


def resolve_dirs(args: Any) -> tuple[Path, Path]:
    """The corpus and data folders from --corpus/--db, else the settings."""
    from index.settings import paths

    corpus = getattr(args, "corpus", None)
    db = getattr(args, "db", None)
    return (Path(corpus) if corpus else paths().corpus_dir, Path(db) if db else paths().data_dir)


def _default_builder(corpus_dir: Path, db_dir: Path, *, yield_to: Callable[[], bool] | None = None,
                     **kw: Any) -> Any:
    from index.build import build_index
    from index.embedding import get_embedder

    return build_index(corpus_dir, db_dir, embedder=BatchByBatch(get_embedder(), yield_to=yield_to), **kw)


class BatchByBatch:
    """The shared embedder as a reindex sees it: a few texts per call, and questions first between calls.

    Questions embed with the same model, behind the same lock. A build asking for hundreds of texts in one call held
    that lock for the whole call: 9-11 s answers during a 300-comment reindex (bench/soak.py). Here a build embeds
    `per_call` texts at a time and, between calls, waits (at most `max_wait_s`) while `yield_to()` says questions
    are being answered: a question waits for one small call at most, and a reindex under load still progresses."""

    def __init__(self, inner: Any, *, yield_to: Callable[[], bool] | None = None, per_call: int = 32,
                 max_wait_s: float = 1.0) -> None:
        self._inner = inner
        self._yield_to = yield_to or (lambda: False)
        self._per_call = per_call
        self._max_wait_s = max_wait_s

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def embed(self, texts: list[str]) -> Any:
        import numpy as np

        parts = []
        for i in range(0, len(texts), self._per_call):
            deadline = time.monotonic() + self._max_wait_s
            while self._yield_to() and time.monotonic() < deadline:
                time.sleep(0.01)
            parts.append(self._inner.embed(texts[i: i + self._per_call]))
        if not parts:
            return self._inner.embed(texts)
        return np.concatenate(parts)


def index_is_live(db_dir: Path) -> bool:
    from index.store import LiveIndex

    try:
        idx = LiveIndex.open(db_dir)
    except IndexMissing:
        return False
    try:
        idx.collection()  # the vectors too: a Chroma server may be new or have lost its volume
    except IndexMissing:
        return False
    finally:
        close = getattr(idx, "close", None)
        if callable(close):
            close()
    return True


def ensure_index(corpus_dir: Path, db_dir: Path, say: Callable[[str], None] | None = None,
                 builder: Builder | None = None) -> bool:
    """Build the index first when none is live (a fresh machine); True when it built one."""
    if index_is_live(db_dir):
        return False
    if say:
        say("building")
    log.info("no live index in %s: building from %s", db_dir, corpus_dir)
    (builder or _default_builder)(corpus_dir, db_dir)
    return True


class ReadWriteLock:
    """Many readers (questions) or one writer (a refresh to a new generation); a waiting writer goes first, so a
    steady stream of questions cannot starve a reindex. Not re-entrant: take it once per call."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._readers = 0
        self._writer = False
        self._writers_waiting = 0

    @property
    def readers(self) -> int:
        """Calls reading now (questions being answered): a reindex's embedding gives way to them."""
        return self._readers

    @contextmanager
    def read(self) -> Iterator[None]:
        with self._cond:
            while self._writer or self._writers_waiting:
                self._cond.wait()
            self._readers += 1
        try:
            yield
        finally:
            with self._cond:
                self._readers -= 1
                if not self._readers:
                    self._cond.notify_all()

    @contextmanager
    def write(self) -> Iterator[None]:
        with self._cond:
            self._writers_waiting += 1
            while self._writer or self._readers:
                self._cond.wait()
            self._writers_waiting -= 1
            self._writer = True
        try:
            yield
        finally:
            with self._cond:
                self._writer = False
                self._cond.notify_all()


class Answers:
    """The look-up API (index/lookup.py) as a bot runs it: every read under the shared side of a lock that a reindex
    takes to swap generations, a pause after the store failed, and one build at a time."""

    def __init__(self, lookup: Any, *, corpus_dir: Path, db_dir: Path, builder: Builder | None = None) -> None:
        from index.lookup import Lookup

        self.lookup: Lookup = lookup if isinstance(lookup, Lookup) else Lookup(lookup)  # an Answerer: wrapped
        self.corpus_dir = Path(corpus_dir)
        self.db_dir = Path(db_dir)
        self._builder = builder or functools.partial(_default_builder, yield_to=lambda: self._rw.readers > 0)
        self._build_lock = threading.Lock()
        self._topics: list[Any] | None = None
        self._rw = ReadWriteLock()
        self._store_down_until = 0.0
        self.store_retry_s = 5.0

    @classmethod
    def open(cls, corpus_dir: Path, db_dir: Path) -> Answers:
        from index.lookup import Lookup

        return cls(Lookup.open(db_dir), corpus_dir=corpus_dir, db_dir=db_dir)

    @property
    def answerer(self) -> Any:
        return self.lookup.answerer

    def close(self) -> None:
        """Release the store (Chroma) cleanly on shutdown."""
        try:
            self.lookup.close()
        except Exception:  # shutting down: log, never mask the exit
            log.warning("closing the index failed", exc_info=True)

    # reads -----------------------------------------------------------------------------------------------------
    # Every read holds the shared side of `_rw` and a reindex swaps in the new generation under the exclusive side:
    # LiveIndex.refresh() drops the chunk tables a concurrent dense()/lexical() is still reading, so a question
    # overlapping a refresh failed ("'NoneType' is not iterable") or took a chunk of the wrong generation.
    def ask(self, question: str, k: int = 5, *, offset: int = 0, exclude: Collection[Any] = (),
            context: Sequence[str] = ()) -> Answer:
        with self._rw.read(), self._store():
            return self.lookup.ask(question, k, offset=offset, exclude=exclude, context=context)

    def page(self, kind: str, query: str, k: int, offset: int = 0, *, exclude: Collection[Any] = (),
             context: Sequence[str] = ()) -> Answer:
        """The next quotes of an earlier answer (the "More" button, the chat's `more`)."""
        with self._rw.read(), self._store():
            return self.lookup.page(kind, query, k, offset, exclude=exclude, context=context)

    def converse(self, conversation: Any, question: str | None, k: int = 5, turn: int | None = None) -> Answer | None:
        """A question of a conversation (index/conversation.py), or, when `question` is None, the next quotes of
        one of its turns (the latest by default)."""
        with self._rw.read(), self._store():
            if question is None:
                return conversation.more(self.lookup, k, turn)
            return conversation.ask(self.lookup, question, k)

    @contextmanager
    def _store(self) -> Iterator[None]:
        """A store (Chroma server) that just failed is not asked again for `store_retry_s`: questions meanwhile
        get StoreUnavailable at once instead of each waiting for its own timeout (a hung server made questions
        queue for 2 x CHROMA_TIMEOUT_S each); the first question after the pause tries again."""
        if time.monotonic() < self._store_down_until:
            raise StoreUnavailable("the index store failed a moment ago; not asking it again yet")
        try:
            yield
        except StoreUnavailable:
            self._store_down_until = time.monotonic() + self.store_retry_s
            raise

    def topic(self, name: str, k: int = 10) -> Answer:
        with self._rw.read(), self._store():
            return self.lookup.topic(name, k)

    def author(self, name: str, k: int = 10) -> Answer:
        with self._rw.read(), self._store():
            return self.lookup.author(name, k)

    def about(self) -> dict:
        with self._rw.read():
            return self.lookup.about()

    def full_text(self, post_id: str, comment_id: str | None) -> Any:
        with self._rw.read():
            return self.lookup.full_text(post_id, comment_id)

    # look-ups (autocomplete and checking a value typed by hand) -------------------------------------------------
    def topics(self) -> list[Any]:
        topics = self._topics  # one read: a reindex may reset the cache meanwhile
        if topics is None:
            with self._rw.read():
                topics = self._topics = list(self.lookup.topics())
        return topics

    def authors(self) -> list[tuple[str, int]]:
        with self._rw.read():
            return self.lookup.authors()

    def find_topic(self, value: str) -> tuple[Any | None, Resolved]:
        with self._rw.read():
            return self.lookup.find_topic(value)

    def find_author(self, value: str) -> Resolved:
        with self._rw.read():
            return self.lookup.find_author(value)

    # reindex ---------------------------------------------------------------------------------------------------
    def reindex(self, progress: Progress | None = None, full: bool = False) -> Any:
        """Build the next generation while the live one keeps answering; one build at a time."""
        if not self._build_lock.acquire(blocking=False):
            raise IndexBusy("a reindex is already running")
        try:
            report = self._builder(self.corpus_dir, self.db_dir, progress=progress, full=full)
            with self._rw.write():  # waits for the questions in flight; new ones wait for the swap
                self.lookup.refresh()
                self._topics = None
            return report
        finally:
            self._build_lock.release()

    def follow_live(self) -> bool:
        """Swap to a generation another process made live (`adoptbot index build` from a terminal, a second bot):
        True when it did. Cheap when nothing changed: one small file read."""
        from index.store import read_live_name

        index = getattr(self.lookup, "index", None)
        current = getattr(index, "generation", None)
        if self.building or current is None or read_live_name(self.db_dir) in (None, current):
            return False
        with self._rw.write():
            changed = bool(self.lookup.refresh())
            self._topics = None
        if changed:
            log.info("a newer index went live (%s): now answering from it", getattr(index, "generation", "?"))
        return changed

    @property
    def building(self) -> bool:
        return self._build_lock.locked()
