"""Hostile input: the corpus reader fuzzed, uploads meant to hurt, questions meant to ping or to make the bot say
something, and admin commands from people who are not admins (or not in a server).

Every test here counts what it tried; docs/reliability.md reports the counts.
"""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.soak import ACK_LIMIT_S, bot_rig, classify
from index.corpus import parse_bytes
from tests.bot.conftest import all_text, custom_ids
from tests.conftest import ROOT, FakeEmbedder

# --- the corpus reader, fuzzed ---------------------------------------------------------------------------------------

TRICKY = [
    "Amber,", "Hi Chris,", "@Jen", "Cheers, Shim.", "Reply", "Recent Posts", "Copyright © 2009 Jim Mitchem.",
    "Dec 4, 2009", "Jane Doe says:", "February 3, 2010 at 9:14 am", "Jane Doe said...", "Anonymous said...",
    "Great post!", "3 Responses to “x”", "Leave a Reply", "Comments", "Posted by Rita Ortega", "<p>html</p>",
    "<?xml version='1.0'?>", "&amp; &lt;", "-- ", "> quoted", "* bullet", "1. numbered", "```", "@everyone",
    "<@123456789012345678>", "\u200b", "\u202eevil", "\ufeffbom", "x" * 5000, "Jane" * 400 + " says:",
]
HOSTILE_CHARS = st.characters(codec="utf-8", exclude_categories=("Cs",))  # controls, zero-width, RTL included
line = st.one_of(st.text(HOSTILE_CHARS, max_size=120), st.sampled_from(TRICKY))
PARSE_LIMIT_S = 5.0  # no hang: a page parses within this, whatever it holds


def fold(s: str) -> str:
    return re.sub(r"\s+", " ", s).strip()


def _lost_lines(text: str, page) -> list[str]:
    """Lines of `text` (as the reader splits them) in no record and not reported as dropped."""
    out = " \n ".join(fold(r.text) for r in page.records)
    dropped = " \n ".join(fold(t) for _, t, _ in page.dropped)
    norm = text.replace("\r\n", "\n").replace("\r", "\n").replace("\ufeff", "")
    return [s for ln in norm.splitlines() if (s := fold(ln)) and s not in out and s not in dropped]


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.lists(line, max_size=40), st.sampled_from(["\n", "\r\n", "\r"]))
def test_reader_fuzzed_text_never_crashes_hangs_or_loses_a_line(lines, eol):
    text = eol.join(lines)
    t = time.perf_counter()
    page = parse_bytes(text.encode("utf-8"), "fuzz.txt")
    assert time.perf_counter() - t < PARSE_LIMIT_S
    if not page.records:  # refused as a whole (binary-looking, XML that is not an export): said so, with why
        assert page.warnings
        return
    assert not _lost_lines(text, page), _lost_lines(text, page)[:3]
    ids = [r.comment_id for r in page.comments]
    assert len(ids) == len(set(ids)) and all(r.text.strip() for r in page.records)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=4000), st.sampled_from(["x.txt", "x.html", "x.xml", "x.md"]))
def test_reader_fuzzed_bytes_never_crashes(data, name):
    t = time.perf_counter()
    page = parse_bytes(data, name)
    assert time.perf_counter() - t < PARSE_LIMIT_S
    assert page.records or page.warnings  # something read, or a reason why not


WXR_HEAD = ('<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/'
            'modules/content/" xmlns:wp="http://wordpress.org/export/1.2/" xmlns:dc="http://purl.org/dc/elements/'
            '1.1/"><channel>')


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.text(HOSTILE_CHARS, max_size=60), st.text(HOSTILE_CHARS, max_size=200)), max_size=6),
       st.booleans())
def test_reader_fuzzed_wordpress_exports_never_crash_and_keep_every_comment(comments, cdata):
    from xml.sax.saxutils import escape

    def body(s: str) -> str:
        return f"<![CDATA[{s.replace(']]>', '')}]]>" if cdata else escape(s)

    cs = "".join(f"<wp:comment><wp:comment_author>{escape(a)}</wp:comment_author><wp:comment_content>{body(c)}"
                 "</wp:comment_content><wp:comment_approved>1</wp:comment_approved></wp:comment>"
                 for a, c in comments)
    xml = (WXR_HEAD + "<item><title>t</title><link>https://x.example/p</link><wp:post_id>1</wp:post_id>"
           "<wp:status>publish</wp:status><wp:post_type>post</wp:post_type><content:encoded>Post body."
           f"</content:encoded>{cs}</item></channel></rss>")
    page = parse_bytes(xml.encode("utf-8", "surrogatepass"), "export.xml")
    if any(re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]", a + c) for a, c in comments):
        assert page.warnings  # not well-formed XML: refused with the parser's reason
        return
    kept = {fold(r.text) for r in page.comments}
    for _a, c in comments:
        words = fold(re.sub(r"<[^>]*>", " ", c))
        if words and re.search(r"\w", words):
            assert any(w in " ".join(kept) for w in words.split()[:3]), (c, kept)


