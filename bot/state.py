"""The bot's own small state in SQLite (data/bot.sqlite3): sent answers, 👍/👎 feedback, channel-mode channels.

Answers are stored so the buttons under a message keep working after a restart (the button's custom_id only
carries the answer id) and so feedback is stored with the question and the exact quote ids the user saw.
"""

from __future__ import annotations

import csv
import io
import json
import secrets
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from index.conversation import Conversation
from index.errors import UserError
from index.models import Quote

_SCHEMA = """
CREATE TABLE IF NOT EXISTS answers (
    id TEXT PRIMARY KEY, kind TEXT NOT NULL, query TEXT NOT NULL, k INTEGER NOT NULL, first INTEGER NOT NULL,
    next_offset INTEGER NOT NULL, private INTEGER NOT NULL, quotes TEXT NOT NULL, guild_id INTEGER,
    channel_id INTEGER, user_id INTEGER, created_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT, answer_id TEXT NOT NULL, created_at REAL NOT NULL, guild_id INTEGER,
    user_id INTEGER, vote INTEGER NOT NULL, reason TEXT, question TEXT NOT NULL, quote_ids TEXT NOT NULL,
    UNIQUE(answer_id, user_id)
);
CREATE TABLE IF NOT EXISTS channels (
    channel_id INTEGER PRIMARY KEY, guild_id INTEGER, enabled_by INTEGER, enabled_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS conversations (
    thread_id INTEGER PRIMARY KEY, guild_id INTEGER, turns TEXT NOT NULL, updated_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS previews (
    id TEXT PRIMARY KEY, owner_id INTEGER NOT NULL, guild_id INTEGER, name TEXT NOT NULL, meta TEXT NOT NULL,
    data BLOB NOT NULL, created_at REAL NOT NULL
);
"""
# Columns added after the first release: added to an older file at start-up (its answers keep working).
_ADDED_COLUMNS = {"answers": {"thread_id": "INTEGER", "turn": "INTEGER"}}

FEEDBACK_COLUMNS = ["created_at", "guild_id", "user_id", "vote", "reason", "question", "quote_ids", "answer_id"]


@dataclass
class StoredAnswer:
    """What a message's buttons need: how to fetch the next quotes and which quotes it showed."""

    id: str
    kind: str  # ask, topic, author
    query: str
    k: int
    first: int  # 1-based number of the first quote shown
    next_offset: int  # offset of the next quote not shown yet
    private: bool
    quotes: list[Quote]
    guild_id: int | None = None
    thread_id: int | None = None  # an answer in a conversation thread: "More" continues its turn there
    turn: int | None = None


@dataclass
class PendingUpload:
    """An /addpost preview waiting for Confirm (kept in SQLite, so Confirm works after a restart)."""

    id: str
    owner_id: int
    guild_id: int | None
    name: str
    meta: dict[str, str]
    data: bytes
    created_at: float


