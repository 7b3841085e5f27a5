"""Blogger. Classic templates: `dl#comments-block` of `dt.comment-author` ("X said...") / `dd.comment-body` /
`dd.comment-footer` (`.comment-timestamp`). Threaded templates (2012 on): `.comments-content li.comment` with
`cite.user`, `.datetime`, `.comment-content`, replies in `.comment-replies`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from index.corpus.html.dom import children, classes, visible_text
from index.corpus.html.thread import (
    DELETED,
    Found,
    Spec,
    clean_name,
    find_date,
    finish,
    is_deleted,
    link_parents,
    own_elements,
    says_line,
    text_of,
)

if TYPE_CHECKING:
    from selectolax.lexbor import LexborHTMLParser

NAME = "blogger"
POST = (".post-body", ".entry-content", ".post-entry")
THREADED_META = Spec(".comment-header", ".avatar-image-container", ".comment-actions", "cite.user", ".datetime")


def _classic(doc: LexborHTMLParser) -> list[Found]:
    found: list[Found] = []
    for dl in doc.css("dl#comments-block, dl.comments-block, dl.comment-block"):
        cur: Found | None = None
        for el in children(dl):
            if not el.is_element_node:
                continue
            cls = classes(el)
            if el.tag == "dt":
                name = text_of(el)
                a = el.css_first("a[href]")
                who = clean_name(text_of(a)) if a is not None and text_of(a) else clean_name(name)
                cur = Found(el, who, None, visible_text(el), anchor=el.attributes.get("id"))
                cur.text.lines = []
                found.append(cur)
            elif el.tag == "dd" and cur is not None:
                if "comment-footer" in cls or el.css_first(".comment-timestamp") is not None:
                    ts = el.css_first(".comment-timestamp") or el
                    link = ts.css_first("a")
                    cur.date = find_date(link.attributes.get("title") if link is not None else None, text_of(ts))
                else:
                    body = visible_text(el)
                    cur.text.lines += [ln for ln in body.lines if not says_line(ln)]
                    cur.text.quoted += body.quoted
                    cur.deleted = el.css_first(".deleted-comment") is not None or is_deleted(body, el)
    for f in found:
        f.text.lines = [ln for ln in f.text.lines if not DELETED.match(ln)]
        f.deleted = f.deleted or not f.text.lines
    return found


def _threaded(doc: LexborHTMLParser) -> list[Found]:
    nodes = [n for n in doc.css("li.comment") if n.css_first("cite.user") is not None]
    containers = {n.mem_id for n in nodes}
    found: list[Found] = []
    for n in nodes:
        own = own_elements(n, containers)
        who = Spec("cite.user").first(own)
        when = Spec(".datetime").first(own)
        body = Spec(".comment-content").first(own)
        link = when.css_first("a") if when is not None else None
        date = find_date(link.attributes.get("title") if link is not None else None, text_of(when))
        found.append(finish(n, own, containers, THREADED_META, clean_name(text_of(who)), date, body))
    link_parents(found)
    return found


def find(doc: LexborHTMLParser) -> tuple[str, list[Found]]:
    classic = _classic(doc)
    threaded = _threaded(doc)
    return NAME, classic if len(classic) >= len(threaded) else threaded
