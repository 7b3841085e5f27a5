"""The embedding cache: each text is embedded once per model identity, whatever builds, folders or servers follow."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from index.errors import UserError

log = logging.getLogger(__name__)

_IN_LIMIT = 500  # host parameters per IN (...) query: far below SQLite's limit, large enough to be cheap


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
        """The cached vectors among `hashes`; a damaged cache reads as empty (it only costs re-embedding)."""
        out: dict[str, np.ndarray] = {}
        hs = list(dict.fromkeys(hashes))
        for i in range(0, len(hs), _IN_LIMIT):
            part = hs[i : i + _IN_LIMIT]
            marks = ",".join("?" * len(part))
            q = f"SELECT content_hash, dim, vec FROM vectors WHERE model = ? AND content_hash IN ({marks})"
            try:
                rows = self.db.execute(q, [model, *part]).fetchall()
            except sqlite3.DatabaseError as e:
                log.warning("the embedding cache %s is damaged (%s); reading vectors from elsewhere", self.path, e)
                return out
            for h, dim, blob in rows:
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
