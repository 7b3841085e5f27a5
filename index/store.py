"""The index on disk: generations behind one atomic pointer, vectors in Chroma, BM25 next to them.

Layout of the data folder (`--db`):

    LIVE                      name of the live generation (replaced with os.replace: readers see old or new)
    generations/<n>/          manifest.json, records.jsonl, chunks.jsonl, bm25/, topics.json: one snapshot
    chroma/                   embedded Chroma (unused when CHROMA_HOST points at a server)
    chroma.writer             which process last wrote to embedded Chroma (readers reload only after another one did)
    embeddings.sqlite         content-hash -> vector cache, per model identity (only new text is embedded)
    instance_id               names this folder's collections (several folders may share one Chroma server)
    .build.lock               one writer at a time (fcntl; released by the kernel if the writer dies)

Why generations: a build adds its new vectors to the collection first (invisible: readers only accept the chunk
ids of their generation's manifest), writes a complete new generation, then swaps `LIVE`. A build killed at any
point leaves the old generation live; the next build deletes what the dead one left behind.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import json
import logging
import os
import re
import shutil
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from index.errors import IndexBusy, IndexMissing, StoreUnavailable, UserError
from index.models import Chunk, Record
from index.settings import ChromaSettings

log = logging.getLogger(__name__)

FORMAT = 1
LIVE = "LIVE"
GENERATIONS = "generations"
CHROMA_DIR = "chroma"
CACHE_DB = "embeddings.sqlite"
LOCK_FILE = ".build.lock"
INSTANCE_FILE = "instance_id"
WRITER_FILE = "chroma.writer"
BM25_DIR = "bm25"


# --- small file helpers ---------------------------------------------------------------------------------------


def fsync_dir(path: Path) -> None:
    """Make a rename durable: a pointer swap is only atomic on disk once its directory entry is synced."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_atomic(path: Path, data: str) -> None:
    """Write a file so that readers see the old content or the new one, never half of it."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    fsync_dir(path.parent)


def disk_error(e: OSError, db_dir: Path) -> UserError:
    """One clear line for the OS errors a build can meet on the data folder; it says the old index still serves only
    when there is one (a first build into an unwritable folder has none)."""
    try:
        live = read_live_name(db_dir) is not None
    except UserError:
        live = False
    still = "the previous index is still live" if live else "no index was built there yet"
    if e.errno == errno.ENOSPC:
        return UserError(f"disk full while writing the index in {db_dir}; free some space and run the build "
                         f"again ({still})")
    if e.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        who = f"uid {os.getuid()}" if hasattr(os, "getuid") else "this user"
        return UserError(f"cannot write to the data folder {db_dir} ({e.strerror}); make it writable for {who} "
                         f"or pass --db DIR ({still})")
    return UserError(f"cannot write the index in {db_dir}: {e}; {still}")


def read_live_name(db_dir: Path) -> str | None:
    """The live generation's name, or None when nothing was ever built here."""
    try:
        name = (Path(db_dir) / LIVE).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    except OSError as e:
        raise UserError(f"cannot read the index pointer {Path(db_dir) / LIVE}: {e}") from None
    return name or None


def generation_dirs(db_dir: Path) -> list[Path]:
    root = Path(db_dir) / GENERATIONS
    if not root.is_dir():
        return []
    return sorted(p for p in root.iterdir() if p.is_dir())


def next_generation_name(db_dir: Path) -> str:
    nums = [int(p.name) for p in generation_dirs(db_dir) if p.name.isdigit()]
    live = read_live_name(db_dir)
    if live and live.isdigit():
        nums.append(int(live))
    return f"{max(nums, default=0) + 1:06d}"


