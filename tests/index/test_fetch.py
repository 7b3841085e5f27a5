"""`adoptbot corpus fetch` and the fetch library, against a local HTTP server (127.0.0.1, allowed only with
ADOPTBOT_FETCH_ALLOW_PRIVATE=true) and, for the address checks, a fake resolver with httpx's mock transport, so no
test ever sends a packet to a private or public address."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import httpx
import pytest

from index.corpus import parse_file
from index.corpus.fetch import FetchError, check_url, fetch
from index.corpus.intake import name_for, preview_url, save_page
from index.settings import FetchSettings
from tests.index.fetch_server import Server

ROOT = Path(__file__).resolve().parents[2]
LOCAL = FetchSettings(allow_private=True, timeout_s=1.0, max_mb=1.0, max_redirects=3)


@pytest.fixture(scope="module")
def server():
    with Server() as s:
        yield s


def kind_of(url: str, settings: FetchSettings = LOCAL) -> str:
    with pytest.raises(FetchError) as e:
        fetch(url, settings)
    assert "\n" not in str(e.value)  # one clear line
    return e.value.kind


def test_a_page_is_fetched_and_read(server):
    got = fetch(server.base + "/post/wordpress_classic.html", LOCAL)
    assert got.kind == "html" and b"Tomas Lindqvist" in got.data


def test_redirects_are_followed_up_to_the_limit(server):
    got = fetch(server.base + "/r/2", LOCAL)  # 3 redirects: /r/2 -> /r/1 -> /r/0 -> the page
    assert got.url.endswith("/post/wordpress_classic.html")
    assert kind_of(server.base + "/r/3") == "redirects"


def test_bad_urls_each_get_one_line(server):
    assert kind_of(server.base + "/missing") == "not_found"
    assert kind_of(server.base + "/broken") == "http"
    assert kind_of(server.base + "/pdf") == "not_html"
    assert kind_of(server.base + "/json") == "not_html"
    assert kind_of(server.base + "/huge-declared") == "too_large"
    assert kind_of(server.base + "/huge-streamed") == "too_large"
    assert kind_of("ftp://example.org/x") == "bad_url"
    assert kind_of("http://user:pw@example.org/x") == "bad_url"
    assert kind_of("http://no-such-host.invalid/x") == "unreachable"


def test_slow_and_dripping_servers_hit_the_deadline(server):
    for path in ("/slow", "/drip"):
        t = time.perf_counter()
        assert kind_of(server.base + path) == "timeout"
        assert time.perf_counter() - t < 3.0, path  # deadline 1 s; a read timeout at most once more


def test_a_wordpress_export_is_accepted(server):
    got = fetch(server.base + "/export.xml", LOCAL)
    assert got.kind == "wxr"


def test_loopback_is_refused_unless_allowed_and_gets_no_request(server):
    before = len(server.seen)
    e = pytest.raises(FetchError, fetch, server.base + "/post/wordpress_classic.html", FetchSettings())
    assert e.value.kind == "private" and "127.0.0.1" in str(e.value) and "ADOPTBOT_FETCH_ALLOW_PRIVATE" in str(e.value)
    assert len(server.seen) == before


# --- the address checks, with a fake resolver (nothing leaves the process) -------------------------------------------

DNS = {
    "blog.example": ["93.184.216.34"], "evil.example": ["10.0.0.5"], "mixed.example": ["93.184.216.34", "192.168.1.9"],
    "meta.example": ["169.254.169.254"], "cgnat.example": ["100.64.0.1"], "mapped.example": ["::ffff:127.0.0.1"],
    "v6.example": ["2606:4700::1111"], "ula.example": ["fd00::1"],
}


def fake_resolve(host: str, port: int) -> list[str]:
    if host not in DNS:
        raise FetchError("unreachable", f"no such host: {host}")
    return DNS[host]


@pytest.mark.parametrize("host", ["evil.example", "mixed.example", "meta.example", "cgnat.example", "mapped.example",
                                  "ula.example"])
def test_every_non_public_address_is_refused(host):
    with pytest.raises(FetchError) as e:
        check_url(f"http://{host}/p", allow_private=False, resolver=fake_resolve)
    assert e.value.kind == "private"
    for literal in ("http://127.0.0.1/", "http://[::1]/", "http://10.1.2.3/", "http://0.0.0.0/"):
        with pytest.raises(FetchError):
            check_url(literal, allow_private=False)


def test_public_addresses_pass_and_the_connection_goes_to_the_checked_address():
    assert check_url("https://v6.example/p", allow_private=False, resolver=fake_resolve)[3] == "2606:4700::1111"
    seen = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append((str(request.url), request.headers["host"], request.extensions.get("sni_hostname")))
        if request.url.path == "/start":
            return httpx.Response(302, headers={"Location": "http://evil.example/internal"})
        return httpx.Response(200, headers={"Content-Type": "text/html"}, content=b"<p>x</p>")

    s = FetchSettings(allow_private=False)
    got = fetch("https://blog.example/ok", s, resolver=fake_resolve, transport=httpx.MockTransport(handler))
    assert got.kind == "html"
    assert seen[-1] == ("https://93.184.216.34/ok", "blog.example", "blog.example")  # pinned IP, name kept for TLS
    with pytest.raises(FetchError) as e:  # the redirect's hop is checked too, before any request to it
        fetch("http://blog.example/start", s, resolver=fake_resolve, transport=httpx.MockTransport(handler))
    assert e.value.kind == "private" and not any("10.0.0.5" in u for u, _, _ in seen)


# --- saving ----------------------------------------------------------------------------------------------------------


def test_names_from_addresses():
    assert name_for("https://x.example/2010/02/should-a-bakery/", "html") == "should-a-bakery.html"
    assert name_for("https://x.example/blog/post.php?id=3", "html") == "post.html"
    assert name_for("https://x.example/", "html") == "x.example.html"
    assert name_for("https://x.example/a/../../etc/passwd", "wxr") == "passwd.xml"
    assert name_for("https://x.example/%2e%2e%2f.hidden", "html") == "hidden.html"


def test_save_never_overwrites(tmp_path):
    a = save_page(tmp_path, b"<p>one</p>", "p.html", {"url": "https://x.example/p", "title": 'A "quoted"\ntitle'})
    assert (a.name, a.existed) == ("p.html", False)
    assert tomllib.loads((tmp_path / "p.meta.toml").read_text())["title"] == 'A "quoted" title'
    assert save_page(tmp_path, b"<p>one</p>", "p.html", {}).existed  # same bytes: already there
    b = save_page(tmp_path, b"<p>two</p>", "p.html", {"url": "https://x.example/p"})
    assert b.name == "p-2.html" and (tmp_path / "p.html").read_bytes() == b"<p>one</p>"
    (tmp_path / "q.meta.toml").write_text('title = "an orphan sidecar"\n')
    assert save_page(tmp_path, b"<p>q</p>", "q.html", {"url": "u"}).name == "q-2.html"
    assert (tmp_path / "q.meta.toml").read_text() == 'title = "an orphan sidecar"\n'
    assert not list(tmp_path.glob(".*part"))


def test_preview_reads_the_page_with_the_url_as_its_address(server):
    pre = preview_url(server.base + "/r/1", LOCAL)
    assert pre.name == "wordpress_classic.html" and pre.page.shape == "html:wordpress"
    assert pre.meta["url"].endswith("/post/wordpress_classic.html")
    assert pre.meta["title"] == "Should a bakery be on Twitter?" and pre.meta["author"] == "Maren Holt"
    assert 0.7 < pre.attributed < 1.0
    assert all(r.post_url == pre.meta["url"] for r in pre.page.records)


# --- the command -----------------------------------------------------------------------------------------------------


def run_fetch(*args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, ADOPTBOT_FETCH_ALLOW_PRIVATE="true", ADOPTBOT_FETCH_TIMEOUT_S="2")
    return subprocess.run([sys.executable, "-m", "bot.cli", "corpus", "fetch", *args], capture_output=True, text=True,
                          cwd=ROOT, env=env, timeout=60)


def test_cli_fetch_saves_pages_and_reports_like_corpus_check(server, tmp_path):
    corpus = tmp_path / "corpus"
    p = run_fetch(server.base + "/post/disqus.html", server.base + "/export.xml", "--corpus", str(corpus))
    assert p.returncode == 0, p.stderr
    assert "disqus.html" in p.stdout and "html:disqus" in p.stdout and "wxr" in p.stdout and "80%" in p.stdout
    assert sorted(f.name for f in corpus.iterdir()) == ["disqus.html", "disqus.meta.toml", "export.meta.toml",
                                                        "export.xml"]
    side = tomllib.loads((corpus / "disqus.meta.toml").read_text())
    assert side == {"url": server.base + "/post/disqus.html", "title": "Does a hospital belong on Instagram?",
                    "author": "Noor Haddad", "date": "2016-05-09T07:00"}
    page = parse_file(corpus / "disqus.html")
    assert page.posts[0].post_url == side["url"] and len(page.comments) == 5
    # again: nothing overwritten, nothing saved twice; a failing URL is one line and exit 1
    again = run_fetch(server.base + "/post/disqus.html", server.base + "/pdf", "--corpus", str(corpus), "--json")
    assert again.returncode == 1
    rows = json.loads(again.stdout)
    assert rows[0]["saved"] is False and "already in the corpus" in rows[0]["warnings"][0]
    assert rows[1]["error"] == "not_html"
    errors = [ln for ln in again.stderr.splitlines() if ln.startswith("adoptbot:")]
    assert len(errors) == 1 and "application/pdf" in errors[0]
    assert len(list(corpus.iterdir())) == 4


def test_cli_fetch_refuses_loopback_without_the_setting(server, tmp_path):
    p = subprocess.run([sys.executable, "-m", "bot.cli", "corpus", "fetch", server.base + "/post/typepad.html",
                        "--corpus", str(tmp_path)], capture_output=True, text=True, cwd=ROOT, timeout=60,
                       env={k: v for k, v in os.environ.items() if not k.startswith("ADOPTBOT_FETCH")})
    assert p.returncode == 1 and "private, loopback or link-local" in p.stderr and not list(tmp_path.iterdir())
