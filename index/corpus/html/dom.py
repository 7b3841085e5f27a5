"""The HTML toolkit the engines share: parse (selectolax/Lexbor), remove what a reader never sees, and turn a
subtree into lines of visible text with quotations of other people kept apart.

Every walk here is iterative (an explicit stack), so a page nested 100,000 elements deep costs time, not the
Python stack; the never-text pass removes only the top-most node of each unwanted subtree, so no freed node is
ever touched again.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from selectolax.lexbor import LexborHTMLParser, LexborNode

# Elements whose text a reader never sees as writing: code, embedded documents, forms and their labels, navigation.
NEVER_TAGS = frozenset(
    """script style noscript template iframe frame frameset object embed applet svg math canvas map audio video
    form input textarea select option optgroup button label fieldset datalist output nav menu dialog head
    aside""".split()
)
# Class names (whole names, lower-cased) of page furniture: hidden-from-sight text, share and reply links, pingbacks,
# navigation, sidebars, comment forms, admin controls. Whole names, so a wrapper classed `has-sidebar` is kept.
FURNITURE_CLASSES = frozenset(
    """screen-reader-text sr-only visually-hidden assistive-text hidden hide invisible says
    reply comment-reply comment-reply-link comment-reply-login wp-block-comment-reply-link reply-link
    comment-edit-link edit-link wp-block-comment-edit-link item-control blog-admin
    pingback trackback pingbacks trackbacks pingback-list
    share sharing sharedaddy sd-sharing-enabled share-buttons social-share post-share addthis_toolbox wp-block-buttons
    comment__share voting comment-footer__menu likes likebtn post-likes
    navigation nav nav-links post-navigation comment-navigation posts-navigation menu breadcrumb breadcrumbs
    pagination pager blog-pager post-feeds feed-links comments-pagination wp-block-comments-pagination
    sidebar widget-area widgets related related-posts jp-relatedposts yarpp-related
    comment-respond comment-form respond post-comment-form wp-block-post-comments-form comment-form-comment
    comment-awaiting-moderation comment-notes logged-in-as must-log-in""".split()
)
FURNITURE_IDS = frozenset(
    """sidebar secondary respond commentform comment-form nav navigation menu blog-pager comments-pagination
    cancel-comment-reply disqus_footer""".split()
)
FURNITURE_ROLES = frozenset({"navigation", "complementary", "search", "menu", "menubar", "toolbar", "dialog"})
_HIDDEN_STYLE = re.compile(r"(?:^|;)\s*(?:display\s*:\s*none|visibility\s*:\s*hidden)\b", re.I)
_CLASS_PREFIX_OK = ("has-", "no-", "with-", "is-", "show-", "single-", "page-", "post-", "blog-", "layout-")

BLOCK_TAGS = frozenset(
    """address article aside blockquote body dd details div dl dt figcaption figure footer h1 h2 h3 h4 h5 h6 header
    hr li main ol p pre section summary table tbody td tfoot th thead tr ul caption center""".split()
)
_WS = re.compile(r"[ \t\n\r\f\v\u00a0\u200b]+")


def parse(html: str) -> LexborHTMLParser:
    from selectolax.lexbor import LexborHTMLParser

    # as a browser that runs scripts (every reader's): <noscript> holds one text node and never spills its text
    # into <body>, and head elements after a <noscript><img></noscript> stay in <head>
    return LexborHTMLParser(html, scripting=True)


def classes(node: LexborNode) -> list[str]:
    return (node.attributes.get("class") or "").lower().split()


def furniture(node: LexborNode) -> str | None:
    """Why an element is never part of anyone's words (None when it may be)."""
    tag = node.tag
    if tag in NEVER_TAGS:
        return f"<{tag}>"
    attrs = node.attributes
    if not attrs:
        return None
    if "hidden" in attrs or (attrs.get("aria-hidden") or "").strip().lower() == "true":
        return "hidden"
    if (attrs.get("type") or "").lower() == "hidden" or _HIDDEN_STYLE.search(attrs.get("style") or ""):
        return "hidden"
    if (attrs.get("role") or "").lower() in FURNITURE_ROLES:
        return "navigation"
    if (attrs.get("id") or "").lower() in FURNITURE_IDS:
        return "furniture"
    for c in classes(node):
        if c in FURNITURE_CLASSES:
            return "furniture"
        if tag not in ("html", "body") and not c.startswith(_CLASS_PREFIX_OK) and (
            c.endswith(("-sidebar", "-navigation", "-nav", "-menu", "-share", "-sharing", "-pager", "-pagination",
                        "-breadcrumbs", "-widget"))
            or c.startswith(("widget-", "share-", "sharing-", "social-share"))
        ):
            return "furniture"
    return None


def children(node: LexborNode) -> Iterator[LexborNode]:
    c = node.child
    while c is not None:
        yield c
        c = c.next


