"""From a file (or uploaded bytes) to records: decoding, shape detection, sidecars, stable ids, de-duplication.

Never raises for bad content: a page that cannot be read becomes a ParsedPage with no records and a warning that
names the file (and line), so one bad page never stops a reindex.
"""

from __future__ import annotations

import hashlib
import logging
import re
import tomllib
from pathlib import Path
from typing import Any

from index.corpus import lines as L
from index.corpus.dates import parse_date_value
from index.corpus.decode import decode
from index.corpus.text import Segment, fold, join_wrapped, parse_text_page
from index.corpus.wxr import looks_like_wxr, parse_wxr
from index.errors import UserError
from index.models import ParsedPage, Record, Warning_

log = logging.getLogger(__name__)

CORPUS_SUFFIXES = (".txt", ".text", ".md", ".html", ".htm", ".xml")
META_SUFFIX = ".meta.toml"
META_FIELDS = {"title", "author", "url", "date", "post_only"}


def page_types() -> str:
    """The accepted page types in words, from CORPUS_SUFFIXES: the one list the docs and messages repeat."""
    text = [s for s in CORPUS_SUFFIXES if s != ".xml"]
    return ", ".join(text) + " or a WordPress export (.xml)"


def _hash(*parts: str) -> str:
    return hashlib.sha1("\x1f".join(parts).encode("utf-8")).hexdigest()[:16]


def derive_title(text: str, limit: int = 72) -> str:
    """A short readable title from a post: its first sentence, cut at a word boundary."""
    first = fold(text.split("\n", 1)[0]).lstrip("*#>- ")
    m = re.match(r"^(.+?[.!?])(?:\s|$)", first)
    s = m.group(1) if m else first
    if len(s) > limit:
        s = s[:limit].rsplit(" ", 1)[0].rstrip(",;:–—- ") + "…"
    return s or "Untitled post"


def meta_path(page: Path) -> Path:
    return page.with_name(page.name.rsplit(".", 1)[0] + META_SUFFIX)


def _link_outside(p: Path) -> str | None:
    """Where a symlinked page points when that is outside its own folder (`ln -s /etc/passwd corpus/x.txt` must
    never be indexed and quoted), else None."""
    if not p.is_symlink():
        return None
    try:
        target = p.resolve(strict=False)
        folder = p.parent.resolve(strict=False)
    except (OSError, RuntimeError):  # a symlink loop
        return "itself (a symlink loop)"
    return None if target.is_relative_to(folder) else str(target)


def read_meta(page: Path, warnings: list[Warning_]) -> dict[str, Any]:
    """The admin's sidecar (title, author, url, date); a broken one is a warning with its line, never fatal."""
    p = meta_path(page)
    if not p.exists():
        return {}
    if _link_outside(p):
        warnings.append(Warning_(p.name, "sidecar ignored: a symlink to a file outside the corpus folder"))
        return {}
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        warnings.append(Warning_(p.name, "sidecar ignored: it is not UTF-8 text; save it as UTF-8"))
        return {}
    except tomllib.TOMLDecodeError as e:
        m = re.search(r"line (\d+)", str(e))
        warnings.append(Warning_(p.name, f"sidecar ignored: {e}. Each line is `field = \"text in double quotes\"` "
                                 "(fields: " + ", ".join(sorted(META_FIELDS)) + "); fix that line or delete the file",
                                 int(m.group(1)) if m else None))
        return {}
    except OSError as e:
        warnings.append(Warning_(p.name, f"sidecar ignored: cannot read it ({e.strerror or e})"))
        return {}
    unknown = set(data) - META_FIELDS
    if unknown:
        warnings.append(Warning_(p.name, f"unknown sidecar fields ignored: {', '.join(sorted(unknown))} (known: "
                                 + ", ".join(sorted(META_FIELDS)) + ")"))
    meta: dict[str, Any] = {k: str(v) for k, v in data.items() if k in META_FIELDS - {"post_only"} and v}
    if "post_only" in data:
        if isinstance(data["post_only"], bool):
            meta["post_only"] = data["post_only"]
        else:
            warnings.append(Warning_(p.name, f"post_only = {data['post_only']!r} ignored: write post_only = true "
                                     "(or false), without quotes"))
    return meta


def orphan_sidecars(corpus_dir: Path | str) -> list[Warning_]:
    """Sidecars whose page is missing (renamed, removed, or of a type the reader skips): said, not silently ignored."""
    d = Path(corpus_dir)
    try:
        entries = sorted(d.iterdir())
    except OSError:
        return []
    pages = {p.name.rsplit(".", 1)[0] for p in list_pages(d)}
    out = []
    for p in entries:
        stem = p.name[: -len(META_SUFFIX)]
        if p.name.endswith(META_SUFFIX) and not p.name.startswith(".") and stem not in pages:
            out.append(Warning_(p.name, f"sidecar with no page ({stem} with one of {', '.join(CORPUS_SUFFIXES)}); "
                                "ignored: rename it like its page, or delete it"))
    return out


