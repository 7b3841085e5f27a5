"""The one-writer lock of a data folder: builds take it, readers never do."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from index.errors import IndexBusy
from index.store.layout import LOCK_FILE


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
