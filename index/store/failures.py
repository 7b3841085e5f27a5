"""Failures of the storage layer mapped to one actionable line each (the CLI prints it and exits 2)."""

from __future__ import annotations

import errno
import os
from pathlib import Path

from index.errors import StoreUnavailable, UserError
from index.settings import ChromaSettings
from index.store.layout import read_live_name


def short(e: BaseException) -> str:
    """The first line of an exception's message, bounded: library errors can be pages long."""
    s = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
    return s[:200]


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


def sqlite_write_error(e: Exception, db_dir: Path) -> UserError:
    """SQLite reports a full disk or a read-only folder in words, not errno: the same lines as disk_error."""
    msg = str(e).lower()
    if "full" in msg:
        return disk_error(OSError(errno.ENOSPC, "No space left on device"), db_dir)
    if "readonly" in msg or "read-only" in msg or "unable to open" in msg:
        return disk_error(OSError(errno.EACCES, "Permission denied"), db_dir)
    return UserError(f"cannot write the index in {db_dir}: {short(e)}; the previous index is still live")


def unreachable(e: BaseException) -> bool:
    """A transport failure (timeout, refused, reset): the server is not answering, asking again will not help."""
    try:
        import httpx
    except ImportError:  # pragma: no cover
        return isinstance(e, (ConnectionError, TimeoutError))
    return isinstance(e, (httpx.TransportError, ConnectionError, TimeoutError))


def store_error(e: Exception, settings: ChromaSettings | None = None) -> UserError:
    """Map a Chroma failure to one actionable line (StoreUnavailable for a server that stopped answering)."""
    if isinstance(e, UserError):
        return e
    settings = settings or ChromaSettings()
    if settings.host:
        return StoreUnavailable(f"the Chroma server at {settings.host}:{settings.port} failed or timed out "
                                f"({short(e)}); try again shortly")
    if isinstance(e, OSError):
        return UserError(f"the Chroma store failed: {e}")
    return UserError(f"the Chroma store failed ({short(e)}); run `adoptbot index verify` for details")


def damaged(db_dir: Path, generation: str, what: str, e: BaseException) -> UserError:
    """A generation file that does not read: the repair is always a build (vectors come from the cache)."""
    return UserError(f"the index in {db_dir} is damaged ({what} of generation {generation}: {short(e)}); run "
                     "`adoptbot index build`")