class _Ids:
    """Stable comment ids: the same text in the same post always gets the same id; two different comments that
    happen to share a text (two people saying 'Great post!') get ids that also cover author and date."""

    def __init__(self, post_id: str) -> None:
        self.post_id = post_id
        self.seen: set[str] = set()

    def make(self, text: str, author: str | None, date: str | None) -> str:
        cid = _hash(self.post_id, fold(text))
        if cid in self.seen:
            cid = _hash(self.post_id, fold(text), author or "", date or "")
            k = 2
            while cid in self.seen:
                cid = _hash(self.post_id, fold(text), author or "", date or "", str(k))
                k += 1
        self.seen.add(cid)
        return cid


def _dedupe(comments: list[Segment], texts: list[str], name: str, page: ParsedPage) -> list[tuple[Segment, str]]:
    """One record per distinct comment: a repeat (same text; same author, or no name on one side) merges into the
    first, keeping whichever side carries the evidence, and the page says so (a scraper that doubled a thread)."""
    out: list[tuple[Segment, str]] = []
    index: dict[str, list[int]] = {}
    for seg, text in zip(comments, texts, strict=True):
        key = fold(text).casefold()
        merged = False
        for k in index.get(key, []):
            other, _ = out[k]
            same_date = not (other.date and seg.date) or other.date[:10] == seg.date[:10]
            if (other.author == seg.author or not other.author or not seg.author) and same_date:
                if not other.author and seg.author:
                    other.author, other.author_source = seg.author, seg.author_source
                other.date = other.date or seg.date
                merged = True
                where = f"line {other.line}" if other.line else f"comment {k + 1}"
                page.warnings.append(Warning_(name, f"a repeat of the comment at {where} (same text): merged into it",
                                              seg.line))
                break
        if not merged:
            index.setdefault(key, []).append(len(out))
            out.append((seg, text))
    return out


def _page_from_text(text: str, name: str, meta: dict[str, Any], page: ParsedPage) -> None:
    parsed = parse_text_page(text)
    page.shape = parsed.shape
    page.dropped = parsed.dropped
    for line, msg in parsed.notes:
        page.warnings.append(Warning_(name, msg, line))
    post_text = join_wrapped(parsed.post.lines)
    title = meta.get("title") or derive_title(post_text or name)
    url = meta.get("url")
    post_id = _hash("post", url or Path(name).stem)
    author, source = parsed.post.author, parsed.post.author_source
    if meta.get("author"):
        author, source = meta["author"], "post_metadata"
    post_date = parse_date_value(meta["date"]) if meta.get("date") else parsed.post.date
    if meta.get("date") and not post_date:
        page.warnings.append(Warning_(name, f"sidecar date {meta['date']!r} is not a date; ignored"))
    common = dict(post_title=title, post_url=url, source_file=name)
    if post_text:
        page.records.append(
            Record(post_id, None, "post", author, post_date, post_text, source, line=parsed.post.line, **common)
        )
    else:
        page.warnings.append(Warning_(name, "no post text found before the comments"))
    texts = [join_wrapped(c.lines) for c in parsed.comments]
    ids = _Ids(post_id)
    for seg, ctext in _dedupe(parsed.comments, texts, name, page):
        cid = ids.make(ctext, seg.author, seg.date)
        page.records.append(
            Record(post_id, cid, "comment", seg.author, seg.date, ctext, seg.author_source, line=seg.line, **common)
        )
    note_comments(meta, name, page)


def note_comments(meta: dict[str, Any], name: str, page: ParsedPage) -> None:
    """A page with no comment is worth a warning unless its sidecar says it has none (any reader: text, HTML)."""
    if meta.get("post_only"):
        if page.comments:
            page.warnings.append(Warning_(name, f"the sidecar says post_only = true, but {len(page.comments)} "
                                          "comments were recognised (indexed); remove post_only if they are real"))
    elif not page.comments:
        page.warnings.append(Warning_(name, "no comments recognised: indexed as a post alone (if the page has no "
                                      "comment thread, add post_only = true to its .meta.toml)"))


def _page_from_wxr(text: str, name: str, meta: dict[str, Any], page: ParsedPage) -> None:
    page.shape = "wxr"
    try:
        posts = parse_wxr(text)
    except Exception as e:  # defusedxml raises its own types for entity tricks; ParseError carries a position
        pos = getattr(e, "position", None)
        page.warnings.append(Warning_(name, f"unreadable WordPress export: {e}", pos[0] if pos else None))
        return
    if not posts:
        page.warnings.append(Warning_(name, "WordPress export holds no published posts"))
    for p in posts:
        post_id = _hash("post", p.url or f"{Path(name).stem}#{p.wp_id}")
        title = (meta.get("title") if len(posts) == 1 else None) or p.title or derive_title(p.text)
        author = L.clean_author(p.author)
        common = dict(post_title=title, post_url=p.url, source_file=name)
        if p.text:
            page.records.append(
                Record(post_id, None, "post", author, p.date, p.text, "export" if author else None, **common)
            )
        ids = _Ids(post_id)
        segs = [Segment([], L.clean_author(c.author), "export" if L.clean_author(c.author) else None, c.date)
                for c in p.comments]
        for seg, ctext in _dedupe(segs, [c.text for c in p.comments], name, page):
            cid = ids.make(ctext, seg.author, seg.date)
            page.records.append(Record(post_id, cid, "comment", seg.author, seg.date, ctext, seg.author_source,
                                       **common))


