"""Renders comment threads in each engine's markup, with the furniture real pages carry, for tests that must run
on pages the reader has never seen (random threads, random furniture) and for the reliability figures."""

from __future__ import annotations

import html
from dataclasses import dataclass, field

FURNITURE = {  # text that must never reach a record, and the markup that hides or frames it
    "script": "<script>document.write('FURN script text')</script>",
    "style": "<style>.x{content:'FURN style text'}</style>",
    "noscript": "<noscript>FURN noscript text</noscript>",
    "comment": "<!-- FURN html comment <b>secret</b> -->",
    "hidden": "<div hidden>FURN hidden attribute</div>",
    "display": "<p style='display: none'>FURN display none</p>",
    "aria": "<span aria-hidden='true'>FURN aria hidden</span>",
    "label": "<form><label for='a'>FURN form label</label><input id='a' value='FURN input value'></form>",
    "nav": "<nav><a href='/'>FURN navigation link</a></nav>",
    "sidebar": "<div id='sidebar'><h3>Recent Comments</h3><p>FURN sidebar widget</p></div>",
    "share": "<div class='sharedaddy'><a href='?share=twitter'>FURN share link</a></div>",
}


@dataclass
class C:
    """One comment to render: who (None: anonymous), when (ISO date), its paragraphs, its replies."""

    author: str | None
    date: str
    paras: list[str]
    replies: list[C] = field(default_factory=list)
    deleted: bool = False
    quote: str | None = None  # a blockquote of someone else's words, before the paragraphs


def _human(iso: str) -> str:
    import datetime

    d = datetime.date.fromisoformat(iso[:10])
    return f"{d.strftime('%B')} {d.day}, {d.year} at 10:15 am"


def _body(c: C) -> str:
    if c.deleted:
        return "<p>This comment was deleted.</p>"
    q = f"<blockquote><p>{html.escape(c.quote)}</p></blockquote>" if c.quote else ""
    return q + "".join(f"<p>{html.escape(p)}</p>" for p in c.paras)


def _wp(c: C, n: list[int], furn: str) -> str:
    n[0] += 1
    i = n[0]
    who = html.escape(c.author) if c.author else "Anonymous"
    kids = f"<ul class='children'>{''.join(_wp(r, n, furn) for r in c.replies)}</ul>" if c.replies else ""
    return (f"<li class='comment depth-1' id='li-comment-{i}'><div id='comment-{i}'><div class='comment-author vcard'>"
            f"<cite class='fn'>{who}</cite> <span class='says'>says:</span></div><div class='comment-meta "
            f"commentmetadata'><a href='#comment-{i}'>{_human(c.date)}</a></div>{_body(c)}{furn}<div class='reply'>"
            f"<a class='comment-reply-link' href='#'>Reply</a></div></div>{kids}</li>")


def _block(c: C, n: list[int], furn: str) -> str:
    n[0] += 1
    i = n[0]
    who = html.escape(c.author) if c.author else "Anonymous"
    kids = f"<ol class='children'>{''.join(_block(r, n, furn) for r in c.replies)}</ol>" if c.replies else ""
    return (f"<li id='comment-{i}' class='comment'><article id='div-comment-{i}' class='comment-body'><footer "
            f"class='comment-meta'><div class='comment-author vcard'><b class='fn'>{who}</b> <span class='says'>says:"
            f"</span></div><div class='comment-metadata'><a href='#'><time datetime='{c.date}T10:15:00+00:00'>"
            f"{_human(c.date)}</time></a></div></footer><div class='comment-content'>{_body(c)}{furn}</div><div "
            f"class='reply'><a class='comment-reply-link'>Reply</a></div></article>{kids}</li>")


