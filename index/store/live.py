"""The live index, as readers use it: one generation's store and lexical index on disk, its vectors in Chroma.

Nothing here grows with the corpus in the reader's memory: records and chunks are read from the generation's
SQLite store when an answer needs them, the lexical index is memory-mapped, and vectors stay in Chroma (in this
process's memory only when Chroma is embedded). Readers never take the build lock; they read `LIVE`, then only
that generation's files, and accept only that generation's chunk ids from Chroma, so vectors a build is adding
(or a killed one left behind) are never returned.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from index.errors import IndexMissing, StoreUnavailable, UserError
from index.models import Chunk, Record
from index.settings import ChromaSettings
from index.store.chroma import chroma_client, open_collection, reset_embedded_clients, sync_embedded_clients
from index.store.failures import damaged, short, store_error, unreachable
from index.store.layout import CHROMA_DIR, GENERATIONS, check_sizes, read_live_name, read_manifest
from index.store.lexical import LexicalIndex
from index.store.records import STORE_FILE, GenerationStore

log = logging.getLogger(__name__)

LEXICAL_DIR = "lexical"
# Dense search asks Chroma for more neighbours while vectors of other generations crowd the top (after an edit,
# the previous generation's are kept; during a build, the new one's): 4x more each time, up to this many, then
# falls back to a search restricted to the generation's ids (slow on a large generation, rarely needed).
_DENSE_WIDEST = 4096


@dataclass
class _Generation:
    """One generation's files, opened lazily and together; a refresh swaps the whole object, so a reader that
    took it keeps one consistent generation for the whole of its call."""

    db_dir: Path
    name: str
    manifest: dict[str, Any]
    lock: threading.Lock = field(default_factory=threading.Lock)
    _store: GenerationStore | None = None
    _lexical: LexicalIndex | None = None

    @property
    def dir(self) -> Path:
        return self.db_dir / GENERATIONS / self.name

    @property
    def chunk_count(self) -> int:
        return int((self.manifest.get("counts") or {}).get("chunks") or 0)

    def store(self) -> GenerationStore:
        with self.lock:
            if self._store is None:
                check_sizes(self.dir, self.manifest)
                try:
                    self._store = GenerationStore(self.dir / STORE_FILE)
                except Exception as e:  # sqlite3 errors, a missing file
                    raise damaged(self.db_dir, self.name, "records and chunks", e) from None
            return self._store

    def lexical(self) -> LexicalIndex:
        with self.lock:
            if self._lexical is None:
                check_sizes(self.dir, self.manifest)
                try:
                    self._lexical = LexicalIndex(self.dir / LEXICAL_DIR)
                except Exception as e:  # numpy, json and sqlite3 raise what their readers raise
                    raise damaged(self.db_dir, self.name, "lexical index", e) from None
            return self._lexical

    def close(self) -> None:
        with self.lock:
            for part in (self._store, self._lexical):
                if part is not None:
                    part.close()
            self._store = self._lexical = None


def _read(gen: _Generation, what: str, fn: Callable[[], Any]) -> Any:
    """Run a read of a generation's files; a file that turns out damaged mid-read is a UserError with the repair."""
    try:
        return fn()
    except UserError:
        raise
    except Exception as e:  # sqlite3.DatabaseError on a damaged page, OSError
        import sqlite3

        if isinstance(e, (sqlite3.Error, OSError, ValueError)):
            raise damaged(gen.db_dir, gen.name, what, e) from None
        raise


