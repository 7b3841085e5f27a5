"""The Chroma client: one way to reach embedded Chroma or a server, and the upkeep of embedded clients' caches.

Our collections hold ids and vectors only: chunk texts and their metadata live in the generation's own store
(index/store/records.py), so Chroma never builds its full-text and metadata indexes over them (that was most of a
1M-chunk build's time in "store").
"""

from __future__ import annotations

import logging
import os
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from index.errors import StoreUnavailable, UserError
from index.settings import ChromaSettings
from index.store.failures import short
from index.store.layout import CHROMA_DIR, WRITER_FILE, chunking_key, write_atomic

log = logging.getLogger(__name__)


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
            raise StoreUnavailable(f"the Chroma server at {where} cannot be reached ({short(e)}); start it or "
                                   "unset CHROMA_HOST to use the embedded store") from None
        return client
    path = Path(db_dir) / CHROMA_DIR
    try:
        with _EMBEDDED_LOCK:
            # what this process's clients of the folder are current with, from the first time it opens one
            _seen_stamps.setdefault(str(Path(db_dir).resolve()), _read_stamp(db_dir))
            return chromadb.PersistentClient(path=str(path), settings=_chroma_settings())
    except Exception as e:
        raise UserError(f"the Chroma store in {path} cannot be opened ({short(e)}); if it is damaged, move it "
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


def write_batch_size(client: Any) -> int:
    """The most records one Chroma write may carry (its own limit: larger batches are refused)."""
    try:
        return max(1, int(client.get_max_batch_size()))
    except Exception:  # an older server without the endpoint
        return 1000


def add_vectors(collection: Any, ids: list[str], vectors: np.ndarray, *, batch: int, replace: bool = False) -> None:
    """Write vectors under their chunk ids, `batch` at a time. `replace` overwrites vectors already there (a
    --full rebuild); otherwise the ids must be new (the build checked), which spares Chroma a look-up per id."""
    write = collection.upsert if replace else collection.add
    for i in range(0, len(ids), batch):
        write(ids=ids[i : i + batch], embeddings=vectors[i : i + batch])
