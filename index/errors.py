"""Errors a user can act on: the CLI prints them as one clear line (no traceback) and exits 2."""

from __future__ import annotations


class UserError(Exception):
    """Something the user can fix (a missing folder, a bad file, a locked index); the message says what to do."""


class IndexBusy(UserError):
    """Another build holds the writer lock."""


class IndexMissing(UserError):
    """No live index in the data folder yet."""


class StoreUnavailable(UserError):
    """The vector store (a Chroma server) cannot be reached right now; the caller may retry shortly."""
