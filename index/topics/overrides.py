"""The admins' corrections in prompts/topics.toml (rename, merge, add), applied at every listing, no rebuild.

Lines refer to a topic by its key (stable across rebuilds: see index/topics/keys.py) or its current name.
"""

from __future__ import annotations

import logging
import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from index.errors import UserError
from index.topics.model import Topic, slug

log = logging.getLogger(__name__)


def load_overrides(path: Path | None) -> dict[str, Any]:
    """Read prompts/topics.toml; a broken file is a UserError naming the file and the problem."""
    if path is None or not Path(path).exists():
        return {}
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise UserError(f"{path}: not valid TOML ({e})") from e
    rename = data.get("rename", {})
    merge = data.get("merge", [])
    add = data.get("add", [])
    if not isinstance(rename, dict) or not all(isinstance(v, str) for v in rename.values()):
        raise UserError(f"{path}: [rename] must map a topic key or name to a new name (strings)")
    if not isinstance(merge, list) or not all(
        isinstance(m, dict) and isinstance(m.get("into"), str) and isinstance(m.get("topics"), list) for m in merge
    ):
        raise UserError(f'{path}: each [[merge]] needs into = "New name" and topics = ["key or name", ...]')
    if not isinstance(add, list) or not all(
        isinstance(a, dict) and isinstance(a.get("name"), str) and (a.get("query") or a.get("words")) for a in add
    ):
        raise UserError(f'{path}: each [[add]] needs name = "..." and a query = "..." or words = [...]')
    return {"rename": rename, "merge": merge, "add": add}


def _find(topics: Sequence[Topic], ref: str) -> Topic | None:
    r = ref.strip().casefold()
    for t in topics:
        if t.key.casefold() == r or t.name.casefold() == r or slug(t.name) == slug(ref):
            return t
    return None


def apply_overrides(topics: Sequence[Topic], overrides: dict[str, Any]) -> list[Topic]:
    """Merge first (by key or name), then rename, then add; unknown references are logged, never fatal: a line
    about a topic the corpus no longer has must not take the bot down."""
    out = list(topics)
    for m in overrides.get("merge", []):
        parts = [t for ref in m["topics"] if (t := _find(out, str(ref)))]
        missing = [ref for ref in m["topics"] if not _find(out, str(ref))]
        if missing:
            log.warning("topics.toml: merge into %r: no topic %s", m["into"], ", ".join(map(repr, missing)))
        if not parts:
            continue
        members = sorted({mm for t in parts for mm in t.members}, key=lambda mm: -mm[2])
        words = tuple(dict.fromkeys(w for t in parts for w in t.words))[:5]
        merged = Topic(key=slug(m["into"]), name=m["into"], size=sum(t.size for t in parts), words=words,
                       members=tuple(members))
        first = out.index(parts[0])
        out = [t for t in out if t not in parts]
        out.insert(min(first, len(out)), merged)
    for ref, new in overrides.get("rename", {}).items():
        t = _find(out, ref)
        if t is None:
            log.warning("topics.toml: rename: no topic %r", ref)
            continue
        out[out.index(t)] = Topic(key=t.key, name=new, size=t.size, words=t.words, members=t.members, query=t.query)
    for a in overrides.get("add", []):
        words = tuple(str(w) for w in a.get("words") or ())
        query = str(a.get("query") or " ".join(words))
        out.append(Topic(key=slug(a["name"]), name=a["name"], size=int(a.get("size", 0)), words=words, query=query))
    return out
