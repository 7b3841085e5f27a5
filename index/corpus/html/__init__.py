"""HTML pages read by their structure: which engine's comment markup the page carries (WordPress, Blogger, TypePad,
Disqus), who wrote each comment, when, and which comment it answers. Pages with no known markup fall back to the
text reader, on the text a reader of the page sees (never its scripts, hidden elements, forms or navigation).

Public: read_html(html) -> HtmlRead, and page_from_html(...) which the corpus reader calls for .html pages.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from index.corpus import lines as L
from index.corpus.html import blogger, disqus, dom, typepad, wordpress
from index.corpus.html.meta import page_meta
from index.corpus.html.thread import Found

if TYPE_CHECKING:
    from selectolax.lexbor import LexborHTMLParser, LexborNode

    from index.models import ParsedPage

# Tried in this order; the engine that finds the most comments wins (ties go to the earlier, more specific one).
ENGINES = (disqus, blogger, typepad, wordpress)
GENERIC_POST = ("[itemprop=articleBody]", ".entry-content", ".post-body", ".entry-body", ".post-content",
                ".article-content", ".article-body", "article .entry", ".entry", "article", "main", "#content")
COMMENT_AREAS = frozenset({"comments", "commentlist", "comment-list", "comments-block", "comments-area",
                           "disqus_thread", "wp-block-comments", "comments-content", "post-list", "comment-thread"})
_BYLINE_LINE = re.compile(r"(?i)^\s*(?:posted|written)\s+by\b.{0,80}?(?:\s(?:in|at|on)\s.*)?$")


@dataclass
class HtmlRead:
    """What an HTML page holds, before records and ids."""

    engine: str | None  # None: no known comment markup (see fallback_text)
    meta: dict[str, str]
    post_lines: list[str] = field(default_factory=list)
    post_quoted: list[str] = field(default_factory=list)
    comments: list[Found] = field(default_factory=list)
    fallback_text: str = ""
    removed: dict[str, int] = field(default_factory=dict)  # never-text elements taken out, by reason
    id_lines: dict[str, int] = field(default_factory=dict)


def _is_comment_area(node: LexborNode) -> bool:
    attrs = node.attributes
    if (attrs.get("id") or "").lower() in COMMENT_AREAS:
        return True
    return any(c in COMMENT_AREAS for c in dom.classes(node))


def _post_lines(doc: LexborHTMLParser, selectors: tuple[str, ...], containers: set[int]) -> dom.Text:
    """The post's own text: the first post container outside the comments (the comments are cut out of it when
    a theme puts them inside), else the page body without its comment area, header and footer."""
    skip = lambda n: n.mem_id in containers or _is_comment_area(n)  # noqa: E731
    for sel in selectors:
        for node in doc.css(sel)[:50]:
            if skip(node) or any(skip(a) for a in dom.ancestors(node)):
                continue
            text = dom.visible_text(node, skip=lambda n: skip(n) or _chrome(n))
            if text.lines:
                return text
    body = doc.body
    if body is None:
        return dom.Text()
    return dom.visible_text(body, skip=lambda n: skip(n) or _chrome(n))


# Page chrome around the writing: the site's banner and footer, and the post's own meta lines (its date and byline
# are read into the page's metadata first).
CHROME_IDS = frozenset({"header", "footer", "masthead", "branding", "colophon", "site-header", "site-footer",
                        "entry-author-info", "author-info", "author-box"})
CHROME_CLASSES = frozenset({"site-header", "site-footer", "site-info", "entry-meta", "post-meta", "byline",
                            "entry-utility", "entry-footer", "post-footer", "author-info", "author-box", "about-author",
                            "author-bio", "post-header-line-1", "date-header"})
CHROME_ROLES = frozenset({"banner", "contentinfo"})


def _chrome(node: LexborNode) -> bool:
    if node.tag in ("header", "footer") and not (node.parent is not None and node.parent.tag == "article"):
        return True
    attrs = node.attributes
    if (attrs.get("id") or "").lower() in CHROME_IDS or (attrs.get("role") or "").lower() in CHROME_ROLES:
        return True
    return any(c in CHROME_CLASSES for c in dom.classes(node))


def _main_text(doc: LexborHTMLParser) -> dom.Text:
    """Unknown markup: the visible text of the page's main region without its banner, footer and post meta lines,
    for the text reader to split (it knows headers, trailers and sign-offs in any theme's words)."""
    root = doc.css_first("[role=main]") or doc.css_first("main") or doc.body
    if root is None:
        return dom.Text()
    return dom.visible_text(root, skip=_chrome)


def read_html(html: str) -> HtmlRead:
    """Parses a page and picks the engine whose comment markup it carries (the one that finds most comments)."""
    doc = dom.parse(html)
    info = page_meta(doc)
    removed = dom.remove_never_text(doc.root)
    best: tuple[str, list[Found]] | None = None
    best_score = (0, 0)
    for engine in ENGINES:
        name, found = engine.find(doc)
        score = (sum(1 for f in found if not f.deleted), len(found))  # a thread of deleted comments is still one
        if score > best_score:
            best, best_score = (name, found), score
    read = HtmlRead(best[0] if best else None, info, removed=removed)
    if best is None:
        read.fallback_text = "\n".join(_main_text(doc).lines)
        return read
    name, found = best
    module = next(e for e in ENGINES if name in (e.NAME, getattr(e, "BLOCK", None)))
    containers = {f.node.mem_id for f in found}
    post = _post_lines(doc, tuple(module.POST) + GENERIC_POST, containers)
    read.post_lines = [ln for ln in post.lines if not (L.furniture_reason(ln) or _BYLINE_LINE.match(ln))]
    read.post_quoted = post.quoted
    read.comments = found
    read.id_lines = dom.id_lines(html) if any(f.anchor for f in found) else {}
    return read


def page_from_html(html: str, name: str, meta: dict[str, Any], page: ParsedPage) -> None:
    """Fills `page` from an HTML page: records from the engine's markup, or the text reader on the visible text.

    The sidecar (`meta`) wins over what the page states about itself; ids follow the text reader's rules (post id
    from the sidecar url or the file name; comment id from the comment's text).
    """
    from index.corpus.reader import _hash, _Ids, _page_from_text, derive_title, note_comments
    from index.models import Record, Warning_

    deep = dom.too_deep(html)
    if deep is not None:
        page.shape = "unreadable"
        page.warnings.append(Warning_(name, f"elements nested more than {dom.MAX_DEPTH:,} deep (from this line on): "
                                            "not read; no real page nests so deep", deep))
        return
    read = read_html(html)
    merged = {**read.meta, **meta}
    if read.engine is None:
        _page_from_text(read.fallback_text, name, {k: v for k, v in merged.items() if k != "url" or "url" in meta},
                        page)
        page.shape = f"html:text/{page.shape}"
        if "url" not in meta and read.meta.get("url"):
            page.records[:] = [_with(r, post_url=read.meta["url"]) for r in page.records]
        return
    page.shape = f"html:{read.engine}"
    from index.corpus.dates import parse_date_value

    url = meta.get("url")
    post_id = _hash("post", url or Path(name).stem)
    post_text = "\n".join(read.post_lines)
    title = merged.get("title") or derive_title(post_text or name)
    author = merged.get("author")
    source = "post_metadata" if author else None
    if not author:
        by_author = {f.author for f in read.comments if f.by_post_author and f.author}
        if len(by_author) == 1:  # WordPress marks the post author's own comments: that names the post's author
            author, source = by_author.pop(), "header"
    post_date = parse_date_value(merged["date"]) if merged.get("date") else None
    if meta.get("date") and not post_date:
        page.warnings.append(Warning_(name, f"sidecar date {meta['date']!r} is not a date; ignored"))
    common = dict(post_title=title, post_url=url or read.meta.get("url"), source_file=name)
    for q in read.post_quoted:
        page.dropped.append((0, q, "quote of someone else"))
    if post_text:
        page.records.append(Record(post_id, None, "post", author, post_date, post_text, source, **common))
    else:
        page.warnings.append(Warning_(name, "no post text found outside the comments"))
    ids = _Ids(post_id)
    cids: dict[int, str] = {}
    seen: dict[tuple[str, str | None, str | None], str] = {}
    for i, f in enumerate(read.comments):
        line = read.id_lines.get(f.anchor or "")
        for q in f.text.quoted:
            page.dropped.append((line or 0, q, f"quote of someone else (in {f.author or 'a comment'}'s comment)"))
        text = "\n".join(f.text.lines)
        if f.deleted or not text:
            page.dropped.append((line or 0, text or "(empty)", "deleted comment" if f.deleted else "no own words"))
            continue
        key = (dom.fold(text).casefold(), f.author, (f.date or "")[:10])
        if key in seen:  # the same comment twice (a page that repeats its thread): one record
            cids[i] = seen[key]
            continue
        cid = seen[key] = cids[i] = ids.make(text, f.author, f.date)
        parent = cids.get(f.parent) if f.parent is not None else None
        page.records.append(Record(post_id, cid, "comment", f.author, f.date, text, "header" if f.author else None,
                                   line=line, parent_id=parent, **common))
    note_comments(meta, name, page)


def _with(record: Any, **changes: Any) -> Any:
    from dataclasses import replace

    return replace(record, **changes)
