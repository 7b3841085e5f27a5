"""WordPress export (WXR) files: the XML a blog admin downloads, read with defusedxml (no entities, no DTDs)."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

from index.corpus.dates import parse_date_value

WP_NS = re.compile(r"^\{http://wordpress\.org/export/[\d.]+/\}")


@dataclass
class WxrComment:
    author: str | None
    date: str | None
    text: str
    line: int | None = None


@dataclass
class WxrPost:
    wp_id: str
    title: str
    author: str | None
    date: str | None
    url: str | None
    text: str
    comments: list[WxrComment] = field(default_factory=list)


def looks_like_wxr(text: str) -> bool:
    head = text[:4000]
    return "<rss" in head and "wordpress.org/export" in head


def html_to_text(s: str) -> str:
    """Post and comment bodies are HTML: keep paragraphs as lines, drop tags, decode entities."""
    s = re.sub(r"(?is)<(script|style)\b.*?</\1>", " ", s)
    s = re.sub(r"(?i)<br\s*/?>", "\n", s)
    s = re.sub(r"(?i)</(p|div|li|blockquote|h[1-6])>", "\n", s)
    s = re.sub(r"<[^>]+>", "", s)
    s = html.unescape(s)
    lines = [re.sub(r"[ \t\u00a0]+", " ", ln).strip() for ln in s.splitlines()]
    return "\n".join(ln for ln in lines if ln)


def parse_wxr(text: str) -> list[WxrPost]:
    """Published posts with their approved comments (pingbacks and trackbacks are not opinions: skipped).

    Raises ValueError with the parser's position on malformed XML, and defusedxml's errors on entity tricks.
    """
    from defusedxml import ElementTree as ET

    root = ET.fromstring(text.encode("utf-8"), forbid_dtd=True, forbid_entities=True, forbid_external=True)

    def local(tag: str) -> str:
        return tag.rsplit("}", 1)[-1]

    def child(el, name: str) -> str:  # noqa: ANN001
        for c in el:
            if local(c.tag) == name:
                return (c.text or "").strip()
        return ""

    authors: dict[str, str] = {}
    channel = root.find("channel")
    if channel is None:
        raise ValueError("no <channel> element: not a WordPress export")
    for a in channel:
        if local(a.tag) == "author":
            login = child(a, "author_login")
            name = child(a, "author_display_name") or " ".join(
                x for x in (child(a, "author_first_name"), child(a, "author_last_name")) if x
            )
            if login:
                authors[login] = name or login
    posts: list[WxrPost] = []
    for item in channel.iter("item"):
        ptype = child(item, "post_type") or "post"
        status = child(item, "status") or "publish"
        if ptype not in ("post", "page") or status != "publish":
            continue
        login = child(item, "creator")
        post = WxrPost(
            wp_id=child(item, "post_id") or child(item, "guid") or child(item, "title"),
            title=html.unescape(child(item, "title")),
            author=authors.get(login, login) or None,
            date=parse_date_value(child(item, "post_date") or child(item, "pubDate")),
            url=child(item, "link") or None,
            text=html_to_text(child(item, "encoded")),
        )
        for c in item:
            if local(c.tag) != "comment":
                continue
            if child(c, "comment_approved") != "1" or child(c, "comment_type") in ("pingback", "trackback"):
                continue
            body = html_to_text(child(c, "comment_content"))
            if body:
                post.comments.append(
                    WxrComment(child(c, "comment_author") or None, parse_date_value(child(c, "comment_date")), body)
                )
        posts.append(post)
    return posts