class BotState:
    """One SQLite file; every call takes a short lock, so it is safe from the event loop and worker threads."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        try:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.executescript(_SCHEMA)
            for table, cols in _ADDED_COLUMNS.items():
                have = {r[1] for r in self._db.execute(f"PRAGMA table_info({table})")}
                for col, kind in cols.items():
                    if col not in have:
                        self._db.execute(f"ALTER TABLE {table} ADD COLUMN {col} {kind}")
            bad = self._db.execute("PRAGMA quick_check").fetchone()[0]
            if bad != "ok":
                raise sqlite3.DatabaseError(bad)
        except sqlite3.DatabaseError as e:  # a truncated or overwritten file: say what to do, do not crash
            self._db.close()
            raise UserError(f"the bot's own state {path} is damaged ({e}); move it away and start again: a new one "
                            "is created (answers behind old buttons, stored feedback and enabled channels are in "
                            "the damaged file)") from None

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # answers ---------------------------------------------------------------------------------------------------
    def save_answer(self, *, kind: str, query: str, k: int, first: int, next_offset: int, private: bool,
                    quotes: list[Quote], guild_id: int | None = None, channel_id: int | None = None,
                    user_id: int | None = None, thread_id: int | None = None, turn: int | None = None) -> str:
        aid = secrets.token_hex(6)
        payload = json.dumps([{**q.to_json(), "chunk_id": q.chunk_id, "score": float(q.score)} for q in quotes])
        with self._lock:
            self._db.execute(
                "INSERT INTO answers (id, kind, query, k, first, next_offset, private, quotes, guild_id, channel_id,"
                " user_id, created_at, thread_id, turn) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (aid, kind, query, k, first, next_offset, int(private), payload, guild_id, channel_id, user_id,
                 time.time(), thread_id, turn),
            )
        return aid

    def answer(self, aid: str) -> StoredAnswer | None:
        with self._lock:
            row = self._db.execute(
                "SELECT id, kind, query, k, first, next_offset, private, quotes, guild_id, thread_id, turn"
                " FROM answers WHERE id=?", (aid,),
            ).fetchone()
        if row is None:
            return None
        quotes = [Quote(**q) for q in json.loads(row[7])]
        return StoredAnswer(id=row[0], kind=row[1], query=row[2], k=row[3], first=row[4], next_offset=row[5],
                            private=bool(row[6]), quotes=quotes, guild_id=row[8], thread_id=row[9], turn=row[10])

    # conversations ---------------------------------------------------------------------------------------------
    def conversation(self, thread_id: int) -> Conversation | None:
        """The turns of a conversation thread the bot opened (None: not one of those)."""
        with self._lock:
            row = self._db.execute("SELECT turns FROM conversations WHERE thread_id=?", (thread_id,)).fetchone()
        return Conversation.from_json(json.loads(row[0])) if row else None

    def save_conversation(self, thread_id: int, guild_id: int | None, conversation: Conversation) -> None:
        with self._lock:
            self._db.execute(
                "INSERT INTO conversations VALUES (?,?,?,?) ON CONFLICT(thread_id) DO UPDATE SET"
                " turns=excluded.turns, updated_at=excluded.updated_at",
                (thread_id, guild_id, json.dumps(conversation.to_json()), time.time()),
            )

    # /addpost previews -----------------------------------------------------------------------------------------
    def save_preview(self, *, owner_id: int, guild_id: int | None, name: str, meta: dict[str, str],
                     data: bytes) -> str:
        """Keep an upload until its Confirm (or until `max_age_s` passes: see `preview`)."""
        pid = secrets.token_hex(8)
        with self._lock:
            self._db.execute("INSERT INTO previews VALUES (?,?,?,?,?,?,?)",
                             (pid, owner_id, guild_id, name, json.dumps(meta), data, time.time()))
        return pid

    def preview(self, pid: str, max_age_s: float) -> PendingUpload | None:
        """A pending upload younger than `max_age_s` (older ones are dropped here)."""
        with self._lock:
            self._db.execute("DELETE FROM previews WHERE created_at < ?", (time.time() - max_age_s,))
            row = self._db.execute("SELECT id, owner_id, guild_id, name, meta, data, created_at FROM previews"
                                   " WHERE id=?", (pid,)).fetchone()
        if row is None:
            return None
        return PendingUpload(id=row[0], owner_id=row[1], guild_id=row[2], name=row[3], meta=json.loads(row[4]),
                             data=bytes(row[5]), created_at=row[6])

    def drop_preview(self, pid: str) -> bool:
        """Confirmed or cancelled: gone, so a second press finds nothing to do."""
        with self._lock:
            cur = self._db.execute("DELETE FROM previews WHERE id=?", (pid,))
        return cur.rowcount > 0

    # feedback --------------------------------------------------------------------------------------------------
    def vote(self, answer: StoredAnswer, *, user_id: int, guild_id: int | None, vote: int,
             reason: str | None = None) -> None:
        """One vote per user and answer: a second click replaces the first (a change of mind, not a new vote)."""
        from bot.render import quote_id

        ids = json.dumps([quote_id(q) for q in answer.quotes])
        with self._lock:
            self._db.execute(
                "INSERT INTO feedback (answer_id, created_at, guild_id, user_id, vote, reason, question, quote_ids)"
                " VALUES (?,?,?,?,?,?,?,?) ON CONFLICT(answer_id, user_id) DO UPDATE SET vote=excluded.vote,"
                " reason=excluded.reason, created_at=excluded.created_at",
                (answer.id, time.time(), guild_id, user_id, vote, reason, answer.query, ids),
            )

    def set_reason(self, answer_id: str, user_id: int, reason: str) -> bool:
        with self._lock:
            cur = self._db.execute(
                "UPDATE feedback SET reason=? WHERE answer_id=? AND user_id=?", (reason, answer_id, user_id)
            )
        return cur.rowcount > 0

    def feedback_rows(self, guild_id: int | None = None) -> list[dict]:
        sql = f"SELECT {', '.join(FEEDBACK_COLUMNS)} FROM feedback"
        args: tuple = ()
        if guild_id is not None:
            sql += " WHERE guild_id=?"
            args = (guild_id,)
        with self._lock:
            rows = self._db.execute(sql + " ORDER BY id", args).fetchall()
        return [dict(zip(FEEDBACK_COLUMNS, r, strict=True)) for r in rows]

    def feedback_csv(self, guild_id: int | None = None) -> tuple[str, int]:
        """The feedback as CSV text (dates in ISO 8601 UTC) and the number of rows."""
        rows = self.feedback_rows(guild_id)
        out = io.StringIO()
        w = csv.DictWriter(out, fieldnames=FEEDBACK_COLUMNS)
        w.writeheader()
        for r in rows:
            r["created_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(r["created_at"]))
            r["vote"] = "up" if r["vote"] > 0 else "down"
            w.writerow(r)
        return out.getvalue(), len(rows)

    # channel mode ----------------------------------------------------------------------------------------------
    def enable_channel(self, channel_id: int, guild_id: int | None, user_id: int | None) -> None:
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO channels VALUES (?,?,?,?)", (channel_id, guild_id, user_id, time.time())
            )

    def disable_channel(self, channel_id: int) -> bool:
        with self._lock:
            cur = self._db.execute("DELETE FROM channels WHERE channel_id=?", (channel_id,))
        return cur.rowcount > 0

    def channel_enabled(self, channel_id: int) -> bool:
        with self._lock:
            return self._db.execute("SELECT 1 FROM channels WHERE channel_id=?", (channel_id,)).fetchone() is not None