PATHOLOGICAL = {
    "one 2 MB line": "word " * 400_000,
    "20,000 'says:' headers": "\n".join(f"Person {i} says:" for i in range(20_000)),
    "20,000 dates": "\n".join("February 3, 2010 at 9:14 am" for _ in range(20_000)),
    "nested brackets": "(" * 50_000 + ")" * 50_000,
    "50,000 blank lines": "\n" * 50_000 + "Jane says:\nhello",
    "html soup": "<div>" * 20_000 + "text" + "</div>" * 20_000,
    "long signature lines": "\n".join(["Great post!", "-- ", "Bob " * 2000] * 200),
}


@pytest.mark.parametrize("name", list(PATHOLOGICAL))
def test_reader_on_pathological_pages_finishes_quickly(name):
    text = PATHOLOGICAL[name]
    t = time.perf_counter()
    page = parse_bytes(text.encode(), "patho.html" if "html" in name else "patho.txt")
    took = time.perf_counter() - t
    assert took < PARSE_LIMIT_S * 2, f"{name}: {took:.1f} s"
    assert page.records or page.warnings


def test_atheris_fuzzer_runs_bounded():
    """bench/fuzz_reader.py (atheris, coverage-guided) for a bounded number of runs: no crash, no hang."""
    p = subprocess.run([sys.executable, str(ROOT / "bench" / "fuzz_reader.py"), "-runs=3000", "-max_len=4096",
                        "-timeout=10", "-seed=1"], cwd=ROOT, capture_output=True, text=True, timeout=180)
    assert p.returncode == 0, p.stderr[-3000:]
    assert re.search(r"Done \d+ runs", p.stderr), p.stderr[-1000:]


# --- /addpost uploads ----------------------------------------------------------------------------------------------