def read_manifest(gen_dir: Path) -> dict[str, Any]:
    try:
        m = json.loads((gen_dir / "manifest.json").read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UserError(f"the index in {gen_dir.parent.parent} is damaged: generation {gen_dir.name} has no "
                        "manifest; run `adoptbot index build` to rebuild it") from None
    except (OSError, ValueError) as e:
        raise UserError(f"the index in {gen_dir.parent.parent} is damaged: {gen_dir / 'manifest.json'} is "
                        f"unreadable ({e}); run `adoptbot index build` to rebuild it") from None
    if not isinstance(m, dict) or m.get("format") != FORMAT:
        raise UserError(f"the index in {gen_dir.parent.parent} has an unknown format; run `adoptbot index build` "
                        "to rebuild it")
    return m


_INSTANCE_RE = re.compile(r"[0-9a-f]{10}")
_COLLECTION_RE = re.compile(r"adoptbot-([0-9a-f]{10})-[0-9a-f]{16}")


def instance_id(db_dir: Path) -> str:
    """A random id per data folder, created once: it keeps folders apart on a shared Chroma server.

    A missing or damaged file is recovered from the generations' manifests (they record the collection they use),
    so the folder keeps its collections instead of starting a new one and orphaning the old vectors."""
    p = Path(db_dir) / INSTANCE_FILE
    try:
        v = p.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        v = ""
    except (OSError, UnicodeDecodeError) as e:
        log.warning("cannot read %s (%s); recovering it", p, e)
        v = ""
    if _INSTANCE_RE.fullmatch(v):
        return v
    recovered = _instance_from_manifests(Path(db_dir))
    if v or recovered:
        log.warning("%s was %s; %s", p, "damaged" if v else "missing",
                    f"recovered {recovered} from the index's manifests" if recovered else "starting a new one")
    v = recovered or uuid.uuid4().hex[:10]
    write_atomic(p, v + "\n")
    return v


def _instance_from_manifests(db_dir: Path) -> str | None:
    """The instance part of the collection the live generation (else the newest readable one) uses."""
    live = None
    try:
        live = read_live_name(db_dir)
    except UserError:
        pass
    dirs = generation_dirs(db_dir)
    ordered = [d for d in dirs if d.name == live] + sorted((d for d in dirs if d.name != live), reverse=True)
    for d in ordered:
        try:
            m = read_manifest(d)
        except UserError:
            continue
        found = _COLLECTION_RE.fullmatch(str(m.get("collection", "")))
        if found:
            return found.group(1)
    return None


def chunking_key(chunking: dict[str, Any]) -> str:
    return json.dumps(chunking, sort_keys=True, separators=(",", ":"))


def collection_name(instance: str, model: str, chunking: dict[str, Any]) -> str:
    """One collection per (data folder, model identity, chunking): different models never share vectors."""
    h = hashlib.sha1(f"{model}\n{chunking_key(chunking)}".encode()).hexdigest()[:16]
    return f"adoptbot-{instance}-{h}"


# --- the writer lock ------------------------------------------------------------------------------------------


@contextmanager
def build_lock(db_dir: Path) -> Iterator[None]:
    """One writer at a time; readers never take it. The kernel releases it when the holder dies (even SIGKILL)."""
    path = Path(db_dir) / LOCK_FILE
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            try:
                pid = os.pread(fd, 32, 0).decode().strip() or "?"
            except OSError:
                pid = "?"
            raise IndexBusy(f"another build is running (pid {pid}) on {db_dir}; wait for it to finish (the live "
                            "index keeps answering meanwhile)") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield
    finally:
        os.close(fd)  # closing drops the flock


# --- Chroma ---------------------------------------------------------------------------------------------------


def _chroma_settings() -> Any:
    from chromadb.config import Settings

    return Settings(anonymized_telemetry=False, allow_reset=False)


def chroma_client(db_dir: Path, settings: ChromaSettings | None = None) -> Any:
    """Embedded PersistentClient in <db>/chroma, or an HttpClient when CHROMA_HOST is set: same API after this."""
    settings = settings or ChromaSettings()
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    import chromadb

    if settings.host:
        where = f"{'https' if settings.ssl else 'http'}://{settings.host}:{settings.port}"
        try:
            _probe(where, settings.timeout_s)  # HttpClient's constructor already calls the server, with no timeout
            client = chromadb.HttpClient(host=settings.host, port=settings.port, ssl=settings.ssl,
                                         settings=_chroma_settings())
            _set_http_timeout(client, settings.timeout_s)
            client.heartbeat()
        except Exception as e:  # connection refused, DNS, timeout, TLS: all mean "not reachable now"
            raise StoreUnavailable(f"the Chroma server at {where} cannot be reached ({_short(e)}); start it or "
                                   "unset CHROMA_HOST to use the embedded store") from None
        return client
    path = Path(db_dir) / CHROMA_DIR
    try:
        with _EMBEDDED_LOCK:
            # what this process's clients of the folder are current with, from the first time it opens one
            _seen_stamps.setdefault(str(Path(db_dir).resolve()), _read_stamp(db_dir))
            return chromadb.PersistentClient(path=str(path), settings=_chroma_settings())
    except Exception as e:
        raise UserError(f"the Chroma store in {path} cannot be opened ({_short(e)}); if it is damaged, move it "
                        "away and run `adoptbot index build` (vectors come back from the embedding cache)") from None


def _probe(base_url: str, seconds: float) -> None:
    import httpx

    httpx.get(f"{base_url}/api/v2/heartbeat", timeout=seconds).raise_for_status()


def _set_http_timeout(client: Any, seconds: float) -> None:
    """chromadb's HttpClient waits forever by default; a slow server must become a clear error instead."""
    try:
        import httpx

        session = client._server._session  # private, but the only handle on the timeout
        session.timeout = httpx.Timeout(seconds)
    except Exception:  # pragma: no cover - a newer chromadb moved it; keep working without the timeout
        log.debug("could not set the Chroma HTTP timeout")


# chromadb's SharedSystemClient cache is not thread-safe: creating and clearing embedded clients from several threads
# of one process (questions racing the bot's in-process /reindex) broke clients mid-creation.
_EMBEDDED_LOCK = threading.RLock()

# Embedded Chroma keeps each collection's HNSW index in this process's memory, so vectors another process wrote stay
# invisible until the cached clients are dropped. Dropping them costs native memory that chromadb never gives back
# (~2 MB each time), which made a bot that reindexes in-process grow with every build. So: every writer stamps the
# data folder (WRITER_FILE) before and after it writes, and clients are dropped only when the stamp shows another
# process wrote since this one last looked. Writes from this process are seen at once: its clients share one system.
_PROCESS_TOKEN = f"{os.getpid()}.{uuid.uuid4().hex[:8]}"
_seen_stamps: dict[str, str] = {}
# Systems dropped from the cache are stopped (which frees their memory) once nothing can still be using them: a
# question holds one for milliseconds, a build of this process for as long as it runs.
_RETIRE_AFTER_S = 60.0
_retired: list[tuple[float, Any]] = []
_builds_running = 0


@contextmanager
def embedded_build() -> Iterator[None]:
    """Mark a build of this process as running: no retired Chroma system is stopped under it meanwhile."""
    global _builds_running
    with _EMBEDDED_LOCK:
        _builds_running += 1
    try:
        yield
    finally:
        with _EMBEDDED_LOCK:
            _builds_running -= 1


def _stamp_path(db_dir: Path) -> Path:
    return Path(db_dir) / WRITER_FILE


def _read_stamp(db_dir: Path) -> str:
    try:
        return _stamp_path(db_dir).read_text(encoding="utf-8", errors="replace").strip()
    except OSError:
        return ""


def mark_embedded_write(db_dir: Path, phase: str) -> None:
    """Stamp the data folder as written by this process (`phase`: "begin" before the first write, "end" after)."""
    value = f"{_PROCESS_TOKEN} {phase} {time.time_ns()}"
    with _EMBEDDED_LOCK:
        write_atomic(_stamp_path(db_dir), value + "\n")
        _seen_stamps[str(Path(db_dir).resolve())] = value


def trim_heap() -> None:
    """Give freed heap pages back to the OS (glibc only). A build allocates and frees hundreds of MB; without this
    a long-running bot that reindexes keeps them mapped and its RSS creeps up with every build."""
    global _malloc_trim
    if _malloc_trim is None:
        try:
            import ctypes

            _malloc_trim = ctypes.CDLL("libc.so.6").malloc_trim
        except (OSError, AttributeError):  # musl, macOS: nothing to do
            _malloc_trim = False
    if _malloc_trim:
        _malloc_trim(0)


_malloc_trim: Any = None


def embedded_write_begun(db_dir: Path) -> bool:
    """True when the last stamp is this process's "begin": a write is under way and needs its "end"."""
    return _read_stamp(db_dir).startswith(f"{_PROCESS_TOKEN} begin ")


def sync_embedded_clients(db_dir: Path) -> bool:
    """Drop the cached embedded clients if another process wrote to `db_dir` since this one looked; True if so."""
    key = str(Path(db_dir).resolve())
    with _EMBEDDED_LOCK:
        now = _read_stamp(db_dir)
        seen = _seen_stamps.get(key)
        _seen_stamps[key] = now
        if seen is None or now == seen or now.startswith(_PROCESS_TOKEN + " "):
            # never opened here (nothing cached can be stale), unchanged, or our own write
            return False
        log.debug("another process wrote to %s; reloading embedded Chroma", db_dir)
        reset_embedded_clients()
        return True


def reset_embedded_clients() -> None:
    """Forget cached embedded Chroma systems: another process may have written vectors this one has not loaded."""
    with _EMBEDDED_LOCK:
        try:
            from chromadb.api.client import SharedSystemClient

            systems = list(SharedSystemClient._identifier_to_system.values())
            SharedSystemClient.clear_system_cache()
        except Exception:  # pragma: no cover
            log.debug("could not reset the Chroma system cache")
            return
        now = time.monotonic()
        keep = []
        for t, system in _retired:
            if now - t < _RETIRE_AFTER_S or _builds_running:
                keep.append((t, system))
                continue
            try:
                system.stop()
            except Exception as e:  # pragma: no cover - a system that is already half gone
                log.debug("stopping a retired Chroma system failed: %s", e)
        _retired[:] = keep + [(now, system) for system in systems]


def _unreachable(e: BaseException) -> bool:
    """A transport failure (timeout, refused, reset): the server is not answering, asking again will not help."""
    try:
        import httpx
    except ImportError:  # pragma: no cover
        return isinstance(e, (ConnectionError, TimeoutError))
    return isinstance(e, (httpx.TransportError, ConnectionError, TimeoutError))


def _short(e: BaseException) -> str:
    s = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
    return s[:200]


def store_error(e: Exception, settings: ChromaSettings | None = None) -> UserError:
    """Map a Chroma failure to one actionable line (StoreUnavailable for a server that stopped answering)."""
    if isinstance(e, UserError):
        return e
    settings = settings or ChromaSettings()
    if settings.host:
        return StoreUnavailable(f"the Chroma server at {settings.host}:{settings.port} failed or timed out "
                                f"({_short(e)}); try again shortly")
    if isinstance(e, OSError):
        return UserError(f"the Chroma store failed: {e}")
    return UserError(f"the Chroma store failed ({_short(e)}); run `adoptbot index verify` for details")


def open_collection(client: Any, name: str, model: str, chunking: dict[str, Any], create: bool) -> Any:
    """Our collections never carry an embedding function: vectors are always passed in explicitly."""
    if create:
        return client.get_or_create_collection(
            name,
            embedding_function=None,
            metadata={"hnsw:space": "cosine", "model": model, "chunking": chunking_key(chunking)},
        )
    return client.get_collection(name, embedding_function=None)


def batched(seq: list[Any], n: int) -> Iterator[list[Any]]:
    for i in range(0, len(seq), n):
        yield seq[i : i + n]


def existing_ids(collection: Any, ids: list[str], batch: int = 2000) -> set[str]:
    found: set[str] = set()
    for part in batched(ids, batch):
        found.update(collection.get(ids=part, include=[])["ids"])
    return found


def all_ids(collection: Any, page: int = 5000) -> list[str]:
    out: list[str] = []
    offset = 0
    while True:
        got = collection.get(include=[], limit=page, offset=offset)["ids"]
        out.extend(got)
        if len(got) < page:
            return out
        offset += page


# --- the embedding cache --------------------------------------------------------------------------------------


class EmbeddingCache:
    """content_hash -> vector per model identity (like simonw/llm's embeddings table): embed each text once."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        try:
            self.db = sqlite3.connect(str(self.path), timeout=30)
            self.db.execute(
                "CREATE TABLE IF NOT EXISTS vectors (model TEXT NOT NULL, content_hash TEXT NOT NULL, "
                "dim INTEGER NOT NULL, vec BLOB NOT NULL, PRIMARY KEY (model, content_hash))"
            )
            self.db.commit()
        except sqlite3.DatabaseError as e:
            raise UserError(f"the embedding cache {self.path} is unreadable ({e}); delete it and run the build "
                            "again (it only costs re-embedding)") from None

    def get_many(self, model: str, hashes: Iterable[str]) -> dict[str, np.ndarray]:
        out: dict[str, np.ndarray] = {}
        hs = list(dict.fromkeys(hashes))
        for part in batched(hs, 500):
            marks = ",".join("?" * len(part))
            q = f"SELECT content_hash, dim, vec FROM vectors WHERE model = ? AND content_hash IN ({marks})"
            for h, dim, blob in self.db.execute(q, [model, *part]):
                v = np.frombuffer(blob, dtype=np.float32)
                if v.shape[0] == dim:
                    out[h] = v
        return out

    def put_many(self, model: str, items: dict[str, np.ndarray]) -> None:
        rows = [(model, h, int(v.shape[0]), np.asarray(v, dtype=np.float32).tobytes()) for h, v in items.items()]
        self.db.executemany("INSERT OR REPLACE INTO vectors VALUES (?, ?, ?, ?)", rows)
        self.db.commit()

    def count(self, model: str | None = None) -> int:
        if model is None:
            return int(self.db.execute("SELECT COUNT(*) FROM vectors").fetchone()[0])
        return int(self.db.execute("SELECT COUNT(*) FROM vectors WHERE model = ?", [model]).fetchone()[0])

    def close(self) -> None:
        self.db.close()


# --- BM25 -----------------------------------------------------------------------------------------------------


def _bm25() -> Any:
    import bm25s

    logging.getLogger("bm25s").setLevel(logging.WARNING)  # it logs every index build at DEBUG by itself
    return bm25s


def bm25_tokenize(texts: list[str]) -> list[list[str]]:
    """One tokenization for indexing and querying: the text toolkit's stems (grammar words dropped)."""
    from index.text import lexical_tokens

    return [lexical_tokens(t) for t in texts]


def build_bm25(texts: list[str], ids: list[str], out_dir: Path) -> None:
    """A BM25 index over exactly these chunk texts, in this order (document i is chunk i of chunks.jsonl)."""
    bm25s = _bm25()

    tokens = bm25_tokenize(texts)
    retriever = bm25s.BM25()
    # bm25s refuses an empty vocabulary; a corpus of only stopwords still gets an (unmatchable) index.
    if not any(tokens):
        tokens = [["\x00empty"] for _ in texts]
    retriever.index(tokens, show_progress=False)
    # the chunk ids ride along as the bm25 "corpus", so verify can prove BM25 and Chroma index the same chunks
    retriever.save(str(out_dir), corpus=ids, show_progress=False)


def load_bm25(path: Path, with_ids: bool = False) -> Any:
    bm25s = _bm25()

    return bm25s.BM25.load(str(path), load_corpus=with_ids, show_progress=False)


# --- the live index (readers) ---------------------------------------------------------------------------------


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


class LiveIndex:
    """What readers use: the live generation's chunks, records, BM25 and (lazily) its Chroma collection.

    Readers never take the build lock. Dense results are filtered to the generation's own chunk ids, so vectors
    a running build has already added (or a killed one left behind) are never returned.
    """

    def __init__(self, db_dir: Path, generation: str, manifest: dict[str, Any],
                 chroma: ChromaSettings | None = None) -> None:
        self.db_dir = Path(db_dir)
        self.generation = generation
        self.manifest = manifest
        self.generation_dir = self.db_dir / GENERATIONS / generation
        self._chroma_settings = chroma
        self._lock = threading.RLock()
        self._chunks: list[Chunk] | None = None
        self._by_id: dict[str, Chunk] | None = None
        self._records: list[Record] | None = None
        self._by_key: dict[tuple[str, str | None], Record] | None = None
        self._bm25: Any = None
        self._collection: Any = None
        self._connecting: Future | None = None

    @classmethod
    def open(cls, db_dir: Path, chroma: ChromaSettings | None = None) -> LiveIndex:
        """The live generation of `db_dir`; `IndexMissing` when nothing was built there yet."""
        db_dir = Path(db_dir)
        if db_dir.exists() and not db_dir.is_dir():
            raise UserError(f"the data folder {db_dir} is a file, not a folder; pass --db DIR")
        for attempt in range(2):  # a build may swap and prune between reading LIVE and the manifest
            name = read_live_name(db_dir)
            if name is None:
                raise IndexMissing(f"no index in {db_dir} yet; run `adoptbot index build` first")
            gen_dir = db_dir / GENERATIONS / name
            try:
                return cls(db_dir, name, read_manifest(gen_dir), chroma)
            except UserError:
                if attempt == 1 or read_live_name(db_dir) == name:
                    raise
        raise AssertionError("unreachable")

    # -- generation data --

    def _load_chunks(self) -> None:
        with self._lock:
            if self._chunks is None:
                try:
                    rows = _read_jsonl(self.generation_dir / "chunks.jsonl")
                    chunks = [Chunk(**r) for r in rows]
                except (OSError, ValueError, TypeError) as e:
                    raise UserError(f"the index in {self.db_dir} is damaged (chunks of generation "
                                    f"{self.generation}: {e}); run `adoptbot index build`") from None
                self._by_id = {c.chunk_id: c for c in chunks}
                self._chunks = chunks

    def chunks(self) -> list[Chunk]:
        self._load_chunks()
        assert self._chunks is not None
        return list(self._chunks)

    def chunk(self, chunk_id: str) -> Chunk | None:
        self._load_chunks()
        assert self._by_id is not None
        return self._by_id.get(chunk_id)

    def _load_records(self) -> None:
        with self._lock:
            if self._records is None:
                try:
                    recs = [Record.from_json(r) for r in _read_jsonl(self.generation_dir / "records.jsonl")]
                except (OSError, ValueError, TypeError) as e:
                    raise UserError(f"the index in {self.db_dir} is damaged (records of generation "
                                    f"{self.generation}: {e}); run `adoptbot index build`") from None
                self._by_key = {(r.post_id, r.comment_id): r for r in recs}
                self._records = recs

    def records(self) -> list[Record]:
        self._load_records()
        assert self._records is not None
        return list(self._records)

    def record(self, post_id: str, comment_id: str | None) -> Record | None:
        self._load_records()
        assert self._by_key is not None
        return self._by_key.get((post_id, comment_id))

    # -- lexical --

    def _retriever(self) -> Any:
        with self._lock:
            if self._bm25 is None:
                try:
                    self._bm25 = load_bm25(self.generation_dir / BM25_DIR)
                except Exception as e:
                    raise UserError(f"the BM25 index of generation {self.generation} in {self.db_dir} is damaged "
                                    f"({_short(e)}); run `adoptbot index build`") from None
            return self._bm25

    def lexical(self, query: str, k: int) -> list[tuple[Chunk, float]]:
        """BM25 over the generation's chunks, best first; only chunks sharing a word with the query."""
        with self._lock:  # one generation's chunks and BM25 positions: a refresh() cannot land in between
            self._load_chunks()
            chunks = self._chunks  # not chunks(): copying the list costs ~10 ms per query at 1M chunks
            if not chunks or k <= 0:
                return []
            retriever = self._retriever()
        vocab = retriever.vocab_dict
        tokens = [t for t in bm25_tokenize([query])[0] if t in vocab]
        if not tokens:
            return []
        # Top k among the chunks that score at all, not bm25s' retrieve(): its argpartition over every chunk's score
        # (mostly zeros, many ties) took ~40 ms per query at 100k chunks; this takes ~1 ms and gives the same hits.
        scores = np.asarray(retriever.get_scores(tokens))
        hits = np.flatnonzero(scores > 0)
        if len(hits) > k:
            hits = hits[np.argpartition(-scores[hits], k - 1)[:k]]
        hits = hits[np.argsort(-scores[hits], kind="stable")]
        return [(chunks[int(i)], float(scores[i])) for i in hits]

    # -- dense --

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
        with self._lock:
            manifest = self.manifest
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
        if cfg.host and (type(e).__name__ == "NotFoundError" or "does not exist" in str(e)):
            # reachable, but empty (a new server, or one that lost its volume): the cache rebuilds it without
            # embedding anything again
            return IndexMissing(f"the Chroma server at {cfg.host}:{cfg.port} holds no vectors for the live index "
                                f"({self.manifest.get('collection')}); run `adoptbot index build` to put them there")
        if cfg.host:
            return store_error(e, self._chroma_settings)
        return UserError(f"the vectors of the live index ({self.manifest.get('collection')}) are missing from "
                         f"{self.db_dir / CHROMA_DIR}; run `adoptbot index build --full`")

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

    def dense(self, query_vec: np.ndarray, k: int) -> list[tuple[Chunk, float]]:
        """Cosine similarity against the generation's chunks only, best first."""
        with self._lock:
            self._load_chunks()
            chunks, by_id = self._chunks, self._by_id
        if not chunks or by_id is None or k <= 0:
            return []
        q = np.asarray(query_vec, dtype=np.float32).reshape(-1).tolist()
        n = min(k, len(chunks))
        # Unfiltered first: an `ids` filter over a large generation costs ~60 ms per query (100k chunks) against
        # ~2 ms without; it is needed only when the collection also holds chunks of another generation.
        # The ids list is built only for that fallback: building it for every query cost ~10 ms at 100k chunks.
        res = self.call(lambda coll: coll.query(query_embeddings=[q], n_results=n, include=["distances"]))
        out = [(by_id[i], 1.0 - float(d)) for i, d in zip(res["ids"][0], res["distances"][0], strict=True)
               if i in by_id]
        if len(out) >= n:
            return out
        ids = [c.chunk_id for c in chunks]
        res = self.call(lambda coll: coll.query(query_embeddings=[q], ids=ids, n_results=n, include=["distances"]))
        return [(by_id[i], 1.0 - float(d)) for i, d in zip(res["ids"][0], res["distances"][0], strict=True)
                if i in by_id]

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
                unreachable = _unreachable(e)
                if attempt == 1 and not unreachable:
                    raise store_error(e, self._chroma_settings) from None
                # a fresh client for the retry, or for the next call after a transport failure; not once more
                # after a failed retry (each reset of embedded clients costs memory chromadb keeps)
                self._reset_collection()
                if unreachable:
                    raise store_error(e, self._chroma_settings) from None
                log.info("Chroma call failed (%s); reopening the collection", _short(e))
        raise AssertionError("unreachable")

    def vectors(self) -> tuple[list[str], np.ndarray]:
        """The generation's chunk ids (in chunks() order) and their vectors, shape (n, dim)."""
        ids = [c.chunk_id for c in self.chunks()]
        dim = int(self.manifest.get("dim") or 0)
        if not ids:
            return [], np.zeros((0, dim), dtype=np.float32)
        got: dict[str, np.ndarray] = {}
        for part in batched(ids, 2000):
            res = self.call(lambda coll, part=part: coll.get(ids=part, include=["embeddings"]))
            for i, v in zip(res["ids"], res["embeddings"], strict=True):
                got[i] = np.asarray(v, dtype=np.float32)
        missing = [i for i in ids if i not in got]
        if missing:
            raise UserError(f"{len(missing)} chunk vectors of the live index are missing from Chroma; run "
                            "`adoptbot index build --full`")
        return ids, np.stack([got[i] for i in ids])

    def refresh(self) -> bool:
        """Re-read the pointer; True (and everything reloaded lazily) when a newer generation went live."""
        name = read_live_name(self.db_dir)
        if name is None or name == self.generation:
            return False
        fresh = LiveIndex.open(self.db_dir, self._chroma_settings)
        with self._lock:
            self.generation, self.manifest, self.generation_dir = fresh.generation, fresh.manifest, fresh.generation_dir
            self._chunks = self._by_id = self._records = self._by_key = self._bm25 = None
        # Embedded Chroma caches its HNSW index per process: a generation another process built would otherwise
        # answer unfiltered queries from the stale in-memory index without any error.
        self._reset_collection(sync_only=True)
        return True


def remove_tree(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
