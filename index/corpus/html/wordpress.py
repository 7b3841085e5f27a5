"""WordPress themes. Classic (`ol.commentlist > li.comment`, nested `ul.children`, `cite.fn`, `.comment-meta`,
`bypostauthor`), the HTML5 comment walker and block themes (`article.comment-body`, `b.fn`, `time[datetime]`,
`.wp-block-comment-*`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from index.corpus.html.thread import Found, Spec, clean_name, find_date, finish, link_parents, own_elements, text_of

if TYPE_CHECKING:
    from selectolax.lexbor import LexborHTMLParser

NAME = "wordpress"
BLOCK = "wordpress-block"
AUTHOR = Spec(".wp-block-comment-author-name", "cite.fn", "b.fn", "span.fn", ".fn", "cite", ".comment-author")
DATE = Spec("time[datetime]", ".wp-block-comment-date", ".comment-metadata", ".commentmetadata", ".comment-meta",
            ".comment-date")
META = Spec(".comment-author", ".comment-meta", ".commentmetadata", ".comment-metadata",
            ".wp-block-comment-author-name", ".wp-block-comment-date", ".wp-block-avatar", ".avatar", "cite",
            ".comment-date", "footer.comment-meta")
BLOCK_MARKS = Spec("article.comment-body", "b.fn", "time[datetime]", ".wp-block-comment-content",
                   ".wp-block-comment-author-name")
SIGNATURE = Spec(".fn", ".comment-author", ".wp-block-comment-author-name", ".comment-meta", ".commentmetadata",
                 "cite")
POST = (".wp-block-post-content", ".entry-content", ".post-content", ".entry", ".post-entry", ".storycontent")


def find(doc: LexborHTMLParser) -> tuple[str, list[Found]]:
    """(engine name, comments) for a WordPress page; no comments when the markup is not WordPress's."""
    # li.comment since WordPress 2.7; Kubrick-era themes list bare <li id="comment-N"> in ol.commentlist
    nodes = (doc.css("li.comment") or doc.css(".commentlist > li[id], .comment-list > li[id]")
             or doc.css("div.comment[id]"))
    containers = {n.mem_id for n in nodes}
    found: list[Found] = []
    block_votes = 0
    for n in nodes:
        own = own_elements(n, containers)
        if not SIGNATURE.first(own):
            continue
        block_votes += bool(BLOCK_MARKS.first(own))
        a = AUTHOR.first(own)
        d = DATE.first(own)
        date = find_date(d.attributes.get("datetime"), text_of(d)) if d is not None else None
        f = finish(n, own, containers, META, clean_name(text_of(a)), date)
        f.by_post_author = "bypostauthor" in (n.attributes.get("class") or "").split()
        found.append(f)
    link_parents(found)
    return (BLOCK if block_votes * 2 > len(found) else NAME), found
