"""TypePad (and Movable Type, whose templates it shares): `div.comment` holding `.comment-content`, then
`p.comment-footer` "Posted by: X | date" after the text."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from index.corpus.html.thread import Found, Spec, clean_name, find_date, finish, link_parents, own_elements, text_of

if TYPE_CHECKING:
    from selectolax.lexbor import LexborHTMLParser

NAME = "typepad"
POST = (".entry-content", ".entry-body", ".asset-body")
FOOTER = Spec(".comment-footer", ".comment-footer-inner", ".asset-meta")
BODY = Spec(".comment-content", ".comment-body", ".comment-bulk")
_POSTED = re.compile(r"(?i)^\s*(?:posted|written)\s+by\s*:?\s*(?P<name>.+?)\s*(?:\||\bon\b|\bat\b\s+\d|$)")


def find(doc: LexborHTMLParser) -> tuple[str, list[Found]]:
    nodes = doc.css("div.comment") or doc.css("div.comment-item")
    containers = {n.mem_id for n in nodes}
    found: list[Found] = []
    for n in nodes:
        own = own_elements(n, containers)
        foot = FOOTER.first(own)
        if foot is None:
            continue
        line = text_of(foot)
        m = _POSTED.match(line)
        if not m:
            continue
        link = foot.css_first("a[href]")
        name = text_of(link) if link is not None and link.attributes.get("href", "").startswith("http") else None
        who = clean_name(name) if name and name in m.group("name") else clean_name(m.group("name"))
        stamp = foot.css("a")
        date = find_date(*(text_of(a) for a in stamp[1:]), line)
        found.append(finish(n, own, containers, FOOTER, who, date, BODY.first(own)))
    link_parents(found)
    return NAME, found
