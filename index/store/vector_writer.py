"""Where a build's vectors are written: in the build's own process, or from a second one for embedded Chroma.

Why a second process: Chroma's insert into its HNSW index is most of a large build (63% of 26.6 min at 1.01M chunks)
and holds the GIL most of the time (a thread spinning beside `collection.add` ran at 16-27% of its idle rate), so a
writer thread cannot overlap it with reading, chunking and the store; a process can, on the other core. The child
owns no state of its own: it opens the same embedded collection, adds what it is sent, in order, and stops when told
or when the build goes away (its end of the pipe closes). The pipe holds at most one batch in flight, so memory does
not grow. A failure in the child reaches the build as the same one-line error an in-process write gives, at the
build's next write or at `close()`; the live index is untouched either way (the build has not swapped yet).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from index.errors import UserError
from index.store.chroma import add_vectors

log = logging.getLogger(__name__)


class VectorWriter(Protocol):
    def add(self, ids: list[str], vectors: np.ndarray) -> None: ...
    def close(self) -> None: ...
    def abort(self) -> None: ...


class InlineWriter:
    """Writes in this process (a Chroma server, or a corpus too small to pay a second process's start-up)."""

    def __init__(self, collection: Any, batch: int, replace: bool) -> None:
        self.collection, self.batch, self.replace = collection, batch, replace

    def add(self, ids: list[str], vectors: np.ndarray) -> None:
        add_vectors(self.collection, ids, vectors, batch=self.batch, replace=self.replace)

    def close(self) -> None:
        return None

    def abort(self) -> None:
        return None


class ProcessWriter:
    """Writes from a child process into the embedded collection `name` of the data folder `db_dir`."""

    def __init__(self, db_dir: Path, name: str, batch: int, replace: bool) -> None:
        import multiprocessing

        ctx = multiprocessing.get_context("spawn")  # never fork a process that may hold torch and Chroma threads
        self._conn, child = ctx.Pipe()
        self._proc = ctx.Process(target=_serve, args=(child, str(db_dir), name, batch, replace, os.getpid()),
                                 name="adoptbot-vector-writer", daemon=True)
        self._proc.start()
        child.close()
        self._failed: str | None = None

    def add(self, ids: list[str], vectors: np.ndarray) -> None:
        self._check()
        try:
            self._conn.send(("add", ids, np.ascontiguousarray(vectors, dtype=np.float32)))
        except (BrokenPipeError, EOFError, OSError):
            self._check(wait=True)
            raise UserError(self._failed or "the Chroma store failed (its writer process stopped); run `adoptbot "
                                            "index build` again") from None

    def close(self) -> None:
        """Wait for every vector sent to be written; raises the child's error if it had one."""
        try:
            self._conn.send(("close",))
        except (BrokenPipeError, OSError):
            pass
        self._check(wait=True)
        self._proc.join(30)
        if self._failed:
            raise UserError(self._failed)

    def abort(self) -> None:
        if self._proc.is_alive():
            self._proc.terminate()
            self._proc.join(30)
        self._conn.close()

    def _check(self, wait: bool = False) -> None:
        """Read what the child said: nothing while it works, "closed" at the end, or its error."""
        if self._failed:
            raise UserError(self._failed)
        while True:
            try:
                if not self._conn.poll(None if wait else 0):
                    return
                kind, detail = self._conn.recv()
            except (EOFError, OSError):
                self._failed = self._failed or ("the Chroma store failed (its writer process ended unexpectedly, "
                                                f"exit code {self._proc.exitcode}); run `adoptbot index build` again")
                raise UserError(self._failed) from None
            if kind == "closed":
                return
            self._failed = detail
            raise UserError(detail)


def _die_with_parent(parent: int) -> None:
    """A build killed outright (SIGKILL) takes its writer with it, at once: a writer left running could still be
    adding vectors when the next build, holding the lock its parent held, opens the same embedded store."""
    import signal

    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGKILL))  # PR_SET_PDEATHSIG (Linux)
    except (OSError, AttributeError):  # another system: the closed pipe still stops it after its current batch
        pass
    if os.getppid() != parent:  # the parent died before the line above took effect
        os._exit(0)


def _serve(conn: Any, db_dir: str, name: str, batch: int, replace: bool, parent: int) -> None:
    """The child: one embedded client, one collection, the batches in the order sent."""
    import signal

    from index.settings import ChromaSettings
    from index.store.chroma import chroma_client
    from index.store.failures import store_error

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the build's to handle: it stops this process
    _die_with_parent(parent)

    try:
        client = chroma_client(Path(db_dir), ChromaSettings(host=None))  # embedded, whatever the environment says
        collection = client.get_collection(name, embedding_function=None)
        while True:
            try:
                msg = conn.recv()
            except EOFError:  # the build went away: stop writing
                return
            if msg[0] == "close":
                conn.send(("closed", None))
                return
            _, ids, vectors = msg
            add_vectors(collection, ids, vectors, batch=batch, replace=replace)
    except Exception as e:  # noqa: BLE001 - every failure goes back to the build as its one line
        try:
            conn.send(("error", str(store_error(e))))
        except OSError:
            pass
