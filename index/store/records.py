"""A generation's records and chunks in one SQLite file, read on demand instead of held as Python objects.

    records(rid, post_id, ckey, kind, author, date, fingerprint, first_pos, n_chunks, data)
                                                  one row per post or comment, in corpus order; (post_id, ckey)
                                                  unique (ckey is the comment id, '' for a post); `data` is the
                                                  record as `Record.to_json()` writes it (every field, whatever
                                                  fields the corpus reader adds); its chunks are first_pos ..
                                                  first_pos + n_chunks - 1
    chunks(pos, chunk_id, rid, start, end, content_hash)
                                                  one row per chunk, in order: pos is the chunk's document number
                                                  in the lexical index; its text is the record's text[start:end]

A chunk's text and attribution are its record's (index/chunking.py cuts them so), so they are stored once. The
file is written by one build, then never changed: readers open it read-only and immutable (no locks, no journal).
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from index.models import Chunk, Record
from index.store.layout import sqlite_uri

log = logging.getLogger(__name__)

STORE_FILE = "store.sqlite"
_IN_LIMIT = 500
CHUNK_CACHE = 20_000  # decoded chunks kept per generation and per key kind (a few MB at ~100-token chunks)

_SCHEMA = """
CREATE TABLE records (
    rid INTEGER PRIMARY KEY, post_id TEXT NOT NULL, ckey TEXT NOT NULL, kind TEXT NOT NULL, author TEXT, date TEXT,
    source_file TEXT NOT NULL, fingerprint TEXT NOT NULL, first_pos INTEGER NOT NULL, n_chunks INTEGER NOT NULL,
    data TEXT NOT NULL);
CREATE UNIQUE INDEX records_key ON records (post_id, ckey);
CREATE TABLE chunks (
    pos INTEGER PRIMARY KEY, chunk_id TEXT NOT NULL, rid INTEGER NOT NULL, start INTEGER NOT NULL,
    end INTEGER NOT NULL, content_hash TEXT NOT NULL);