PASSWD_MARK = "root:x:0:0"
BILLION_LAUGHS = (
    '<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10))
    + ']>\n<rss version="2.0" xmlns:wp="http://wordpress.org/export/1.2/"><channel><item><title>&lol9;</title>'
    "<wp:status>publish</wp:status><wp:post_type>post</wp:post_type></item></channel></rss>"
)
XXE = (
    '<?xml version="1.0"?>\n<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n<rss version="2.0" '
    'xmlns:wp="http://wordpress.org/export/1.2/" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>'
    "<item><title>x</title><wp:status>publish</wp:status><wp:post_type>post</wp:post_type><content:encoded>&xxe;"
    "</content:encoded></item></channel></rss>"
)
UPLOADS = {
    # name: (file name, bytes, claimed size or None, what the refusal says)
    "claimed oversized": ("big.txt", b"small", 50 * 1024 * 1024, "uploads are limited"),
    "oversized in fact": ("big2.txt", b"A post.\n" * 200_000, 100, "uploads are limited"),
    "binary": ("image.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4, None, "not text"),
    "utf-16 without BOM": ("u16.txt", "A post about Twitter.\n".encode("utf-16-le"), None, "not text"),
    "neither utf-8 nor cp1252": ("bad.txt", b"A post \x81\x8d\x8f\x90\x9d about ROI.\n" * 3, None, "not text"),
    "billion laughs": ("laughs.xml", BILLION_LAUGHS.encode(), None, "could not read"),
    "external entity": ("xxe.xml", XXE.encode(), None, "could not read"),
    "xml that is not an export": ("other.xml", b'<?xml version="1.0"?><note>hi</note>', None, "could not read"),
    "wrong type": ("tool.exe", b"MZ\x90\x00", None, "Only page files"),
    "empty": ("empty.txt", b"   \n\n", None, "could not read"),
    "path in the name": ("../../outside.txt", b"A post about Twitter.\n", None, "not a plain file name"),
    "windows path in the name": ("..\\..\\outside.txt", b"A post about Twitter.\n", None, "not a plain file name"),
    "absolute path": ("/etc/cron.d/evil.txt", b"A post about Twitter.\n", None, "not a plain file name"),
    "control characters in the name": ("ev\x00il\r\n.txt", b"A post about Twitter.\n", None, "not a plain file name"),
    "right-to-left override": ("\u202etxt.exe", b"A post about Twitter.\n", None, "not a plain file name"),
    "hidden file": (".bashrc.txt", b"A post about Twitter.\n", None, "not a plain file name"),
}


def _outside(tmp: Path) -> set[str]:
    """Files a write outside the corpus folder could land in: this test's folder (not the corpus, not the bot's
    data folder), the folder above it (where ../../x lands), and the absolute paths the hostile names aim at."""
    found = {str(p) for p in tmp.rglob("*") if p.is_file() and p.parent.name not in ("corpus", "data")}
    found |= {str(p) for p in tmp.parent.iterdir()}
    found |= {p for p in ("/etc/cron.d/evil.txt", "/outside.txt", "/tmp/outside.txt") if os.path.exists(p)}
    return found


async def _upload(h, name: str, data: bytes, size: int | None, **options):
    aid = str(abs(hash(name)) % 10**8)
    key = f"f{aid}"
    h.api.files[key] = data
    att = {"id": aid, "filename": name, "size": len(data) if size is None else size,
           "url": h.api.attachment_url(key), "proxy_url": h.api.attachment_url(key)}
    p = h.slash("addpost", {"file": aid, **options}, types={"file": 11}, resolved={"attachments": {aid: att}},
                admin=True)
    cb = await h.callback(p)
    if cb.json["type"] == 4:
        return cb.json["data"]
    (fu,) = await h.followups(p)
    return fu.json


@pytest.mark.parametrize("case", list(UPLOADS))
async def test_hostile_upload_is_refused_with_its_reason_and_nothing_is_written(case, harness):
    harness.bot.settings.max_upload_mb = 1.0
    name, data, size, reason = UPLOADS[case]
    corpus = harness.tmp / "corpus"
    outside_before = _outside(harness.tmp)
    corpus_before = sorted(p.name for p in corpus.iterdir())
    t = time.perf_counter()
    reply = await asyncio.wait_for(_upload(harness, name, data, size), 20)
    assert time.perf_counter() - t < 10  # no entity expansion, no hang
    text = all_text(reply)
    assert reply.get("flags", 0) & 64, text  # only the admin sees it
    assert reason in text, text
    assert not custom_ids(reply)  # no Confirm button: nothing can be saved from here
    assert PASSWD_MARK not in text
    assert sorted(p.name for p in corpus.iterdir()) == corpus_before
    assert _outside(harness.tmp) == outside_before
    assert not harness.builder.calls


async def test_cp1252_upload_is_accepted_and_says_how_it_was_read(harness):
    reply = await _upload(harness, "old.txt", "Caf\xe9 owners on Twitter \u2013 a post.\n".encode("cp1252"), None)
    text = all_text(reply)
    assert "read as cp1252" in text and custom_ids(reply)  # previewed with the note, Confirm offered


async def test_upload_metadata_cannot_break_or_inject_into_the_sidecar(harness):
    """Title and author are free text typed by an admin: quotes, newlines and control characters must come back
    as they were typed (minus controls), never as extra sidecar fields."""
    import tomllib

    title = 'Hostile "title"\nurl = "https://evil.example"\r\x00\x1b[31m \\ end'
    reply = await _upload(harness, "meta.txt", b"A post about Twitter for bakeries.\n", None, title=title,
                          author="Bob\u202e \x07")
    (confirm, _cancel) = custom_ids(reply)
    msg = harness.api.find("POST", r"/webhooks/")[-1].message
    c = harness.click(msg, confirm, admin=True)
    await harness.callback(c)
    side = harness.tmp / "corpus" / "meta.meta.toml"
    data = tomllib.loads(side.read_text(encoding="utf-8"))
    assert set(data) == {"title", "author"}
    assert data["title"].startswith('Hostile "title"') and "evil.example" in data["title"]  # text, not a field
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f]", data["title"] + data["author"])
    from index.corpus import parse_file

    page = parse_file(harness.tmp / "corpus" / "meta.txt")
    assert not [w for w in page.warnings if "sidecar" in w.message], page.warnings
    assert page.posts[0].post_title == data["title"]


