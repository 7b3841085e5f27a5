"""`/addpost url:` without Discord: download a page, read it, and say in one line why a URL gave no page.

The Corpus cog calls `fetch(...)` in a worker thread and hands the bytes to `Uploads.prepare`, the same preview
as an uploaded file; this module never imports discord, so its rules (which URLs are refused, what "no comments"
means) are tested and reused without a gateway.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.render import clip, escape_markdown
from index.corpus.fetch import FetchError
from index.errors import UserError

if TYPE_CHECKING:
    from bot.texts import Texts
    from index.settings import FetchSettings

# FetchError.kind -> the prompts key whose sentence the admin sees (prompts/replies.toml, [admin]).
KEYS = {
    "bad_url": "admin.url_bad",
    "not_found": "admin.url_not_found",
    "http": "admin.url_failed",
    "timeout": "admin.url_timeout",
    "too_large": "admin.url_too_large",
    "not_html": "admin.url_not_html",
    "private": "admin.url_private",
    "redirects": "admin.url_failed",
    "unreachable": "admin.url_failed",
    "no_comments": "admin.url_no_comments",
}


def fetch(url: str, settings: FetchSettings, texts: Texts, title: str | None = None,
          author: str | None = None) -> tuple[bytes, str, dict[str, str]]:
    """(bytes, file name, sidecar fields) of the page at `url`, for `Uploads.prepare`; UserError with one line
    when the URL gives nothing worth a preview. A page with no comment the reader recognises is refused here (a
    URL is added for its thread), unlike a file upload. Blocking: call it off the event loop."""
    from index.corpus.intake import preview_url

    try:
        pre = preview_url(url, settings)
        if pre.page.records and not pre.page.comments:
            raise FetchError("no_comments", f"no comments recognised on {pre.fetched.url}")
    except FetchError as e:
        raise UserError(error_line(texts, e, escape_markdown(clip(url, 200)), settings)) from None
    meta = {**pre.meta, **{k: v for k, v in (("title", title), ("author", author)) if v}}
    return pre.fetched.data, pre.name, meta


def error_line(texts: Texts, e: FetchError, url: str, settings: FetchSettings) -> str:
    """The one line an admin sees for a URL that gave no page."""
    return texts(KEYS.get(e.kind, "admin.url_failed"), url=url, reason=str(e), seconds=float(settings.timeout_s),
                 limit=float(settings.max_mb))
