"""`adoptbot index build|status|verify`: the handlers bot/cli.py imports lazily (each returns an exit code)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any


def _db(args: argparse.Namespace) -> Path:
    from index.settings import paths

    return Path(args.db) if getattr(args, "db", None) else paths().data_dir


def _corpus(args: argparse.Namespace) -> Path:
    from index.settings import paths

    return Path(args.corpus) if getattr(args, "corpus", None) else paths().corpus_dir


def _progress() -> tuple[Callable[[str, int, int], None] | None, Callable[[], None]]:
    """tqdm bars on stderr when it is a terminal; nothing at all otherwise (logs and pipes stay clean)."""
    if not sys.stderr.isatty():
        return None, lambda: None
    from tqdm import tqdm

    bars: dict[str, Any] = {}
    labels = {"embed": "embedding", "store": "storing", "chunk": "chunking"}

    def progress(stage: str, done: int, total: int) -> None:
        if stage not in labels or total <= 0:
            return
        bar = bars.get(stage)
        if bar is None:
            bar = bars[stage] = tqdm(total=total, desc=labels[stage], unit="chunk" if stage != "chunk" else "rec",
                                     file=sys.stderr, leave=False)
        bar.n = done
        bar.refresh()

    def close() -> None:
        for b in bars.values():
            b.close()

    return progress, close


def cmd_build(args: argparse.Namespace) -> int:
    from index.build import build_index

    progress, close = _progress()
    try:
        report = build_index(_corpus(args), _db(args), progress=progress, full=bool(getattr(args, "full", False)))
    finally:
        close()
    if args.json:
        print(json.dumps(report.to_json()))
        return 0
    state = f"generation {report.generation} live" if report.swapped else "unchanged, nothing to swap"
    print(f"added {report.added}, updated {report.updated}, removed {report.removed}, unchanged "
          f"{report.unchanged}; embedded {report.embedded} of {report.chunks} chunks from {report.files} files "
          f"in {report.seconds:.2f} s ({state})")
    for w in report.warnings[:20]:
        print(f"  warning: {w}")
    if len(report.warnings) > 20:
        print(f"  ... {len(report.warnings) - 20} more warnings (see `adoptbot corpus check`)")
    return 0


def status(db_dir: Path) -> dict[str, Any]:
    """What is live, from the manifest alone (no model, no Chroma): cheap enough for health checks."""
    from index.store import LiveIndex

    live = LiveIndex.open(db_dir)
    m = live.manifest
    return {
        "db": str(db_dir),
        "generation": live.generation,
        "built_at": m.get("built_at"),
        "model": m.get("model"),
        "dim": m.get("dim"),
        "chunking": m.get("chunking"),
        "collection": m.get("collection"),
        "counts": m.get("counts"),
        "corpus_dir": m.get("corpus_dir"),
        # pages that gave records; files that gave none (binary, empty, unreadable) are listed apart, with why
        "corpus_files": [f["name"] for f in m.get("corpus_files", []) if f.get("records", 1)],
        "unread_files": [{"name": f["name"], "problem": f.get("problem") or f"no records ({f.get('shape')})"}
                         for f in m.get("corpus_files", []) if not f.get("records", 1)],
        "last_build": m.get("last_build"),
    }


def cmd_status(args: argparse.Namespace) -> int:
    s = status(_db(args))
    if args.json:
        print(json.dumps(s))
        return 0
    c = s["counts"] or {}
    print(f"live generation {s['generation']} built {s['built_at']} in {s['db']}")
    print(f"  model     {s['model']} (dim {s['dim']}), chunks of at most {s['chunking']['max_tokens']} tokens")
    print(f"  records   {c.get('records')} ({c.get('posts')} posts, {c.get('comments')} comments), "
          f"{c.get('chunks')} chunks")
    print(f"  corpus    {len(s['corpus_files'])} pages from {s['corpus_dir']}")
    for name in s["corpus_files"]:
        print(f"            {name}")
    if s["unread_files"]:
        print(f"  not read  {len(s['unread_files'])} files gave no records (`adoptbot corpus check` says more)")
        for f in s["unread_files"]:
            print(f"            {f['name']}: {f['problem']}")
    return 0


def _verify_corpus(args: argparse.Namespace, db: Path) -> tuple[Path | None, str | None]:
    """The corpus to compare with: --corpus, else the folder the live index was built from (its manifest says),
    else the configured one; (None, why) when there is none to compare with."""
    if getattr(args, "corpus", None):
        return Path(args.corpus), None
    from index.store import LiveIndex

    recorded = LiveIndex.open(db).manifest.get("corpus_dir")
    corpus = Path(recorded) if recorded else _corpus(args)
    if corpus.is_dir():
        return corpus, None
    return None, (f"corpus not compared: {corpus}, the folder the index was built from, is gone; pass --corpus DIR"
                  if recorded else f"corpus not compared: no corpus folder {corpus}; pass --corpus DIR")


def cmd_verify(args: argparse.Namespace) -> int:
    from index.build import verify_index

    db = _db(args)
    corpus, why_not = _verify_corpus(args, db)
    result = verify_index(db, corpus)
    if why_not:
        result["note"] = why_not
    if args.json:
        print(json.dumps(result))
    else:
        for name, ok, detail in result["checks"]:
            print(f"{'ok  ' if ok else 'FAIL'} {name}: {detail}")
        if why_not:
            print(f"skip {why_not}")
        print("index verified" if result["ok"] else "index has problems (see FAIL lines); run `adoptbot index "
              "build` (add --full if vectors are wrong)")
    if not result["ok"]:
        return 1
    return 0
