"""The data folder's layout: the live pointer, generation folders and their manifests, names that must not drift.

    LIVE                      name of the live generation (replaced with os.replace: readers see old or new)
    generations/<n>/          manifest.json (written last), store.sqlite, lexical/, topics.json: one snapshot
    chroma/                   embedded Chroma (unused when CHROMA_HOST points at a server)
    chroma.writer             which process last wrote to embedded Chroma (readers reload only after another one did)
    embeddings.sqlite         content-hash -> vector cache, per model identity (only new text is embedded)
    instance_id               names this folder's collections (several folders may share one Chroma server)
    .build.lock               one writer at a time (fcntl; released by the kernel if the writer dies)

A generation never changes once its manifest is written, so readers open its files read-only without locks, and a
reader that opened them keeps reading them even after a later build prunes the folder (open files stay readable).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
import sqlite3
import uuid
from pathlib import Path
from typing import Any

from index.errors import UserError

log = logging.getLogger(__name__)

FORMAT = 2  # 1: records.jsonl, chunks.jsonl and a bm25s folder; 2: store.sqlite and lexical/ (read on demand)
LIVE = "LIVE"
GENERATIONS = "generations"
MANIFEST = "manifest.json"
CHROMA_DIR = "chroma"
CACHE_DB = "embeddings.sqlite"
LOCK_FILE = ".build.lock"
INSTANCE_FILE = "instance_id"
WRITER_FILE = "chroma.writer"


def fsync_dir(path: Path) -> None:
    """Make a rename durable: a pointer swap is only atomic on disk once its directory entry is synced."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_atomic(path: Path, data: str) -> None:
    """Write a file so that readers see the old content or the new one, never half of it."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    fsync_dir(path.parent)


def sqlite_uri(path: Path, readonly: bool = False) -> str:
    """An SQLite URI for a path (any characters); read-only ones are also immutable: a finished generation's files
    never change, so readers need no locks and write nothing next to them."""
    from urllib.parse import quote

    return f"file:{quote(str(Path(path).resolve()))}" + ("?mode=ro&immutable=1" if readonly else "")


def scratch_sqlite(path: Path) -> sqlite3.Connection:
    """A new SQLite file written in one go by one process: no journal, no syncs (a scratch table, or a file its
    writer fsyncs before anything names it)."""
    path.unlink(missing_ok=True)
    db = sqlite3.connect(str(path))
    db.execute("PRAGMA journal_mode=OFF")
    db.execute("PRAGMA synchronous=OFF")
    return db


def remove_tree(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)


def read_live_name(db_dir: Path) -> str | None:
    """The live generation's name, or None when nothing was ever built here."""
    try:
        name = (Path(db_dir) / LIVE).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    except OSError as e:
        raise UserError(f"cannot read the index pointer {Path(db_dir) / LIVE}: {e}") from None
    return name or None


def generation_dirs(db_dir: Path) -> list[Path]:
    root = Path(db_dir) / GENERATIONS
    if not root.is_dir():
        return []
    return sorted(p for p in root.iterdir() if p.is_dir())


def next_generation_name(db_dir: Path) -> str:
    nums = [int(p.name) for p in generation_dirs(db_dir) if p.name.isdigit()]
    live = read_live_name(db_dir)
    if live and live.isdigit():
        nums.append(int(live))
    return f"{max(nums, default=0) + 1:06d}"


def read_manifest(gen_dir: Path, *, any_format: bool = False) -> dict[str, Any]:
    """A generation's manifest; `any_format` also accepts older formats (pruning reads them, serving does not)."""
    try:
        m = json.loads((gen_dir / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UserError(f"the index in {gen_dir.parent.parent} is damaged: generation {gen_dir.name} has no "
                        "manifest; run `adoptbot index build` to rebuild it") from None
    except (OSError, ValueError) as e:
        raise UserError(f"the index in {gen_dir.parent.parent} is damaged: {gen_dir / MANIFEST} is "
                        f"unreadable ({e}); run `adoptbot index build` to rebuild it") from None
    if not isinstance(m, dict) or (m.get("format") != FORMAT and not (any_format and m.get("format") == 1)):
        old = isinstance(m, dict) and m.get("format") == 1
        raise UserError(f"the index in {gen_dir.parent.parent} has "
                        + ("the format of an older adoptbot" if old else "an unknown format")
                        + "; run `adoptbot index build` to rebuild it (vectors are kept, nothing is embedded again)")
    return m


def file_sizes(gen_dir: Path, names: list[str]) -> dict[str, int]:
    """Sizes of a generation's data files, recorded in its manifest: a truncated file is caught when it opens."""
    return {n: (gen_dir / n).stat().st_size for n in names}


def check_sizes(gen_dir: Path, manifest: dict[str, Any]) -> None:
    """Raise a UserError naming the first data file whose size differs from what the manifest recorded."""
    for name, size in (manifest.get("files") or {}).items():
        try:
            got = (gen_dir / name).stat().st_size
        except OSError:
            got = None
        if got != size:
            what = "is missing" if got is None else f"has {got} bytes, its manifest says {size}"
            raise UserError(f"the index in {gen_dir.parent.parent} is damaged: {gen_dir / name} {what}; run "
                            "`adoptbot index build` to rebuild it")


_INSTANCE_RE = re.compile(r"[0-9a-f]{10}")
COLLECTION_RE = re.compile(r"adoptbot-([0-9a-f]{10})-[0-9a-f]{16}")


def instance_id(db_dir: Path) -> str:
    """A random id per data folder, created once: it keeps folders apart on a shared Chroma server.

    A missing or damaged file is recovered from the generations' manifests (they record the collection they use),
    so the folder keeps its collections instead of starting a new one and orphaning the old vectors."""
    p = Path(db_dir) / INSTANCE_FILE
    try:
        v = p.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        v = ""
    except (OSError, UnicodeDecodeError) as e:
        log.warning("cannot read %s (%s); recovering it", p, e)
        v = ""
    if _INSTANCE_RE.fullmatch(v):
        return v
    recovered = _instance_from_manifests(Path(db_dir))
    if v or recovered:
        log.warning("%s was %s; %s", p, "damaged" if v else "missing",
                    f"recovered {recovered} from the index's manifests" if recovered else "starting a new one")
    v = recovered or uuid.uuid4().hex[:10]
    write_atomic(p, v + "\n")
    return v


def _instance_from_manifests(db_dir: Path) -> str | None:
    """The instance part of the collection the live generation (else the newest readable one) uses."""
    live = None
    try:
        live = read_live_name(db_dir)
    except UserError:
        pass
    dirs = generation_dirs(db_dir)
    ordered = [d for d in dirs if d.name == live] + sorted((d for d in dirs if d.name != live), reverse=True)
    for d in ordered:
        try:
            m = read_manifest(d, any_format=True)
        except UserError:
            continue
        found = COLLECTION_RE.fullmatch(str(m.get("collection", "")))
        if found:
            return found.group(1)
    return None


def chunking_key(chunking: dict[str, Any]) -> str:
    return json.dumps(chunking, sort_keys=True, separators=(",", ":"))


def collection_name(instance: str, model: str, chunking: dict[str, Any]) -> str:
    """One collection per (data folder, model identity, chunking): different models never share vectors."""
    h = hashlib.sha1(f"{model}\n{chunking_key(chunking)}".encode()).hexdigest()[:16]
    return f"adoptbot-{instance}-{h}"
