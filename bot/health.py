"""`adoptbot health`: a container/orchestrator probe. Exit 0 only when the index is readable and the bot is alive.

The bot proves it is alive by rewriting a heartbeat file from a background loop; a hung event loop stops the
writes, so an old file means an unhealthy bot even when the process still exists.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from pathlib import Path
from typing import Any

from index.errors import UserError

log = logging.getLogger(__name__)
HEARTBEAT_FILE = "bot-heartbeat.json"


def heartbeat_path(db_dir: Path) -> Path:
    return Path(db_dir) / HEARTBEAT_FILE


def write_heartbeat(path: Path, **info: Any) -> None:
    """Atomically replace the heartbeat (a reader never sees half a file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"ts": time.time(), "pid": os.getpid(), **info}))
    os.replace(tmp, path)


def heartbeat_age(path: Path) -> float | None:
    """Seconds since the last heartbeat, None when there is none (or it is unreadable)."""
    try:
        ts = float(json.loads(path.read_text())["ts"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return max(0.0, time.time() - ts)


def check_index(db_dir: Path) -> str | None:
    """None when the live index opens and has a manifest; else what is wrong."""
    try:
        from index.store import LiveIndex

        idx = LiveIndex.open(Path(db_dir))
        manifest = idx.manifest
        idx.collection()  # readable means the vectors are there too (a Chroma server may be empty or down)
        close = getattr(idx, "close", None)
        if callable(close):
            close()
    except UserError as e:
        return str(e)
    except Exception as e:  # a probe reports, it never crashes
        return f"{type(e).__name__}: {e}"
    if not isinstance(manifest, dict):
        return "the live index has no manifest"
    return None


def cmd_health(args: argparse.Namespace) -> int:
    from bot.service import resolve_dirs

    _corpus, db = resolve_dirs(args)
    problems = []
    bad = check_index(db)
    if bad:
        problems.append(f"index: {bad}")
    if not args.no_bot:
        age = heartbeat_age(heartbeat_path(db))
        if age is None:
            problems.append(f"bot: no heartbeat in {heartbeat_path(db)} (is the bot running?)")
        elif age > args.max_age:
            problems.append(f"bot: last heartbeat {age:.0f} s ago (limit {args.max_age:.0f} s)")
    if problems:
        for p in problems:
            print(f"unhealthy: {p}", file=sys.stderr)
        return 1
    print("healthy")
    return 0
