"""Placeholder reader: the whole page is one post. Replaced by the real reader (issue 2)."""

from __future__ import annotations

import hashlib
from pathlib import Path

from index.errors import UserError
from index.models import ParsedPage, Record

CORPUS_SUFFIXES = (".txt", ".xml", ".html")


def parse_bytes(data: bytes, name: str) -> ParsedPage:
    text = data.decode("utf-8", errors="replace")
    pid = hashlib.sha1(name.encode()).hexdigest()[:16]
    rec = Record(post_id=pid, comment_id=None, kind="post", author=None, date=None, text=text.strip(),
                 post_title=Path(name).stem, source_file=name, line=1)
    return ParsedPage(file=name, records=[rec], shape="plain")


def parse_file(path: Path | str) -> ParsedPage:
    p = Path(path)
    return parse_bytes(p.read_bytes(), p.name)


def read_corpus(corpus_dir: Path | str) -> list[ParsedPage]:
    d = Path(corpus_dir)
    if not d.is_dir():
        raise UserError(f"corpus folder {d} does not exist")
    return [parse_file(p) for p in sorted(d.iterdir()) if p.suffix in CORPUS_SUFFIXES]