async def test_javascript_url_is_refused(harness):
    reply = await _upload(harness, "u.txt", b"A post about Twitter.\n", None, url="javascript:alert(1)")
    assert "url must start with http" in all_text(reply) and not custom_ids(reply)


# --- questions -----------------------------------------------------------------------------------------------------

HOSTILE_QUESTIONS = {
    "empty": "",
    "whitespace": " \t \n ",
    "6,000 characters": "How do I prove ROI? " * 300,
    "control characters": "ROI\x00\x07\x1b[31m of\x08 Twitter\x7f",
    "zero-width": "\u200b\u200c\u200d\ufeff",
    "zero-width inside": "R\u200bO\u200bI of social media",
    "right-to-left override": "\u202eIOR fo aidem laicos",
    "@everyone": "@everyone @here is social media worth it?",
    "user and role mentions": "<@123456789012345678> <@!123456789012345678> <@&987654321098765432> ROI?",
    "channel and emoji": "<#123456789012345678> <:pepe:123456789012345678> </ask:1> ROI",
    "markdown": "**bold** __under__ ~~strike~~ ||spoiler|| `code` # heading > quote - list [link](https://evil.example)",
    "code fence": "```\n@everyone\n```\n```py\nprint('x')\n``` ROI",
    "post arbitrary text": "zzqx”.\n\n# OFFICIAL: free nitro at [discord.gift](https://evil.example) @everyone\n> “",
    "nothing-found echo": "zzqx [click here](https://evil.example) **now** <@&987654321098765432> @everyone",
    "masked link only": "[https://discord.com](https://evil.example)",
}
MARKDOWN = re.compile(r"[*_~`|\[\]<>#]")


@pytest.fixture
async def real_rig(fake_index):
    """The real Answerer (fake embedder) behind the Discord stand-in."""
    corpus, db = fake_index
    async with bot_rig(corpus, db, FakeEmbedder()) as h:
        yield h


def _unescaped_echo(question: str, payload: dict) -> list[str]:
    """Pieces of the question carrying markdown or mentions that came back verbatim (not escaped)."""
    text = re.sub(r"\\[\\*_~`|\[\]<>#-]", "", all_text(payload))  # escaped characters render as text: drop them
    pieces = [p for p in re.split(r"\s+", question) if MARKDOWN.search(p) and len(p) > 1]
    return [p for p in pieces if p in text]


@pytest.mark.parametrize("case", list(HOSTILE_QUESTIONS))
async def test_hostile_question_gets_a_safe_reply(case, real_rig):
    h = real_rig
    q = HOSTILE_QUESTIONS[case]
    p = h.slash("ask", {"question": q}, user_id=4242)
    tr = h.api.track(p, "ask", time.perf_counter())
    await asyncio.wait_for(tr.done.wait(), 30)
    assert tr.ack_s < ACK_LIMIT_S
    assert classify(tr) is None, (classify(tr), tr.text[:500])
    assert not h.api.rejected, h.api.rejected  # within every Discord limit
    assert not h.api.mention_leaks, h.api.mention_leaks  # nobody pinged
    assert not _unescaped_echo(q, tr.answer), _unescaped_echo(q, tr.answer)
    assert "evil.example)" not in tr.text or "\\]" in tr.text  # a masked link never renders as a link


@pytest.mark.parametrize("case", ["@everyone", "user and role mentions", "markdown", "post arbitrary text",
                                  "6,000 characters", "control characters"])
async def test_hostile_question_by_mention_gets_a_safe_reply_in_a_thread(case, real_rig):
    h = real_rig
    q = HOSTILE_QUESTIONS[case]
    h.say(q, mention=True, user_id=4343)
    (th,) = await h.api.wait_for("POST", r"/channels/\d+/messages/\d+/threads", timeout=30)
    assert 1 <= len(th.json["name"]) <= 100
    thread = h.api.threads[-1]
    (ans,) = await h.api.wait_for("POST", f"/channels/{thread['id']}/messages", timeout=30)
    assert ans.status == 200, ans.errors
    assert "Something went wrong" not in all_text(ans.json)
    assert ans.json["allowed_mentions"]["parse"] == [] and not h.api.mention_leaks
    assert not _unescaped_echo(q, ans.json)


