"""The answering side shared by the Discord bot and the terminal chat: one Answerer, one build at a time.

Everything here is synchronous and may block (embedding, Chroma, BM25): the bot calls it through
`asyncio.to_thread`, the chat calls it directly. A reindex builds the next generation in a worker thread while the
live one keeps answering, then refreshes the Answerer.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from index.errors import IndexBusy, IndexMissing
from index.models import Answer

log = logging.getLogger(__name__)

Progress = Callable[[str, int, int], None]
Builder = Callable[..., Any]  # build_index(corpus_dir, db_dir, *, progress=..., full=...) -> BuildReport


def resolve_dirs(args: Any) -> tuple[Path, Path]:
    """The corpus and data folders from --corpus/--db, else the settings."""
    from index.settings import paths

    corpus = getattr(args, "corpus", None)
    db = getattr(args, "db", None)
    return (Path(corpus) if corpus else paths().corpus_dir, Path(db) if db else paths().data_dir)


def _default_builder(corpus_dir: Path, db_dir: Path, **kw: Any) -> Any:
    from index.build import build_index  # noqa: I001 (index.build may not exist yet at lint time)
    from index.embedding import get_embedder

    return build_index(corpus_dir, db_dir, embedder=get_embedder(), **kw)


def index_is_live(db_dir: Path) -> bool:
    from index.store import LiveIndex

    try:
        idx = LiveIndex.open(db_dir)
    except IndexMissing:
        return False
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


class Answers:
    """The Answerer plus what the bot needs around it: paging, name look-ups, caches, a guarded reindex."""

    def __init__(self, answerer: Any, *, corpus_dir: Path, db_dir: Path, builder: Builder | None = None) -> None:
        self.answerer = answerer
        self.corpus_dir = Path(corpus_dir)
        self.db_dir = Path(db_dir)
        self._builder = builder or _default_builder
        self._build_lock = threading.Lock()
        self._topics: list[Any] | None = None
        self._authors: list[tuple[str, int]] | None = None

    @classmethod
    def open(cls, corpus_dir: Path, db_dir: Path) -> Answers:
        from index.retrieval import Answerer

        return cls(Answerer.open(db_dir), corpus_dir=corpus_dir, db_dir=db_dir)

    def close(self) -> None:
        """Release the store (Chroma) cleanly on shutdown."""
        for obj in (self.answerer, getattr(self.answerer, "index", None)):
            close = getattr(obj, "close", None)
            if callable(close):
                try:
                    close()
                except Exception:  # shutting down: log, never mask the exit
                    log.warning("closing %s failed", type(obj).__name__, exc_info=True)

    # answers ---------------------------------------------------------------------------------------------------
    def ask(self, question: str, k: int = 5, offset: int = 0) -> Answer:
        return self.answerer.ask(question, k=k, offset=offset)

    def page(self, kind: str, query: str, k: int, offset: int) -> Answer:
        """The next quotes of an earlier answer (the "More" button, the chat's `more`)."""
        if kind == "ask":
            return self.ask(query, k=k, offset=offset)
        if kind == "topic":
            full = self.answerer.topic(query, k=offset + k)
        elif kind == "author":
            full = self.answerer.author(query)
        else:
            raise ValueError(f"unknown answer kind {kind!r}")
        quotes = list(full.quotes)[offset: offset + k]
        return Answer(question=full.question, answered=bool(quotes), quotes=quotes, mode=full.mode)

    def topic(self, name: str, k: int = 10) -> Answer:
        return self.answerer.topic(name, k=k)

    def author(self, name: str, k: int = 10) -> Answer:
        return self.page("author", name, k, 0)

    def about(self) -> dict:
        return self.answerer.about()

    def full_text(self, post_id: str, comment_id: str | None) -> Any:
        return self.answerer.full_text(post_id, comment_id)

    # look-ups (autocomplete and checking a value typed by hand) -------------------------------------------------
    def topics(self) -> list[Any]:
        if self._topics is None:
            self._topics = list(self.answerer.topics())
        return self._topics

    def authors(self) -> list[tuple[str, int]]:
        if self._authors is None:
            self._authors = sorted(self.answerer.authors(), key=lambda a: (-a[1], a[0].lower()))
        return self._authors

    def find_topic(self, value: str) -> Any | None:
        v = value.strip().lower()
        for t in self.topics():
            if v in (str(t.key).lower(), str(t.name).lower()):
                return t
        return None

    def find_author(self, value: str) -> str | None:
        v = " ".join(value.split()).lower()
        for name, _n in self.authors():
            if name.lower() == v:
                return name
        return None

    def corpus_files(self) -> list[str]:
        from index.corpus import CORPUS_SUFFIXES

        if not self.corpus_dir.is_dir():
            return []
        return sorted(p.name for p in self.corpus_dir.iterdir() if p.is_file() and p.suffix in CORPUS_SUFFIXES)

    # reindex ---------------------------------------------------------------------------------------------------
    def reindex(self, progress: Progress | None = None, full: bool = False) -> Any:
        """Build the next generation while the live one keeps answering; one build at a time."""
        if not self._build_lock.acquire(blocking=False):
            raise IndexBusy("a reindex is already running")
        try:
            report = self._builder(self.corpus_dir, self.db_dir, progress=progress, full=full)
            self.answerer.refresh()
            self._topics = None
            self._authors = None
            return report
        finally:
            self._build_lock.release()

    @property
    def building(self) -> bool:
        return self._build_lock.locked()
