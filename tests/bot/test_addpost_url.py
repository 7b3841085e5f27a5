"""/addpost url: through discord.py against the local Discord stand-in, fetching from a local HTTP server
(127.0.0.1, allowed by the test's settings; one test shows it refused without them)."""

from __future__ import annotations

import pytest

from index.settings import FetchSettings
from tests.bot.conftest import all_text, custom_ids
from tests.index.fetch_server import Server


@pytest.fixture(scope="module")
def site():
    with Server() as s:
        yield s


def allow_local(harness, **kw) -> None:
    harness.bot.get_cog("Corpus").fetch_settings = FetchSettings(
        **{"allow_private": True, "timeout_s": 1.0, "max_mb": 1.0, **kw})


async def test_addpost_url_previews_then_saves_with_a_sidecar_and_reindexes(harness, site):
    allow_local(harness)
    url = site.base + "/r/1"  # a redirect first: the page's own address is what gets saved
    p = harness.slash("addpost", {"url": url}, admin=True)
    (fu,) = await harness.followups(p, timeout=20)
    text = all_text(fu.json)
    assert fu.json["flags"] & 64  # only the admin sees the preview
    assert "wordpress_classic.html" in text and "html:wordpress" in text and "5 comment(s)" in text
    assert "80% of comments attributed" in text
    confirm, _cancel = custom_ids(fu.json)
    c = harness.click(fu.message, confirm, admin=True)
    assert (await harness.callback(c)).json["type"] == 7
    corpus = harness.tmp / "corpus"
    assert (corpus / "wordpress_classic.html").read_bytes().startswith(b"<!DOCTYPE html")
    side = (corpus / "wordpress_classic.meta.toml").read_text()
    assert f'url = "{site.base}/post/wordpress_classic.html"' in side and 'author = "Maren Holt"' in side
    await harness.api.wait_for("PATCH", f"/webhooks/\\d+/{c['token']}/messages/@original")
    assert harness.builder.calls


async def test_addpost_url_cancel_saves_nothing(harness, site):
    allow_local(harness)
    p = harness.slash("addpost", {"url": site.base + "/post/typepad.html", "title": "Tweeting lawyers"}, admin=True)
    (fu,) = await harness.followups(p, timeout=20)
    _confirm, cancel = custom_ids(fu.json)
    c = harness.click(fu.message, cancel, admin=True)
    assert "nothing was saved" in (await harness.callback(c)).json["data"]["content"]
    assert not (harness.tmp / "corpus" / "typepad.html").exists() and not harness.builder.calls


@pytest.mark.parametrize(("path", "settings", "says"), [
    ("/missing", {}, "the page does not exist"),
    ("/slow", {}, "did not answer within 1 s"),
    ("/huge-declared", {}, "larger than 1 MB"),
    ("/huge-streamed", {}, "larger than 1 MB"),
    ("/pdf", {}, "not an HTML page"),
    ("/plain.html", {}, "No comments recognised"),
    ("/r/9", {}, "more than 3 redirects"),
    ("/broken", {}, "HTTP 503"),
    ("/post/disqus.html", {"allow_private": False}, "private, loopback or link-local"),
])
async def test_every_bad_url_gets_one_line_and_no_confirm(harness, site, path, settings, says):
    allow_local(harness, **settings)
    before = len(site.seen)
    p = harness.slash("addpost", {"url": site.base + path}, admin=True)
    (fu,) = await harness.followups(p, timeout=20)
    content = fu.json.get("content") or all_text(fu.json)
    assert says in content and "\n" not in content.strip(), content
    assert fu.json["flags"] & 64 and not custom_ids(fu.json)
    assert sorted(f.name for f in (harness.tmp / "corpus").iterdir()) == ["000_page.txt", "001_page.txt"]
    if settings.get("allow_private") is False:
        assert len(site.seen) == before  # refused before any request was sent


async def test_addpost_needs_a_file_or_a_url_and_a_web_address(harness):
    p = harness.slash("addpost", {"title": "x"}, admin=True)
    assert "file:" in (await harness.callback(p)).json["data"]["content"]
    p = harness.slash("addpost", {"url": "file:///etc/passwd"}, admin=True)
    content = (await harness.callback(p)).json["data"]["content"]
    assert "not a web address" in content and "root:" not in content


async def test_addpost_url_is_for_admins_only(harness, site):
    allow_local(harness)
    p = harness.slash("addpost", {"url": site.base + "/post/blogger.html"}, admin=False)
    reply = (await harness.callback(p)).json["data"]["content"]
    assert "admin" in reply.lower() or "permission" in reply.lower()
    assert not any(path.startswith("/post/blogger") for path, _ in site.seen)