async def test_a_flood_of_hostile_questions_at_once(real_rig):
    """Every hostile question 4 times, all in flight together."""
    import random

    h = real_rig
    rng = random.Random(5)
    qs = list(HOSTILE_QUESTIONS.values()) * 4
    async def one(q: str):
        p = h.slash("ask", {"question": q}, user_id=rng.randrange(10**17, 10**18))
        tr = h.api.track(p, "ask", time.perf_counter())
        await asyncio.wait_for(tr.done.wait(), 60)
        return tr

    trs = await asyncio.gather(*(one(q) for q in qs))
    assert [classify(t) for t in trs] == [None] * len(qs)
    assert max(t.ack_s for t in trs) < ACK_LIMIT_S
    assert not h.api.rejected and not h.api.mention_leaks


# --- permissions -----------------------------------------------------------------------------------------------------

ADMIN_COMMANDS = [("reindex", {}), ("removepost", {"options": {"file": "000_page.txt"}}),
                  ("channels", {"sub": "enable"}), ("channels", {"sub": "disable"}), ("feedback", {"sub": "export"}),
                  ("addpost", {"options": {"file": "1"}, "types": {"file": 11},
                               "resolved": {"attachments": {"1": {"id": "1", "filename": "a.txt", "size": 5,
                                                                  "url": "http://127.0.0.1:9/a",
                                                                  "proxy_url": "http://127.0.0.1:9/a"}}}})]
PERM_NONE = "0"
PERM_EVERYTHING_BUT = str(__import__("discord").Permissions.all().value
                          & ~__import__("discord").Permissions(manage_guild=True, administrator=True).value)


@pytest.mark.parametrize("who", ["member", "member of a server that opened the command to everyone",
                                 "no permissions at all", "admin in a DM", "member in a DM"])
@pytest.mark.parametrize("command", range(len(ADMIN_COMMANDS)))
async def test_admin_commands_are_refused_by_the_runtime_check(who, command, harness, monkeypatch):
    import tests.bot.conftest as harness_module

    name, kw = ADMIN_COMMANDS[command]
    guild = "DM" not in who
    if who == "no permissions at all":
        monkeypatch.setattr(harness_module, "PERM_MEMBER", PERM_NONE)
    elif who.startswith("member of a server"):
        # the server let everyone use the command (integration settings): Discord delivers it, with everything
        # but Manage Server and Administrator; the check at run time is what refuses
        monkeypatch.setattr(harness_module, "PERM_MEMBER", PERM_EVERYTHING_BUT)
    p = harness.slash(name, **kw, guild=guild, admin=who == "admin in a DM")
    cb = await harness.callback(p)
    text = cb.json["data"]["content"]
    assert cb.json["type"] == 4 and cb.json["data"]["flags"] & 64
    assert ("Only server admins" in text) if guild else ("works in a server only" in text), text
    assert not harness.builder.calls and not harness.bot.state.channel_enabled(900000000000000020)


async def test_non_admins_see_no_file_names_and_cannot_confirm_an_upload(harness):
    a = harness.autocomplete("removepost", "file", "")
    assert (await harness.callback(a)).json["data"]["choices"] == []
    harness.api.files["n.txt"] = b"A post about Twitter.\n"
    att = {"id": "55", "filename": "n.txt", "size": 22, "url": harness.api.attachment_url("n.txt"),
           "proxy_url": harness.api.attachment_url("n.txt")}
    p = harness.slash("addpost", {"file": "55"}, types={"file": 11}, resolved={"attachments": {"55": att}},
                      admin=True)
    (fu,) = await harness.followups(p)
    confirm, _ = custom_ids(fu.json)
    c = harness.click(fu.message, confirm, user_id=777)  # somebody else, not an admin
    assert "Only the admin who started this" in (await harness.callback(c)).json["data"]["content"]
    assert not (harness.tmp / "corpus" / "n.txt").exists() and not harness.builder.calls


async def test_admin_by_role_or_administrator_is_allowed(harness, monkeypatch):
    import discord

    import tests.bot.conftest as harness_module

    p = harness.slash("feedback", sub="export", roles=(900000000000000050,))
    assert "No feedback" in (await harness.callback(p)).json["data"]["content"]
    monkeypatch.setattr(harness_module, "PERM_MEMBER", str(discord.Permissions(administrator=True).value))
    p = harness.slash("feedback", sub="export")
    assert "No feedback" in (await harness.callback(p)).json["data"]["content"]
