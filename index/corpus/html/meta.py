"""The post's title, author, date and address from the page itself, for pages saved without a sidecar:
Open Graph and article meta tags first (the site wrote them for machines), then the theme's byline markup."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from index.corpus.html.dom import ancestors, classes, fold, node_text
from index.corpus.html.thread import clean_name, find_date

if TYPE_CHECKING:
    from selectolax.lexbor import LexborHTMLParser, LexborNode

TITLE_MARKUP = ("h1.entry-title", "h2.entry-title", "h3.post-title", "h1.post-title", "h2.post-title",
                "h3.entry-header", ".wp-block-post-title", "article h1", "h1")
AUTHOR_MARKUP = ("[itemprop=author] [itemprop=name]", "[itemprop=author]",
                 ".entry-meta .author .fn", ".entry-meta .author", ".byline .author", ".byline .fn",
                 ".post-author .fn", ".post-author", ".wp-block-post-author-name", ".wp-block-post-author__name",
                 "a[rel=author]", ".entry-author-name", ".author.vcard .fn", ".entry-footer .author")
DATE_MARKUP = ("time.entry-date", "time.published", "abbr.published", ".entry-date", ".wp-block-post-date time",
               "h2.date-header", ".date-header", ".post-timestamp", ".entry-footer", ".post-footer")
_POSTED_BY = re.compile(r"\b(?i:posted by)\s*:?\s+(?P<name>[A-Z][\w'’.\-]*(?:\s+[A-Z][\w'’.\-]*){0,3})")


def _meta(doc: LexborHTMLParser, *keys: str) -> str | None:
    for key in keys:
        for attr in ("property", "name", "itemprop"):
            n = doc.css_first(f'meta[{attr}="{key}"]')
            if n is not None and fold(n.attributes.get("content") or ""):
                return fold(n.attributes["content"] or "")
    return None


def _in_comments(node: LexborNode) -> bool:
    """Whether a byline candidate sits in a comment (a commenter's name is not the post's author)."""
    for a in ancestors(node):
        attrs = a.attributes
        if "Comment" in (attrs.get("itemtype") or "") or (attrs.get("id") or "") in ("comments", "disqus_thread"):
            return True
        if any(c.startswith("comment") for c in classes(a)):
            return True
    return False


def _site_suffix(title: str, site: str | None) -> str:
    """'Post title | Blog name' -> 'Post title': the last part goes when it is the site's name or shorter than the
    rest (blogs put their name last); 'Blog name » Post title' loses its first part when that is the site's name."""
    m = re.match(r"^(?P<head>.*\S)\s+[|»–—-]\s+(?P<tail>[^|»–—]+)$", title)
    if m and ((site and fold(m.group("tail")).lower() == site.lower()) or len(m.group("tail")) < len(m.group("head"))):
        return fold(m.group("head"))
    m = re.match(r"^(?P<head>[^|»]+?)\s+[|»]\s+(?P<tail>.+)$", title)
    if m and site and fold(m.group("head")).lower() == site.lower():
        return fold(m.group("tail"))
    return title


def page_meta(doc: LexborHTMLParser) -> dict[str, str]:
    """title, author, date (ISO) and url as the page states them; missing keys are left out."""
    out: dict[str, str] = {}
    site = _meta(doc, "og:site_name")
    title = _meta(doc, "og:title", "twitter:title")
    if not title:
        for sel in TITLE_MARKUP:
            n = doc.css_first(sel)
            if n is not None and node_text(n):
                title = node_text(n)
                break
    if not title:
        t = doc.css_first("title")
        title = _site_suffix(fold(t.text())[:1000], site) if t is not None and fold(t.text()) else None
    if title:
        out["title"] = title[:300]
    author = _meta(doc, "author", "article:author", "dc.creator", "twitter:creator")
    if author and (author.startswith(("http", "@")) or "/" in author):
        author = None
    if not author:
        for sel in AUTHOR_MARKUP:
            n = next((c for c in doc.css(sel)[:20] if not _in_comments(c)), None)
            if n is not None and (name := clean_name(node_text(n))):
                author = name
                break
    if not author:
        for sel in (".entry-footer", ".post-footer", ".entry-meta", ".post-footers", ".byline"):
            n = doc.css_first(sel)
            m = _POSTED_BY.search(node_text(n)) if n is not None else None
            if m:
                author = clean_name(m.group("name"))
                break
    if author:
        out["author"] = author
    date = find_date(_meta(doc, "article:published_time", "datePublished", "date", "dc.date", "pubdate"))
    if not date:
        for sel in DATE_MARKUP:
            n = doc.css_first(sel)
            if n is not None:
                date = find_date(n.attributes.get("datetime"), n.attributes.get("title"), node_text(n))
                if date:
                    break
    if date:
        out["date"] = date
    link = doc.css_first('link[rel="canonical"]')
    url = _meta(doc, "og:url") or (link.attributes.get("href") if link is not None else None)
    if url and re.match(r"^https?://\S+$", url):
        out["url"] = url
    return out