def _xml_problem(text: str, name: str) -> Warning_:
    """Why an XML file that is not recognisably a WordPress export is not read: broken XML (often a download cut
    short, which hides the export's header too) or well-formed XML of another kind."""
    from defusedxml import ElementTree

    try:
        root = ElementTree.fromstring(text)
    except Exception as e:  # ParseError carries a position; defusedxml raises its own types for entity tricks
        pos = getattr(e, "position", None)
        return Warning_(name, f"XML that does not parse ({e}): cut short or broken, not read", pos[0] if pos else None)
    tag = str(root.tag).rsplit("}", 1)[-1]
    return Warning_(name, f"XML with a <{tag}> root, not a WordPress export (WXR): not read")


def parse_bytes(data: bytes, name: str, meta: dict[str, Any] | None = None, max_bytes: int | None = None) -> ParsedPage:
    """Parses one page's bytes; `meta` is the sidecar's fields (title, author, url, date) if there is one."""
    page = ParsedPage(file=name)
    meta = dict(meta or {})
    dec = decode(data, max_bytes=max_bytes)
    if dec.text is None:
        page.shape = "unreadable"
        page.warnings.append(Warning_(name, dec.problem or "unreadable"))
        return page
    if dec.note:
        page.warnings.append(Warning_(name, dec.note))
    text = dec.text.replace("\r\n", "\n").replace("\r", "\n").replace("\ufeff", "")
    if looks_like_wxr(text):
        _page_from_wxr(text, name, meta, page)
        return page
    if name.lower().endswith((".html", ".htm")) or re.match(r"\s*<(?:!doctype html|html)", text, re.I):
        from index.corpus.html import page_from_html

        page_from_html(text, name, meta, page)
        return page
    if text.lstrip().startswith("<?xml"):
        page.shape = "unknown"
        page.warnings.append(_xml_problem(text, name))
        return page
    _page_from_text(text, name, meta, page)
    return page


def _max_bytes() -> int:
    from index.settings import CorpusSettings

    return int(CorpusSettings().max_file_mb * 1e6)


def parse_file(path: Path | str, max_bytes: int | None = None) -> ParsedPage:
    """Parses a page on disk with its sidecar; unreadable files come back as a page with a warning."""
    p = Path(path)
    warnings: list[Warning_] = []
    limit = _max_bytes() if max_bytes is None else max_bytes
    outside = _link_outside(p)
    if outside:
        page = ParsedPage(file=p.name, shape="unreadable")
        page.warnings.append(Warning_(p.name, f"refused: a symlink to {outside}, outside the corpus folder"))
        return page
    try:
        size = p.stat().st_size
        if size > limit:
            page = ParsedPage(file=p.name, shape="unreadable")
            page.warnings.append(
                Warning_(p.name, f"too large ({size / 1e6:.1f} MB; the limit is {limit / 1e6:.0f} MB, "
                                 "set ADOPTBOT_CORPUS_MAX_FILE_MB to raise it)")
            )
            return page
        data = p.read_bytes()
    except OSError as e:
        page = ParsedPage(file=p.name, shape="unreadable")
        page.warnings.append(Warning_(p.name, f"cannot read: {e.strerror or e}"))
        return page
    meta = read_meta(p, warnings)
    page = parse_bytes(data, p.name, meta, max_bytes=limit)
    page.warnings[:0] = warnings
    return page


def list_pages(corpus_dir: Path | str) -> list[Path]:
    """The page files of a corpus folder (sidecars, hidden files and unknown types are not pages)."""
    d = Path(corpus_dir)
    if not d.is_dir():
        raise UserError(f"corpus folder {d} does not exist (or is not a folder): pass --corpus DIR")
    try:
        entries = sorted(d.iterdir())
    except OSError as e:
        raise UserError(f"corpus folder {d} cannot be read: {e.strerror or e}") from e
    return [p for p in entries if p.is_file() and not p.name.startswith(".") and p.suffix.lower() in CORPUS_SUFFIXES
            and not p.name.endswith(META_SUFFIX)]


def read_corpus(corpus_dir: Path | str) -> list[ParsedPage]:
    """Every page in the folder; a bad page is a ParsedPage with warnings, never an exception."""
    return [parse_file(p) for p in list_pages(corpus_dir)]