class RecordLookup:
    """Records by key for one generation, read from its store when first asked for and then kept (up to `size`,
    least recently used first out): what the answerer needs of a question's candidates, not the corpus."""

    _MISSING = object()

    def __init__(self, gen: _Generation, size: int = 20_000) -> None:
        self._gen = gen
        self._size = size
        self._lock = threading.Lock()
        self._cache: OrderedDict[tuple[str, str | None], Any] = OrderedDict()

    def _entry(self, key: tuple[str, str | None]) -> Any:
        with self._lock:
            got = self._cache.get(key)
            if got is not None:
                self._cache.move_to_end(key)
                return got
        got = _read(self._gen, "records", lambda: self._gen.store().record_and_row(*key)) or self._MISSING
        with self._lock:
            self._cache[key] = got
            if len(self._cache) > self._size:
                self._cache.popitem(last=False)
        return got

    def prefetch(self, keys: list[tuple[str, str | None]]) -> None:
        """Read the records of these keys not yet kept, in one go (a question's candidates: one statement instead
        of one per record)."""
        with self._lock:
            todo = list(dict.fromkeys(k for k in keys if k not in self._cache))
        if not todo:
            return
        got = _read(self._gen, "records", lambda: self._gen.store().records_and_rows(todo))
        with self._lock:
            for key in todo:
                self._cache[key] = got.get(key, self._MISSING)
                self._cache.move_to_end(key)
            while len(self._cache) > self._size:
                self._cache.popitem(last=False)

    def get(self, key: tuple[str, str | None], default: Any = None) -> Record | Any:
        got = self._entry(key)
        return default if got is self._MISSING else got[0]

    def row(self, key: tuple[str, str | None]) -> int | None:
        """The record's position in corpus order (0-based), or None when the generation has no such record."""
        got = self._entry(key)
        return None if got is self._MISSING else got[1]

    def __contains__(self, key: object) -> bool:
        return isinstance(key, tuple) and self._entry(key) is not self._MISSING  # type: ignore[arg-type]

    def __len__(self) -> int:
        return int((self._gen.manifest.get("counts") or {}).get("records") or 0)


