"""The Topic record and its file, `<generation>/topics.json`: what a build derives and every look-up reads."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from index.errors import UserError

TOPICS_FILE = "topics.json"
FORMAT = 1

Member = tuple[str, str | None, float]  # (post_id, comment_id, similarity to the topic's centre)


@dataclass(frozen=True)
class Topic:
    """One topic as listed to users: a stable key, a display name, how many records it holds, its words."""

    key: str
    name: str
    size: int
    words: tuple[str, ...] = ()
    # (post_id, comment_id, similarity to the topic's centre), best first; empty for a query-defined topic
    members: tuple[Member, ...] = field(default=(), repr=False, compare=False)
    query: str | None = None  # an admin-added topic is answered as this question

    def to_json(self) -> dict[str, Any]:
        return {"key": self.key, "name": self.name, "size": self.size, "words": list(self.words)}


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.casefold()).strip("-")


def save_topics(topics: Sequence[Topic], out_dir: Path, *, subject: np.ndarray | None = None) -> Path:
    """Write topics.json; `subject` (the corpus' mean record vector) rides along for the refusal gate."""
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / TOPICS_FILE
    data: dict[str, Any] = {
        "format": FORMAT,
        "topics": [{**t.to_json(), "members": [list(m) for m in t.members]} for t in topics],
    }
    if subject is not None:
        data["subject"] = [round(float(v), 6) for v in subject]
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    tmp.replace(path)
    return path


def load_topics(out_dir: Path) -> list[Topic] | None:
    """The derived topics of a generation, or None when it has none (built before topics existed)."""
    path = Path(out_dir) / TOPICS_FILE
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return [
            Topic(key=t["key"], name=t["name"], size=int(t["size"]), words=tuple(t.get("words") or ()),
                  members=tuple((m[0], m[1], float(m[2])) for m in t.get("members") or ()))
            for t in data.get("topics", [])
        ]
    except (OSError, ValueError, KeyError, TypeError, IndexError, AttributeError) as e:
        raise _damaged(path, e) from None


def load_subject(out_dir: Path) -> np.ndarray | None:
    """The corpus' subject direction saved with the topics, or None (older generation, or no topics.json)."""
    path = Path(out_dir) / TOPICS_FILE
    if not path.exists():
        return None
    try:
        v = json.loads(path.read_text(encoding="utf-8")).get("subject")
        return np.asarray(v, dtype=np.float32) if v else None
    except (OSError, ValueError, TypeError, AttributeError) as e:
        raise _damaged(path, e) from None


def _damaged(path: Path, e: Exception) -> Exception:
    return UserError(f"the topics file {path} is damaged ({type(e).__name__}: {e}); run `adoptbot index build`")
