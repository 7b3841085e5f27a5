"""Disqus, as a browser saves it after the thread rendered: `li.post` with `span.author`, `a.time-ago[title]`
(the exact date; the link text is "3 years ago"), `div.post-message`, replies in `ul.children`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from index.corpus.html.dom import visible_text
from index.corpus.html.thread import Found, Spec, clean_name, find_date, is_deleted, link_parents, own_elements, text_of

if TYPE_CHECKING:
    from selectolax.lexbor import LexborHTMLParser

NAME = "disqus"
POST: tuple[str, ...] = ()  # Disqus holds only the thread: the post comes from the host page's markup
AUTHOR = Spec("span.author", ".author", ".post-byline")
DATE = Spec("a.time-ago", ".time-ago", ".post-meta")
MESSAGE = Spec("div.post-message", ".post-message")


def find(doc: LexborHTMLParser) -> tuple[str, list[Found]]:
    nodes = [n for n in doc.css("li.post") if n.css_first(".post-message, [data-role=message]") is not None]
    containers = {n.mem_id for n in nodes}
    found: list[Found] = []
    for n in nodes:
        own = own_elements(n, containers)
        body = MESSAGE.first(own)
        if body is None:
            continue
        a = AUTHOR.first(own)
        d = DATE.first(own)
        date = find_date(d.attributes.get("title"), d.attributes.get("datetime"), text_of(d)) if d else None
        text = visible_text(body, skip=lambda x: x.mem_id in containers)
        f = Found(n, clean_name(text_of(a)), date, text, anchor=n.attributes.get("id"))
        f.deleted = is_deleted(text, n)
        found.append(f)
    link_parents(found)
    return NAME, found