def remove_never_text(root: LexborNode, keep: Callable[[LexborNode], bool] | None = None) -> dict[str, int]:
    """Removes HTML comments and every never-text element (see `furniture`); returns counts by reason.

    Only the top-most node of each removed subtree is decomposed, after the walk, so nothing freed is visited.
    `keep` spares elements an engine still needs (none by default).
    """
    doomed: list[LexborNode] = []
    counts: dict[str, int] = {}
    stack = [root]
    while stack:
        node = stack.pop()
        for c in children(node):
            if c.is_comment_node:
                doomed.append(c)
                counts["html comment"] = counts.get("html comment", 0) + 1
                continue
            if not c.is_element_node:
                continue
            why = furniture(c)
            if why and not (keep and keep(c)):
                doomed.append(c)
                counts[why] = counts.get(why, 0) + 1
                continue
            stack.append(c)
    for node in doomed:
        node.decompose()
    return counts


@dataclass
class Text:
    """Visible text of a subtree: its own lines, and what it quotes of other people (blockquotes, `<q cite>`)."""

    lines: list[str] = field(default_factory=list)
    quoted: list[str] = field(default_factory=list)

    def joined(self) -> str:
        return "\n".join(self.lines)


def fold(s: str) -> str:
    return _WS.sub(" ", s).strip()


def visible_text(root: LexborNode, skip: Callable[[LexborNode], bool] | None = None) -> Text:
    """Lines of the text a reader sees in `root`: block elements and <br> break lines, inline text is joined,
    whitespace folded. `<blockquote>` text goes to `quoted` instead (someone else's words). `skip` prunes subtrees
    (meta blocks, nested replies)."""
    out = Text()
    cur: list[str] = []
    quote: list[str] = []
    qdepth = 0
    # events: (node, entering)
    stack: list[tuple[LexborNode, bool]] = [(root, True)]

    def flush() -> None:
        target = quote if qdepth else cur
        s = fold("".join(target))
        if s:
            (out.quoted if qdepth else out.lines).append(s)
        target.clear()

    while stack:
        node, entering = stack.pop()
        if not entering:
            if node.tag in BLOCK_TAGS:
                flush()
            if node.tag == "blockquote":
                qdepth -= 1
            continue
        if node.is_text_node:
            t = node.text_content or ""
            (quote if qdepth else cur).append(t)
            continue
        if not node.is_element_node and node is not root:
            continue
        if node is not root and skip is not None and skip(node):
            continue
        tag = node.tag
        if tag == "br":
            flush()
            continue
        if tag in ("img",):
            continue
        if tag in BLOCK_TAGS:
            flush()
        if tag == "blockquote":
            qdepth += 1
        stack.append((node, False))
        kids = list(children(node))
        for c in reversed(kids):
            stack.append((c, True))
    flush()
    return out


def node_text(node: LexborNode | None) -> str:
    """One line of an element's text (names, dates: never-text is already gone from the tree)."""
    if node is None:
        return ""
    return fold(node.text(deep=True, separator=" "))


def first(node: LexborNode, *selectors: str) -> LexborNode | None:
    for sel in selectors:
        found = node.css_first(sel)
        if found is not None:
            return found
    return None


def ancestors(node: LexborNode) -> Iterator[LexborNode]:
    p = node.parent
    while p is not None:
        yield p
        p = p.parent


_ID_ATTR = re.compile(r"""\bid\s*=\s*["']?([^"'\s>]+)""", re.I)


def id_lines(html: str) -> dict[str, int]:
    """id attribute -> 1-based line in the source, in one pass (records point back to where a comment starts)."""
    out: dict[str, int] = {}
    line, pos = 1, 0
    for m in _ID_ATTR.finditer(html):
        line += html.count("\n", pos, m.start())
        pos = m.start()
        out.setdefault(m.group(1), line)
    return out


MAX_DEPTH = 10_000
# Elements that never nest (void) or close themselves when a sibling opens: they add no depth however written.
_FLAT_TAGS = frozenset("""area base br col embed hr img input link meta param source track wbr p li dt dd option
    optgroup tr td th thead tbody tfoot colgroup caption rb rt rp""".split())
_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9-]{0,30})(?:\s[^<>]*)?>")


def too_deep(html: str, limit: int = MAX_DEPTH) -> int | None:
    """The line where the page's elements nest deeper than `limit`, else None.

    HTML5 tree building checks the stack of open elements at every tag, so parsing costs depth x tags: 10,000 deep
    reads in about a second, 100,000 deep would take minutes. No real page nests past a few hundred, so deeper
    pages are refused (with the line) rather than left to hold a reindex. A scan of the tags, not a parse.
    """
    depth = 0
    for m in _TAG.finditer(html):
        name = m.group(2).lower()
        if name in _FLAT_TAGS or m.group(0).endswith("/>"):
            continue
        depth += -1 if m.group(1) else 1
        if depth < 0:
            depth = 0
        elif depth > limit:
            return html.count("\n", 0, m.start()) + 1
    return None