def _disqus(c: C, n: list[int], furn: str) -> str:
    n[0] += 1
    i = n[0]
    who = html.escape(c.author) if c.author else "Guest"
    kids = f"<ul class='children'>{''.join(_disqus(r, n, furn) for r in c.replies)}</ul>" if c.replies else ""
    return (f"<li class='post' id='post-{i}'><div class='post-content'><div class='post-body'><header><span "
            f"class='post-byline'><span class='author'><a href='#'>{who}</a></span></span><span class='post-meta'>"
            f"<a class='time-ago' title='{_human(c.date).replace(' at', '')}'>7 years ago</a></span></header><div "
            f"class='post-message'>{_body(c)}{furn}</div><footer><menu><li class='reply'>Reply</li></menu></footer>"
            f"</div></div>{kids}</li>")


def _flat(cs: list[C]) -> list[C]:
    out: list[C] = []
    for c in cs:
        out.append(c)
        out.extend(_flat(c.replies))
    return out


def _blogger(cs: list[C], furn: str) -> str:
    out = []
    for i, c in enumerate(_flat(cs)):
        who = f"<a href='https://www.blogger.com/profile/{i}'>{html.escape(c.author)}</a>" if c.author else "Anonymous"
        out.append(f"<dt class='comment-author' id='c{i}'><a name='c{i}'></a>{who} said...</dt>"
                   f"<dd class='comment-body'>{_body(c)}{furn}</dd><dd class='comment-footer'>"
                   f"<span class='comment-timestamp'><a href='#c{i}' "
                   f"title='comment permalink'>{_human(c.date).replace(' at', '')}</a></span></dd>")
    return f"<dl id='comments-block'>{''.join(out)}</dl>"


def _typepad(cs: list[C], furn: str) -> str:
    out = []
    for i, c in enumerate(_flat(cs)):
        who = f"<a rel='nofollow' href='http://x{i}.example'>{html.escape(c.author)}</a>" if c.author else "Anonymous"
        out.append(f"<div class='comment' id='comment-{i}'><div class='comment-content'>{_body(c)}{furn}</div><p "
                   f"class='comment-footer'>Posted by: {who} | <a href='#'>{_human(c.date)}</a></p></div>")
    return f"<div class='comments-content'>{''.join(out)}</div>"


ENGINES = ("wordpress", "wordpress-block", "blogger", "typepad", "disqus")
FLAT = {"blogger", "typepad"}  # engines whose markup has no replies (the thread is rendered flat)


def render(engine: str, post: list[str], comments: list[C], furniture: str = "", title: str = "A post") -> str:
    """A whole page: head, navigation, the post, the thread in `engine`'s markup, a sidebar and a footer;
    `furniture` is put in every comment and around the page."""
    if engine == "wordpress":
        n = [0]
        items = "".join(_wp(c, n, furniture) for c in comments)
        thread = f"<div id='comments'><ol class='commentlist'>{items}</ol></div>"
    elif engine == "wordpress-block":
        n = [0]
        items = "".join(_block(c, n, furniture) for c in comments)
        thread = f"<div id='comments'><ol class='comment-list'>{items}</ol></div>"
    elif engine == "disqus":
        n = [0]
        thread = (f"<div id='disqus_thread'><ul id='post-list' class='post-list'>"
                  f"{''.join(_disqus(c, n, furniture) for c in comments)}</ul></div>")
    elif engine == "blogger":
        thread = f"<div class='comments' id='comments'>{_blogger(comments, furniture)}</div>"
    elif engine == "typepad":
        thread = f"<div class='comments'>{_typepad(comments, furniture)}</div>"
    else:
        raise ValueError(engine)
    body = "".join(f"<p>{html.escape(p)}</p>" for p in post)
    return (f"<!DOCTYPE html><html><head><title>{html.escape(title)} | A blog</title>{furniture}</head><body>"
            f"<div id='header'><nav><a href='/'>Home</a></nav></div>{furniture}<div id='content'><div class='post'>"
            f"<h1 class='entry-title'>{html.escape(title)}</h1><div class='entry-content'>{body}{furniture}</div></div>"
            f"{thread}</div><div id='sidebar'>Recent Comments</div><div id='footer'>Powered by WordPress</div>"
            f"</body></html>")