"""
_RECORD_COLS = "data"
_CHUNK_FIELDS = "c.chunk_id, c.start, c.end, c.content_hash, r.data"
_CHUNK_FROM = "FROM chunks c JOIN records r ON r.rid = c.rid"


def _ckey(comment_id: str | None) -> str:
    return comment_id or ""


def _record(row: tuple) -> Record:
    return Record.from_json(json.loads(row[0]))


def _chunk(row: tuple) -> Chunk:
    chunk_id, start, end, chash, data = row
    r = json.loads(data)
    return Chunk(chunk_id=chunk_id, post_id=r["post_id"], comment_id=r["comment_id"], kind=r["kind"],
                 author=r["author"], date=r["date"], post_title=r["post_title"], post_url=r["post_url"], start=start,
                 end=end, text=r["text"][start:end], content_hash=chash)


def _in_parts(values: list[Any]) -> Iterator[tuple[list[Any], str]]:
    for i in range(0, len(values), _IN_LIMIT):
        part = values[i : i + _IN_LIMIT]
        yield part, ",".join("?" * len(part))


class StoreWriter:
    """Writes a new generation's store while the corpus streams through the build.

    Rows are committed a batch at a time (`commit()`), before the batch's vectors go to Chroma: whatever a killed
    build added to a collection is listed in its own half-written store, which the next build reads to prune it.
    The live generation's store is attached as `prev`, to reuse the chunks of unchanged records and to count what
    changed.
    """

    def __init__(self, path: Path, previous: Path | None = None, *, reuse_chunks: bool = True) -> None:
        self.path = Path(path)
        self.db = sqlite3.connect(sqlite_uri(self.path), uri=True)
        self.db.execute("PRAGMA synchronous=OFF")  # the file is fsynced once, before the manifest names it
        self.db.execute("PRAGMA cache_size=-65536")
        self.db.executescript(_SCHEMA)
        self.has_previous = False
        self.reuse_chunks = reuse_chunks
        if previous is not None:
            self.db.execute("ATTACH ? AS prev", (sqlite_uri(previous, readonly=True),))
            self.has_previous = True
        self.records = 0
        self.chunks = 0

    def add(self, r: Record, fingerprint: str, spans: list[tuple[str, int, int, str]]) -> bool:
        """A record and its chunks' (chunk_id, start, end, content_hash), in order; False (nothing written) when
        its key is already here: the first one wins."""
        cur = self.db.execute(
            "INSERT OR IGNORE INTO records VALUES (NULL, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (r.post_id, _ckey(r.comment_id), r.kind, r.author, r.date, r.source_file, fingerprint, self.chunks,
             len(spans), json.dumps(r.to_json(), ensure_ascii=False)))
        if cur.rowcount == 0:
            return False
        rid = cur.lastrowid
        self.db.executemany("INSERT INTO chunks VALUES (?, ?, ?, ?, ?, ?)",
                            [(self.chunks + i, cid, rid, s, e, h) for i, (cid, s, e, h) in enumerate(spans)])
        self.records += 1
        self.chunks += len(spans)
        return True

    def previous_spans(self, r: Record, fingerprint: str) -> list[tuple[str, int, int, str]] | None:
        """The chunks the live generation cut from this very record (same key, same fingerprint), or None."""
        if not (self.has_previous and self.reuse_chunks):
            return None
        row = self.db.execute("SELECT first_pos, n_chunks FROM prev.records WHERE post_id = ? AND ckey = ? AND "
                              "fingerprint = ?", (r.post_id, _ckey(r.comment_id), fingerprint)).fetchone()
        if row is None or row[1] == 0:  # unknown, or nothing to reuse (an empty record, a format-1 generation)
            return None
        return self.db.execute("SELECT chunk_id, start, end, content_hash FROM prev.chunks WHERE pos >= ? AND "
                               "pos < ? ORDER BY pos", (row[0], row[0] + row[1])).fetchall()

    def changes(self) -> tuple[dict[str, dict[str, int]], int]:
        """Per source file: records, chunks, added, updated, unchanged (against `prev`); and records removed."""
        if self.has_previous:
            rows = self.db.execute(
                "SELECT r.source_file, COUNT(*), TOTAL(r.n_chunks), TOTAL(p.fingerprint IS NULL), "
                "TOTAL(p.fingerprint IS NOT NULL AND p.fingerprint != r.fingerprint), "
                "TOTAL(p.fingerprint = r.fingerprint) FROM records r LEFT JOIN prev.records p "
                "ON p.post_id = r.post_id AND p.ckey = r.ckey GROUP BY r.source_file").fetchall()
            removed = self.db.execute(
                "SELECT COUNT(*) FROM prev.records p WHERE NOT EXISTS (SELECT 1 FROM main.records r "
                "WHERE r.post_id = p.post_id AND r.ckey = p.ckey)").fetchone()[0]
        else:
            rows = self.db.execute("SELECT source_file, COUNT(*), TOTAL(n_chunks), COUNT(*), 0, 0 FROM records "
                                   "GROUP BY source_file").fetchall()
            removed = 0
        keys = ("records", "chunks", "added", "updated", "unchanged")
        return {f: dict(zip(keys, map(int, v), strict=True)) for f, *v in rows}, int(removed)

    def fingerprints(self) -> Iterator[tuple[str, str | None, str]]:
        """(post_id, comment_id, fingerprint) of every record written, in key order (for the digest)."""
        for post_id, ckey, fp in self.db.execute("SELECT post_id, ckey, fingerprint FROM records ORDER BY post_id, "
                                                 "ckey"):
            yield post_id, ckey or None, fp

    def chunk_rows(self, batch: int = 5000) -> Iterator[list[tuple[int, int, str]]]:
        """(rid, pos, content_hash) of every chunk written, in order, in lists of up to `batch`."""
        cur = self.db.execute("SELECT rid, pos, content_hash FROM chunks ORDER BY pos")
        while rows := cur.fetchmany(batch):
            yield rows

    def commit(self) -> None:
        self.db.commit()

    def finish(self) -> None:
        """Index chunk ids, then make the file durable: from here on it only ever gets read."""
        if self.has_previous:
            self.db.execute("DETACH prev")
        self.db.execute("CREATE UNIQUE INDEX chunks_id ON chunks (chunk_id)")
        self.db.execute("CREATE INDEX records_author ON records (author)")
        self.db.commit()
        self.db.close()
        fd = os.open(self.path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    def close(self) -> None:
        try:
            self.db.close()
        except sqlite3.Error:  # pragma: no cover - closing after a failure
            pass


def legacy_records(path: Path, out: Path, fingerprint: Any) -> Path:
    """A format-1 generation's records.jsonl as a store with no chunks, so an upgraded build can count what
    changed against it (its chunks are cut again; their vectors are still found in the collection)."""
    import json

    w = StoreWriter(out)
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                r = Record.from_json(json.loads(line))
                w.add(r, fingerprint(r), [])
    w.db.commit()
    w.db.close()
    return out


def open_readonly(path: Path) -> sqlite3.Connection:
    """A finished store, read-only and immutable: no locks, no journal, nothing written next to it."""
    if not Path(path).is_file():
        raise FileNotFoundError(f"{path} does not exist")
    return sqlite3.connect(sqlite_uri(path, readonly=True), uri=True, check_same_thread=False)


class GenerationStore:
    """Reads one generation's records and chunks on demand; safe to share between threads."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.db = open_readonly(self.path)
        self._lock = threading.Lock()
        # decoded chunks of recent answers, by position and by id: a generation never changes, and the same chunks
        # come back question after question (each one costs a JSON decode of its whole record otherwise)
        self._by_pos: dict[int, Chunk] = {}
        self._by_id: dict[str, Chunk] = {}
        self.db.execute("SELECT 1 FROM records LIMIT 1").fetchall()  # not a database: fails here, not mid-answer

    def _all(self, sql: str, args: Iterable[Any] = ()) -> list[tuple]:
        with self._lock:
            return self.db.execute(sql, list(args)).fetchall()

    def count_records(self) -> int:
        return int(self._all("SELECT COUNT(*) FROM records")[0][0])

    def count_chunks(self) -> int:
        return int(self._all("SELECT COUNT(*) FROM chunks")[0][0])

    def record(self, post_id: str, comment_id: str | None) -> Record | None:
        got = self.record_and_row(post_id, comment_id)
        return got[0] if got else None

    def record_and_row(self, post_id: str, comment_id: str | None) -> tuple[Record, int] | None:
        """The record and its row: its position in corpus order, from 0 (what per-record files are indexed by)."""
        rows = self._all(f"SELECT rid, {_RECORD_COLS} FROM records WHERE post_id = ? AND ckey = ?",
                         (post_id, _ckey(comment_id)))
        return (_record(rows[0][1:]), rows[0][0] - 1) if rows else None

    def records_and_rows(self, keys: list[tuple[str, str | None]]) -> dict[tuple[str, str | None], tuple[Record, int]]:
        """`record_and_row` for many keys under one lock (a question's candidates); keys this generation does not
        have are left out. One indexed look-up per key: a row-value IN (VALUES ...) makes SQLite scan the table
        (0.5 s at 1M records)."""
        out: dict[tuple[str, str | None], tuple[Record, int]] = {}
        sql = f"SELECT rid, {_RECORD_COLS} FROM records WHERE post_id = ? AND ckey = ?"
        with self._lock:
            for key in dict.fromkeys(keys):
                row = self.db.execute(sql, (key[0], _ckey(key[1]))).fetchone()
                if row is not None:
                    out[key] = (_record(row[1:]), row[0] - 1)
        return out

    def chunks_at(self, positions: list[int]) -> dict[int, Chunk]:
        """Chunks by their position (the lexical index's document numbers)."""
        out = {p: self._by_pos[p] for p in positions if p in self._by_pos}
        todo = [p for p in positions if p not in out]
        for part, marks in _in_parts(todo):
            for row in self._all(f"SELECT c.pos, {_CHUNK_FIELDS} {_CHUNK_FROM} WHERE c.pos IN ({marks})", part):
                out[row[0]] = self._keep(self._by_pos, row[0], _chunk(row[1:]))
        return out

    def chunks_by_id(self, ids: list[str]) -> dict[str, Chunk]:
        """Chunks by id; ids this generation does not have are left out (vectors of other generations)."""
        out = {i: self._by_id[i] for i in ids if i in self._by_id}
        todo = [i for i in ids if i not in out]
        for part, marks in _in_parts(todo):
            for row in self._all(f"SELECT {_CHUNK_FIELDS} {_CHUNK_FROM} WHERE c.chunk_id IN ({marks})", part):
                out[row[0]] = self._keep(self._by_id, row[0], _chunk(row))
        return out

    @staticmethod
    def _keep(cache: dict[Any, Chunk], key: Any, chunk: Chunk) -> Chunk:
        if len(cache) >= CHUNK_CACHE:
            cache.clear()  # bounded; cheaper than LRU bookkeeping on every hit
        cache[key] = chunk
        return chunk

    def author_spellings(self) -> list[tuple[str, int, int]]:
        """(author as written, records, first row id) of every spelling of every author: few rows, whatever the
        number of records (people are resolved from these; their records are read when asked for)."""
        return [tuple(r) for r in self._all("SELECT author, COUNT(*), MIN(rid) FROM records WHERE author IS NOT NULL "
                                            "AND author != '' GROUP BY author ORDER BY MIN(rid)")]

    def records_by_authors(self, spellings: list[str]) -> list[Record]:
        """Every record written under these spellings, in corpus order."""
        out: list[tuple] = []
        for part, marks in _in_parts(spellings):
            out += self._all(f"SELECT rid, {_RECORD_COLS} FROM records WHERE author IN ({marks})", part)
        return [_record(r[1:]) for r in sorted(out)]

    def stats(self) -> dict[str, Any]:
        """Posts, comments and the date range (the bot's /about), from the store alone."""
        posts, comments, first, last = self._all(
            "SELECT TOTAL(kind = 'post'), TOTAL(kind = 'comment'), MIN(NULLIF(date, '')), MAX(NULLIF(date, '')) "
            "FROM records")[0]
        return {"posts": int(posts), "comments": int(comments), "first_date": first, "last_date": last}

    def iter_keys(self, batch: int = 20000) -> Iterator[tuple[int, str, str | None]]:
        """(row id, post_id, comment_id) of every record, in corpus order."""
        last = 0
        while rows := self._all("SELECT rid, post_id, ckey FROM records WHERE rid > ? ORDER BY rid LIMIT ?",
                                (last, batch)):
            last = rows[-1][0]
            yield from ((rid, post_id, ckey or None) for rid, post_id, ckey in rows)

    def records_and_chunks(self, rids: list[int]) -> tuple[list[Record], list[Chunk]]:
        """These records (by row id) and their chunks, in corpus order: a sample, never the whole generation."""
        rids = sorted(set(rids))
        records: list[Record] = []
        chunks: list[Chunk] = []
        for part, marks in _in_parts(rids):
            records += [_record(r) for r in self._all(f"SELECT {_RECORD_COLS} FROM records WHERE rid IN ({marks}) "
                                                      "ORDER BY rid", part)]
            chunks += [_chunk(r) for r in self._all(f"SELECT {_CHUNK_FIELDS} {_CHUNK_FROM} WHERE c.rid IN "
                                                    f"({marks}) ORDER BY c.pos", part)]
        return records, chunks

    def iter_chunks(self, batch: int = 5000) -> Iterator[Chunk]:
        """Every chunk in order, a batch of rows at a time (never the whole generation at once)."""
        last = -1
        while True:
            rows = self._all(f"SELECT c.pos, {_CHUNK_FIELDS} {_CHUNK_FROM} WHERE c.pos > ? ORDER BY c.pos LIMIT ?",
                             (last, batch))
            if not rows:
                return
            last = rows[-1][0]
            for row in rows:
                yield _chunk(row[1:])

    def iter_records(self, batch: int = 5000) -> Iterator[Record]:
        last = 0
        while True:
            rows = self._all(f"SELECT rid, {_RECORD_COLS} FROM records WHERE rid > ? ORDER BY rid LIMIT ?",
                             (last, batch))
            if not rows:
                return
            last = rows[-1][0]
            for row in rows:
                yield _record(row[1:])

    def iter_chunk_ids(self, batch: int = 20000) -> Iterator[list[str]]:
        """The chunk ids in order, in lists of up to `batch`."""
        last = -1
        while True:
            rows = self._all("SELECT pos, chunk_id FROM chunks WHERE pos > ? ORDER BY pos LIMIT ?", (last, batch))
            if not rows:
                return
            last = rows[-1][0]
            yield [r[1] for r in rows]

    def close(self) -> None:
        with self._lock:
            self.db.close()
