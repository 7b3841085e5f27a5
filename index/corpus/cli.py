"""`adoptbot corpus parse` and `adoptbot corpus check`: the reader as other tools and admins use it."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from index.errors import UserError


def cmd_parse(args: argparse.Namespace) -> int:
    """JSON Lines of records (a contract the scorers rely on); warnings go to stderr, naming the file."""
    from index.corpus import parse_file

    status = 0
    out = sys.stdout
    for f in args.files:
        p = Path(f)
        if not p.is_file():
            raise UserError(f"{f}: no such file")
        page = parse_file(p)
        for w in page.warnings:
            print(f"warning: {w}", file=sys.stderr)
        if not page.records:
            status = 1
        for r in page.records:
            if args.json:
                out.write(json.dumps(r.to_json(), ensure_ascii=False) + "\n")
            else:
                who = r.author or ("(post author unknown)" if r.kind == "post" else "a commenter")
                head = f"[{r.kind}] {who}" + (f", {r.date}" if r.date else "") + f"  ({r.source_file}:{r.line})"
                out.write(head + "\n  " + r.text.replace("\n", "\n  ") + "\n\n")
    return status


def _check_targets(args: argparse.Namespace) -> tuple[list[Path], list[str]]:
    """The pages to check (files as given, folders' pages) and the problems seen beside them (orphan sidecars)."""
    from index.corpus import list_pages
    from index.corpus.reader import CORPUS_SUFFIXES, META_SUFFIX, orphan_sidecars, page_types
    from index.settings import paths

    given = list(args.paths or []) or [args.corpus or paths().corpus_dir]
    pages: list[Path] = []
    notes: list[str] = []
    for g in given:
        p = Path(g)
        if p.is_dir():
            pages += list_pages(p)
            notes += [str(w) for w in orphan_sidecars(p)]
        elif p.is_file():
            if p.name.endswith(META_SUFFIX):
                raise UserError(f"{g} is a sidecar; check its page instead (the sidecar is read with it)")
            if p.suffix.lower() not in CORPUS_SUFFIXES:
                raise UserError(f"{g} is not a page adoptbot reads ({page_types()})")
            pages.append(p)
        else:
            raise UserError(f"{g}: no such file or folder")
    return pages, notes


def cmd_check(args: argparse.Namespace) -> int:
    """A table per file so an admin can decide whether a page is ready to index."""
    from index.corpus import parse_file

    targets, notes = _check_targets(args)
    rows = []
    for p in targets:
        page = parse_file(p)
        comments = page.comments
        named = sum(1 for c in comments if c.author)
        rows.append({
            "file": p.name,
            "shape": page.shape,
            "posts": len(page.posts),
            "comments": len(comments),
            "attributed": round(named / len(comments), 3) if comments else None,
            "warnings": [str(w) for w in page.warnings],
        })
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        for msg in notes:
            print(f"warning: {msg}", file=sys.stderr)
        return 0
    if not rows:
        print(f"{', '.join(str(g) for g in args.paths or [args.corpus or 'the corpus folder'])}: no pages found")
        for msg in notes:
            print(f"    ! {msg}")
        return 1
    w = max(len(r["file"]) for r in rows)
    print(f"{'file':<{w}}  {'shape':<11} {'posts':>5} {'comments':>8} {'attributed':>10}  warnings")
    for r in rows:
        att = f"{r['attributed']:.0%}" if r["attributed"] is not None else "-"
        print(f"{r['file']:<{w}}  {r['shape']:<11} {r['posts']:>5} {r['comments']:>8} {att:>10}  {len(r['warnings'])}")
        for msg in r["warnings"]:
            print(f"    ! {msg}")
    for msg in notes:
        print(f"! {msg}")
    return 0