class LiveIndex:
    """What readers use: the live generation's chunks, records, lexical index and (lazily) its Chroma collection."""

    def __init__(self, db_dir: Path, generation: str, manifest: dict[str, Any],
                 chroma: ChromaSettings | None = None) -> None:
        self.db_dir = Path(db_dir)
        self._chroma_settings = chroma
        self._lock = threading.RLock()
        self._gen = _Generation(self.db_dir, generation, manifest)
        self._collection: Any = None
        self._connecting: Future | None = None

    @classmethod
    def open(cls, db_dir: Path, chroma: ChromaSettings | None = None) -> LiveIndex:
        """The live generation of `db_dir`; `IndexMissing` when nothing was built there yet. Reads only the pointer
        and the manifest: the data files open on first use."""
        db_dir = Path(db_dir)
        if db_dir.exists() and not db_dir.is_dir():
            raise UserError(f"the data folder {db_dir} is a file, not a folder; pass --db DIR")
        for attempt in range(2):  # a build may swap and prune between reading LIVE and the manifest
            name = read_live_name(db_dir)
            if name is None:
                raise IndexMissing(f"no index in {db_dir} yet; run `adoptbot index build` first")
            try:
                return cls(db_dir, name, read_manifest(db_dir / GENERATIONS / name), chroma)
            except UserError:
                if attempt == 1 or read_live_name(db_dir) == name:
                    raise
        raise AssertionError("unreachable")

    # -- the generation ---------------------------------------------------------------------------------------

    @property
    def generation(self) -> str:
        return self._gen.name

    @property
    def manifest(self) -> dict[str, Any]:
        return self._gen.manifest

    @property
    def generation_dir(self) -> Path:
        return self._gen.dir

    def _current(self) -> _Generation:
        with self._lock:
            return self._gen

    def store(self) -> GenerationStore:
        """The live generation's records and chunks (opened on first use)."""
        return self._current().store()

    def record_lookup(self) -> RecordLookup:
        """Records by key (and their rows) of the current generation, read on demand: what an answerer keeps per
        generation instead of every record."""
        return RecordLookup(self._current())

    def stats(self) -> dict[str, Any]:
        """Counts and the date range (for /about) without reading every record: from the manifest when the build
        recorded them there, else from the store."""
        gen = self._current()
        counts = dict(gen.manifest.get("counts") or {})
        dates = gen.manifest.get("dates")
        if dates is None:
            got = _read(gen, "records", lambda: gen.store().stats())
            dates = {"first": got["first_date"], "last": got["last_date"]}
            counts.setdefault("posts", got["posts"])
            counts.setdefault("comments", got["comments"])
        return {**counts, "first_date": dates.get("first"), "last_date": dates.get("last")}

    def people(self) -> Any:
        """The people of the current generation (index.people.People), read from its store."""
        from index.people import People

        gen = self._current()
        return _read(gen, "records", lambda: People.from_store(gen.store()))

    def record(self, post_id: str, comment_id: str | None) -> Record | None:
        gen = self._current()
        return _read(gen, "records", lambda: gen.store().record(post_id, comment_id))

    def iter_records(self) -> Iterator[Record]:
        """Every record in corpus order, read in batches (never all of them at once)."""
        gen = self._current()
        yield from _read(gen, "records", lambda: gen.store().iter_records())

    def records(self) -> list[Record]:
        """Every record, as a list: for small indexes and tests; large ones use iter_records()."""
        gen = self._current()
        return _read(gen, "records", lambda: list(gen.store().iter_records()))

    def chunk(self, chunk_id: str) -> Chunk | None:
        gen = self._current()
        return _read(gen, "chunks", lambda: gen.store().chunks_by_id([chunk_id]).get(chunk_id))

    def iter_chunks(self) -> Iterator[Chunk]:
        gen = self._current()
        yield from _read(gen, "chunks", lambda: gen.store().iter_chunks())

    def chunks(self) -> list[Chunk]:
        """Every chunk, in order, as a list: for small indexes and tests; large ones use iter_chunks()."""
        gen = self._current()
        return _read(gen, "chunks", lambda: list(gen.store().iter_chunks()))

    # -- lexical ----------------------------------------------------------------------------------------------

    def lexical(self, query: str, k: int) -> list[tuple[Chunk, float]]:
        """BM25 over the generation's chunks, best first; only chunks sharing a word with the query."""
        gen = self._current()  # one generation's lexical index and chunks: a refresh() cannot land in between
        if k <= 0 or gen.chunk_count == 0:
            return []

        def run() -> list[tuple[Chunk, float]]:
            hits = gen.lexical().top(query, k)
            found = gen.store().chunks_at([p for p, _ in hits])
            return [(found[p], s) for p, s in hits if p in found]

        return _read(gen, "lexical index", run)

    # -- dense ------------------------------------------------------------------------------------------------

    def dense(self, query_vec: np.ndarray, k: int) -> list[tuple[Chunk, float]]:
        """Cosine similarity against the generation's chunks only, best first."""
        gen = self._current()
        n = min(k, gen.chunk_count)
        if n <= 0:
            return []
        q = np.asarray(query_vec, dtype=np.float32).reshape(-1).tolist()
        ask = n
        while True:
            res = self.call(lambda coll, ask=ask: coll.query(query_embeddings=[q], n_results=ask,
                                                             include=["distances"]))
            ids, dists = res["ids"][0], res["distances"][0]
            found = _read(gen, "chunks", lambda ids=ids: gen.store().chunks_by_id(ids))
            out = [(found[i], 1.0 - float(d)) for i, d in zip(ids, dists, strict=True) if i in found]
            # enough of this generation's, or the collection has nothing more to give
            if len(out) >= n or len(ids) < ask:
                return out[:n]
            if ask >= _DENSE_WIDEST:
                break
            ask = min(ask * 4, _DENSE_WIDEST)
        log.info("dense search: other generations' vectors crowd the top %d; searching this generation's ids", ask)
        ids = [i for part in _read(gen, "chunks", lambda: list(gen.store().iter_chunk_ids())) for i in part]
        res = self.call(lambda coll: coll.query(query_embeddings=[q], ids=ids, n_results=n, include=["distances"]))
        found = _read(gen, "chunks", lambda: gen.store().chunks_by_id(res["ids"][0]))
        return [(found[i], 1.0 - float(d)) for i, d in zip(res["ids"][0], res["distances"][0], strict=True)
                if i in found]

    def collection(self) -> Any:
        """The live collection, connecting once for every thread that asks at the same time.

        Single flight: while one connection attempt is under way, other callers wait for its result instead of
        each making their own (a hung server used to make questions in flight wait one timeout each, in turn).
        Against a server the attempt runs in its own thread and callers stop waiting after a deadline, because
        chromadb's HttpClient constructor calls the server with no timeout at all."""
        with self._lock:
            if self._collection is not None:
                return self._collection
            fut = self._connecting
            first = fut is None
            if fut is None:
                fut = self._connecting = Future()
        cfg = self._chroma_settings or ChromaSettings()
        if not cfg.host:
            if first:
                self._connect(fut)
            return fut.result()
        if first:
            threading.Thread(target=self._connect, args=(fut,), name="adoptbot-chroma-connect", daemon=True).start()
        try:
            return fut.result(timeout=2 * cfg.timeout_s + 1)
        except FutureTimeout:
            raise StoreUnavailable(f"the Chroma server at {cfg.host}:{cfg.port} did not answer within "
                                   f"{2 * cfg.timeout_s + 1:g} s; try again shortly") from None

    def _connect(self, fut: Future) -> None:
        manifest = self._current().manifest
        try:
            client = chroma_client(self.db_dir, self._chroma_settings)
            try:
                coll = open_collection(client, manifest["collection"], manifest["model"], manifest["chunking"],
                                       create=False)
            except Exception as e:
                raise e if isinstance(e, UserError) else self._missing_collection(e) from None
        except BaseException as e:  # every waiter gets the same error; the next caller tries again
            with self._lock:
                if self._connecting is fut:
                    self._connecting = None
            fut.set_exception(e)
            return
        with self._lock:
            if self._connecting is fut:  # not reset meanwhile (a refresh to another generation)
                self._collection, self._connecting = coll, None
        fut.set_result(coll)

    def _missing_collection(self, e: Exception) -> UserError:
        cfg = self._chroma_settings or ChromaSettings()
        name = self.manifest.get("collection")
        if cfg.host and (type(e).__name__ == "NotFoundError" or "does not exist" in str(e)):
            # reachable, but empty (a new server, or one that lost its volume): the cache rebuilds it without
            # embedding anything again
            return IndexMissing(f"the Chroma server at {cfg.host}:{cfg.port} holds no vectors for the live index "
                                f"({name}); run `adoptbot index build` to put them there")
        if cfg.host:
            return store_error(e, self._chroma_settings)
        return UserError(f"the vectors of the live index ({name}) are missing from {self.db_dir / CHROMA_DIR}; "
                         "run `adoptbot index build --full`")

    def _reset_collection(self, sync_only: bool = False) -> None:
        """Drop the collection handle; embedded, also the cached clients (all of them, or only when another
        process wrote since: `sync_only`, after a new generation went live)."""
        with self._lock:
            self._collection = None
            self._connecting = None
            if not (self._chroma_settings or ChromaSettings()).host:
                if sync_only:
                    sync_embedded_clients(self.db_dir)
                else:
                    reset_embedded_clients()

    def call(self, fn: Callable[[Any], Any]) -> Any:
        """Run `fn(collection)`; once more on a fresh client if it fails (embedded Chroma caches its index per
        process, so vectors another process wrote make a stale reader fail), then map the error to one line.

        A server that timed out or refused the connection is not asked again at once: a retry would only double
        the caller's wait. The collection is reopened on the next call."""
        for attempt in range(2):
            try:
                return fn(self.collection())
            except UserError:
                raise
            except Exception as e:
                lost = unreachable(e)
                if attempt == 1 and not lost:
                    raise store_error(e, self._chroma_settings) from None
                # a fresh client for the retry, or for the next call after a transport failure; not once more
                # after a failed retry (each reset of embedded clients costs memory chromadb keeps)
                self._reset_collection()
                if lost:
                    raise store_error(e, self._chroma_settings) from None
                log.info("Chroma call failed (%s); reopening the collection", short(e))
        raise AssertionError("unreachable")

    def vectors(self) -> tuple[list[str], np.ndarray]:
        """The generation's chunk ids (in order) and their vectors, shape (n, dim): every vector at once, for
        small indexes and tests (a build gets them batch by batch instead)."""
        gen = self._current()
        ids = [i for part in _read(gen, "chunks", lambda: list(gen.store().iter_chunk_ids())) for i in part]
        dim = int(gen.manifest.get("dim") or 0)
        out = np.zeros((len(ids), dim), dtype=np.float32)
        row = {i: n for n, i in enumerate(ids)}
        seen = 0
        for s in range(0, len(ids), 2000):
            part = ids[s : s + 2000]
            res = self.call(lambda coll, part=part: coll.get(ids=part, include=["embeddings"]))
            for i, v in zip(res["ids"], res["embeddings"], strict=True):
                out[row[i]] = v
                seen += 1
        if seen < len(ids):
            raise UserError(f"{len(ids) - seen} chunk vectors of the live index are missing from Chroma; run "
                            "`adoptbot index build --full`")
        return ids, out

    def refresh(self) -> bool:
        """Re-read the pointer; True (and everything reloaded lazily) when a newer generation went live."""
        name = read_live_name(self.db_dir)
        if name is None or name == self.generation:
            return False
        fresh = LiveIndex.open(self.db_dir, self._chroma_settings)
        with self._lock:
            # the old generation's files close when the last reader using them lets go (not here: a question may
            # still be reading them, and a pruned generation's open files stay readable)
            self._gen = fresh._gen
        # Embedded Chroma caches its HNSW index per process: a generation another process built would otherwise
        # answer unfiltered queries from the stale in-memory index without any error.
        self._reset_collection(sync_only=True)
        return True

    def close(self) -> None:
        """Close the generation's files (the bot's shutdown)."""
        self._current().close()
