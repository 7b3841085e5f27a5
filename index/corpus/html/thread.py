"""What every engine finds, and the rules they share: one found comment, its author, its date, its parent, and
whether it is a placeholder ("This comment was deleted.") rather than anyone's words."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from index.corpus import lines as L
from index.corpus.dates import MONTHS, parse_date_line, parse_date_value
from index.corpus.html.dom import Text, children, fold, node_text, visible_text

if TYPE_CHECKING:
    from selectolax.lexbor import LexborNode

# Placeholders the engines print where a comment used to be: never a record.
DELETED = re.compile(
    r"^\s*(?:this comment (?:was|has been) (?:deleted|removed)(?: by (?:the author|a blog administrator|"
    r"(?:a|the) (?:moderator|administrator|admin|site owner)))?|comment (?:deleted|removed)|\[(?:deleted|removed)\]|"
    r"this comment is awaiting moderation|your comment is awaiting moderation|this comment has been flagged"
    r"(?: as spam)?|this user has been blocked|this comment is hidden)\s*[.!]?\s*$",
    re.I,
)

_MON = "|".join(sorted(MONTHS, key=len, reverse=True))
_DATE_IN = re.compile(
    r"(?:(?:mon|tues?|wed(?:nes)?|thu(?:rs)?|fri|sat(?:ur)?|sun)(?:day)?\.?,?\s+)?"
    r"(?:(?:" + _MON + r")\.?\s+\d{1,2}(?:st|nd|rd|th)?,?\s+\d{4}|\d{1,2}(?:st|nd|rd|th)?\s+(?:of\s+)?(?:" + _MON
    + r")\.?,?\s+\d{4}|\d{4}-\d{2}-\d{2}|\d{1,2}/\d{1,2}/\d{4})"
    r"(?:,?\s*(?:at|@|-)?\s*\d{1,2}[:.]\d{2}(?::\d{2})?\s*(?:[ap]\.?\s?m\.?)?)?",
    re.I,
)


def find_date(*values: str | None) -> str | None:
    """The first readable date among attribute values and texts ('2010-03-03T09:14:00+00:00', 'Tuesday, March 2,
    2010 4:05 PM', 'Posted by: X | March 03, 2010 at 04:00 PM'); None when none holds one."""
    for v in values:
        if not v:
            continue
        v = fold(v)
        iso = parse_date_value(v)
        if iso:
            return iso
        for m in _DATE_IN.finditer(v):
            iso = parse_date_line(m.group(0))
            if iso:
                return iso
    return None


def clean_name(s: str | None) -> str | None:
    """A commenter's name from markup: 'Jane Doe says:' / 'Jane Doe said...' / 'by Jane' reduced to the name."""
    if not s:
        return None
    s = fold(s)
    s = re.sub(r"(?i)\s*(?:says|said|wrote)\s*(?::|\.{2,3}|…)?\s*$", "", s)
    s = re.sub(r"(?i)^(?:posted by|written by|by)\s*:?\s+", "", s)
    s = s.strip(" :|-–—•·")
    if not s or len(s) > 80:
        return None
    return L.clean_author(s)


@dataclass
class Found:
    """One comment as an engine found it, before ids: the node it lives in, who, when, and its visible text."""

    node: LexborNode
    author: str | None
    date: str | None
    text: Text
    by_post_author: bool = False
    deleted: bool = False
    parent: int | None = None  # index of the parent in the engine's list
    anchor: str | None = None  # the element id, to find its line in the source
    extra_ids: list[str] = field(default_factory=list)


def body_text(container: LexborNode, exclude: Iterable[LexborNode], nested: Callable[[LexborNode], bool]) -> Text:
    """A comment's own text: its container minus the meta blocks and minus the replies nested inside it."""
    skip_ids = {n.mem_id for n in exclude}
    return visible_text(container, skip=lambda n: n.mem_id in skip_ids or nested(n))


def is_deleted(text: Text, node: LexborNode) -> bool:
    if any(c in ("deleted", "deleted-comment", "is-deleted", "comment-deleted") for c in
           (node.attributes.get("class") or "").lower().split()):
        return True
    lines = [ln for ln in text.lines if ln]
    return not lines or (len(lines) == 1 and bool(DELETED.match(lines[0])))


def link_parents(found: list[Found]) -> None:
    """Each comment's parent is the nearest enclosing comment (replies nest inside their parent in every engine
    read here). Ancestors already resolved are remembered, so a page nested thousands deep costs its depth once."""
    index = {f.node.mem_id: i for i, f in enumerate(found)}
    memo: dict[int, int | None] = {}  # node -> nearest comment at or above it
    for f in found:
        path: list[int] = []
        result: int | None = None
        a = f.node.parent
        while a is not None:
            mid = a.mem_id
            if mid in index:
                result = index[mid]
                break
            if mid in memo:
                result = memo[mid]
                break
            path.append(mid)
            a = a.parent
        for mid in path:
            memo[mid] = result
        f.parent = result


def text_of(node: LexborNode | None) -> str:
    return node_text(node)


class El:
    """An element with its tag, classes and attributes read once (selectolax builds them anew on every access)."""

    __slots__ = ("node", "tag", "classes", "attrs")

    def __init__(self, node: LexborNode) -> None:
        self.node = node
        self.tag = node.tag
        self.attrs = node.attributes
        self.classes = frozenset((self.attrs.get("class") or "").lower().split())


def own_elements(container: LexborNode, containers: set[int]) -> list[El]:
    """The elements of one comment in document order, without the comments nested in it (its replies)."""
    out: list[El] = []
    stack = [container]
    while stack:
        n = stack.pop()
        if n is not container:
            out.append(El(n))
        kids = [c for c in children(n) if c.is_element_node and c.mem_id not in containers]
        stack.extend(reversed(kids))
    return out


def _spec(s: str) -> tuple[str | None, str | None, str | None]:
    """'tag.class[attr]' -> (tag, class, attr); each part optional."""
    m = re.fullmatch(r"([a-z0-9]*)(?:\.([\w-]+))?(?:\[([\w-]+)\])?", s)
    if not m:
        raise ValueError(s)
    return m.group(1) or None, m.group(2), m.group(3)


class Spec:
    """A tiny selector for one element (`b.fn`, `time[datetime]`, `.comment-meta`), checked without leaving the
    comment's own elements, so a reply's name is never taken for its parent's."""

    def __init__(self, *selectors: str) -> None:
        self.parts = [_spec(s) for s in selectors]

    def matches(self, el: El) -> bool:
        return any(self._one(el, p) for p in self.parts)

    @staticmethod
    def _one(el: El, part: tuple[str | None, str | None, str | None]) -> bool:
        tag, cls, attr = part
        return not ((tag and el.tag != tag) or (cls and cls not in el.classes) or (attr and attr not in el.attrs))

    def first(self, els: list[El]) -> LexborNode | None:
        """The first element matching the earliest selector that matches any (selectors are in order of trust)."""
        for p in self.parts:
            for el in els:
                if self._one(el, p):
                    return el.node
        return None

    def all(self, els: list[El]) -> list[LexborNode]:
        return [el.node for el in els if self.matches(el)]


def says_line(s: str) -> bool:
    return bool(re.fullmatch(r"(?i)\s*(?:says|said|wrote)\s*(?::|\.{2,3}|…)?\s*", s))


def finish(container: LexborNode, own: list[El], containers: set[int], meta: Spec, author: str | None,
           date: str | None, body: LexborNode | None = None) -> Found:
    """A Found from an engine's picks: text from `body` (or the container minus its meta blocks and replies)."""
    if body is not None:
        text = visible_text(body, skip=lambda n: n.mem_id in containers)
    else:
        text = body_text(container, meta.all(own), lambda n: n.mem_id in containers)
    text.lines = [ln for ln in text.lines if not says_line(ln)]
    f = Found(container, author, date, text, anchor=container.attributes.get("id"))
    f.deleted = is_deleted(text, container)
    text.lines = [ln for ln in text.lines if not DELETED.match(ln)]
    return f
