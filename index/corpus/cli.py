"""`adoptbot corpus parse` and `adoptbot corpus check`: the reader as other tools and admins use it."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from index.errors import UserError

if TYPE_CHECKING:
    from index.models import ParsedPage


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
    rows = [page_row(p.name, parse_file(p)) for p in targets]
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
    print_rows(rows)
    for msg in notes:
        print(f"! {msg}")
    return 0


def page_row(name: str, page: ParsedPage) -> dict[str, Any]:
    """One page as `corpus check` reports it: how it was read, what it holds, what looked wrong."""
    comments = page.comments
    named = sum(1 for c in comments if c.author)
    return {
        "file": name,
        "shape": page.shape,
        "posts": len(page.posts),
        "comments": len(comments),
        "attributed": round(named / len(comments), 3) if comments else None,
        "warnings": [str(w) for w in page.warnings],
    }


def print_rows(rows: list[dict[str, Any]]) -> None:
    w = max(len(r["file"]) for r in rows)
    sw = max(11, *(len(r["shape"]) for r in rows))
    print(f"{'file':<{w}}  {'shape':<{sw}} {'posts':>5} {'comments':>8} {'attributed':>10}  warnings")
    for r in rows:
        att = f"{r['attributed']:.0%}" if r["attributed"] is not None else "-"
        print(f"{r['file']:<{w}}  {r['shape']:<{sw}} {r['posts']:>5} {r['comments']:>8} {att:>10}  "
              f"{len(r['warnings'])}")
        for msg in r["warnings"]:
            print(f"    ! {msg}")


def cmd_fetch(args: argparse.Namespace) -> int:
    """Downloads pages into the corpus folder (never overwriting), then reports each as `corpus check` does."""
    from index.corpus.fetch import FetchError
    from index.corpus.intake import preview_url, save_page
    from index.settings import paths

    d = Path(args.corpus) if getattr(args, "corpus", None) else paths().corpus_dir
    rows: list[dict[str, Any]] = []
    failed = 0
    for url in args.urls:
        try:
            pre = preview_url(url)
        except FetchError as e:
            failed += 1
            print(f"adoptbot: {e}", file=sys.stderr)
            rows.append({"url": url, "error": e.kind, "message": str(e)})
            continue
        saved = save_page(d, pre.fetched.data, pre.name, pre.meta)
        row = page_row(saved.name, pre.page)
        row.update(url=pre.fetched.url, saved=not saved.existed)
        if saved.existed:
            row["warnings"].insert(0, f"{saved.name}: already in the corpus (same bytes): not saved again")
        rows.append(row)
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
    else:
        good = [r for r in rows if "error" not in r]
        if good:
            print_rows(good)
            print(f"saved in {d}; run `adoptbot index build` (or /reindex) to index "
                  f"{'them' if len(good) > 1 else 'it'}")
    return 1 if failed else 0
