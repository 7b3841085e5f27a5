"""The real discord.py client against the local REST stand-in: every command, buttons, threads, admin checks,
mention safety, Discord's limits and an error path."""

from __future__ import annotations

from tests.bot.conftest import all_text, custom_ids


async def test_login_syncs_commands_once(harness):
    puts = harness.api.find("PUT", r"/applications/\d+/commands")
    assert len(puts) == 1 and puts[0].status == 200
    names = sorted(c["name"] for c in puts[0].json)
    assert names == ["about", "addpost", "ask", "author", "channels", "feedback", "reindex", "removepost", "topic"]


async def test_ask_defers_then_answers_with_quotes_and_buttons(harness):
    p = harness.slash("ask", {"question": "Is it worth it for B2B?", "count": 3})
    cb = await harness.callback(p)
    assert cb.json["type"] == 5  # deferred first
    (fu,) = await harness.followups(p)
    assert fu.status == 200, fu.errors
    text = all_text(fu.json)
    assert "> ROI is hard to prove" in text and "**Bob Smith**" in text
    assert "[Social media for B2B](https://blog.example/b2b)" in text
    assert fu.json["allowed_mentions"] == {"parse": []} or fu.json["allowed_mentions"].get("parse") == []
    ids = custom_ids(fu.json)
    assert [i.split(":")[1] for i in ids] == ["more", "full", "up", "down"]


async def test_more_full_and_votes(harness):
    p = harness.slash("ask", {"question": "roi?", "count": 2})
    (fu,) = await harness.followups(p)
    msg = fu.message
    more, full, up, down = custom_ids(fu.json)

    # More: the next quotes of the same question, numbered on
    c = harness.click(msg, more)
    assert (await harness.callback(c)).json["type"] == 5
    (page2,) = await harness.followups(c)
    assert page2.status == 200, page2.errors
    assert "Quotes 3–" in all_text(page2.json)
    assert ("ask", "roi?", 2, 2) in harness.answerer.calls

    # Full comment: a choice of quote, then the whole comment, ephemerally
    c = harness.click(msg, full)
    pick_req = await harness.callback(c)
    pick = pick_req.json
    assert pick["type"] == 4 and pick["data"]["flags"] & 64
    pick_msg = pick_req.message
    (select_id,) = custom_ids(pick["data"])
    c2 = harness.click(pick_msg, select_id, values=["0"])
    (whole,) = await harness.followups(c2)
    assert whole.json["flags"] & 64
    assert "ROI is hard to prove but leads from LinkedIn groups paid for our whole effort." in all_text(whole.json)

    # 👍 then 👎 with a reason: stored with the question and the quote ids
    c = harness.click(msg, up)
    assert "helpful" in (await harness.callback(c)).json["data"]["content"]
    rows = harness.bot.state.feedback_rows()
    assert rows[0]["vote"] == 1 and rows[0]["question"] == "roi?" and "p1:c1:0" in rows[0]["quote_ids"]
    c = harness.click(msg, down)
    why_req = await harness.callback(c)
    why = why_req.json
    assert why["data"]["content"] == "Thanks. What was wrong?"
    (why_id,) = custom_ids(why["data"])
    c = harness.click(why_req.message, why_id, values=["off_topic"])
    upd = (await harness.callback(c)).json
    assert upd["type"] == 7 and "Off topic" in upd["data"]["content"]
    rows = harness.bot.state.feedback_rows()
    assert len(rows) == 1 and rows[0]["vote"] == -1 and rows[0]["reason"] == "off_topic"


async def test_long_answers_are_paged_never_rejected(harness):
    p = harness.slash("ask", {"question": "policy", "count": 10})
    (fu,) = await harness.followups(p)
    assert fu.status == 200, fu.errors
    e = fu.json["embeds"][0]
    assert len(e["description"]) <= 4096
    shown = e["description"].count("\n— ")
    assert 1 <= shown < 10  # the rest waits behind "More"
    assert " …" in e["description"]  # the 3000-character comment was cut, not dropped


async def test_mention_safety(harness):
    p = harness.slash("ask", {"question": "tell everyone"})
    (fu,) = await harness.followups(p)
    desc = fu.json["embeds"][0]["description"]
    assert "\\<@123456789012345678\\>" in desc and "\\*\\*this\\*\\*" in desc and "\\`that\\`" in desc
    assert "> Tell @everyone" in desc
    assert fu.json["allowed_mentions"]["parse"] == []
    assert "a commenter" in desc  # the unattributed comment


async def test_nothing_found_is_said_plainly(harness):
    p = harness.slash("ask", {"question": "nothing about llamas"})
    (fu,) = await harness.followups(p)
    assert "The corpus has nothing on “nothing about llamas”" in all_text(fu.json)
    assert not fu.json.get("components")


async def test_private_ask_is_ephemeral(harness):
    p = harness.slash("ask", {"question": "roi", "private": True})
    assert (await harness.callback(p)).json["data"]["flags"] & 64
    (fu,) = await harness.followups(p)
    assert fu.json["flags"] & 64


async def test_error_path_answers_ephemerally_after_a_public_defer(harness, caplog):
    p = harness.slash("ask", {"question": "boom"})
    await harness.callback(p)
    (fu,) = await harness.followups(p)
    assert fu.json["flags"] & 64 and "Something went wrong" in fu.json["content"]
    assert harness.api.find("DELETE", f"/webhooks/\\d+/{p['token']}/messages/@original")
    logged = "\n".join(r.getMessage() + str(r.exc_info) for r in caplog.records)
    assert "simulated retrieval failure" in logged
    assert p["token"] not in logged and "MTAwMDAw" not in logged


async def test_cooldown_refuses_second_question(harness):
    harness.bot.settings.ask_cooldown_s = 30
    p1 = harness.slash("ask", {"question": "roi"})
    await harness.followups(p1)
    p2 = harness.slash("ask", {"question": "roi again"})
    cb = await harness.callback(p2)
    assert cb.json["type"] == 4 and cb.json["data"]["flags"] & 64 and "ask again in" in cb.json["data"]["content"]


async def test_topic_autocomplete_limits_and_hand_typed_value(harness):
    a = harness.autocomplete("topic", "name", "")
    cb = await harness.callback(a)
    assert cb.status == 200, cb.errors
    choices = cb.json["data"]["choices"]
    assert len(choices) == 25 and all(len(c["name"]) <= 100 for c in choices)
    p = harness.slash("topic", {"name": "Legal risk"})
    (fu,) = await harness.followups(p)
    assert "What practitioners said on Legal risk" in all_text(fu.json)
    bad = harness.slash("topic", {"name": "astrology"})
    cb = await harness.callback(bad)
    assert cb.json["data"]["flags"] & 64 and "There is no topic “astrology”" in cb.json["data"]["content"]


async def test_author_and_about(harness):
    a = harness.autocomplete("author", "name", "bob")
    cb = await harness.callback(a)
    assert [c["value"] for c in cb.json["data"]["choices"]] == ["Bob Smith"]
    p = harness.slash("author", {"name": "bob smith"})
    (fu,) = await harness.followups(p)
    assert "What Bob Smith said" in all_text(fu.json)
    bad = harness.slash("author", {"name": "Nobody Here"})
    assert "Nobody named" in (await harness.callback(bad)).json["data"]["content"]
    p = harness.slash("about")
    (fu,) = await harness.followups(p)
    assert "**2** posts" in all_text(fu.json) and "2009-03-01" in all_text(fu.json)


async def test_mention_opens_a_thread_and_follow_ups_are_answered(harness):
    harness.say("is it worth it for B2B?", mention=True)
    (th,) = await harness.api.wait_for("POST", r"/channels/\d+/messages/\d+/threads")
    assert th.json["name"] == "is it worth it for B2B?"
    thread = harness.api.threads[0]
    harness.thread_created(thread)
    (ans,) = await harness.api.wait_for("POST", f"/channels/{thread['id']}/messages")
    assert "> ROI is hard to prove" in all_text(ans.json) and ans.json["allowed_mentions"]["parse"] == []
    harness.say("and for legal risk?", channel_id=int(thread["id"]))
    msgs = await harness.api.wait_for("POST", f"/channels/{thread['id']}/messages", 2)
    assert msgs[1].status == 200
    # read with the thread's question (its words follow the follow-up's), and nothing shown above is repeated
    asked = [c[1] for c in harness.answerer.calls if c[0] == "ask"]
    assert asked[-1].startswith("and for legal risk?") and "b2b" in asked[-1]
    assert "Read as a follow-up to “is it worth it for B2B?”" in msgs[1].json["content"]
    assert "> ROI is hard to prove" not in all_text(msgs[1].json)


async def test_channel_mode_needs_enabling_and_ignores_bots(harness):
    harness.say("plain message, channel not enabled")
    harness.say("from a bot", bot_author=True, mention=True)
    p = harness.slash("channels", sub="enable", admin=True)
    cb = await harness.callback(p)
    assert "every message" in cb.json["data"]["content"]
    harness.say("how do I prove ROI?")
    (th,) = await harness.api.wait_for("POST", r"/channels/\d+/messages/\d+/threads")
    assert th.json["name"] == "how do I prove ROI?"
    calls = [c for c in harness.answerer.calls if c[0] == "ask"]
    assert [c[1] for c in calls] == ["how do I prove ROI?"]


async def test_admin_commands_refuse_non_admins(harness):
    for name, kw in (("reindex", {}), ("removepost", {"options": {"file": "000_page.txt"}}),
                     ("channels", {"sub": "enable"}), ("feedback", {"sub": "export"})):
        p = harness.slash(name, **kw)
        cb = await harness.callback(p)
        assert cb.json["data"]["flags"] & 64, name
        assert "Only server admins" in cb.json["data"]["content"], name
    assert not harness.builder.calls
    # an admin role from the settings is enough, without Manage Server
    p = harness.slash("feedback", sub="export", roles=(900000000000000050,))
    assert "No feedback" in (await harness.callback(p)).json["data"]["content"]


async def test_reindex_edits_progress_then_summary_while_questions_go_on(harness):
    harness.builder.delay = 0.6
    p = harness.slash("reindex", admin=True)
    await harness.callback(p)
    q = harness.slash("ask", {"question": "roi during a build"}, user_id=12345)
    (fu,) = await harness.followups(q)
    assert harness.builder.calls and fu.status == 200  # answered while the build runs
    deadline = 50
    while deadline and not any("Reindexed" in all_text(e.json) for e in harness.edits(p)):
        import asyncio

        await asyncio.sleep(0.05)
        deadline -= 1
    texts = [all_text(e.json) for e in harness.edits(p)]
    assert any("Reindexing… embedding" in t for t in texts)
    assert "Reindexed in 0.5 s: 1 added" in texts[-1] and "`000_page.txt`: 2 warnings" in texts[-1]
    assert harness.answerer.refreshed == 1


async def test_addpost_preview_confirm_saves_and_indexes(harness):
    harness.api.files["new.txt"] = b"A post about Twitter.\n"
    att = {"id": "77", "filename": "new.txt", "size": 22, "url": harness.api.attachment_url("new.txt"),
           "proxy_url": harness.api.attachment_url("new.txt"), "content_type": "text/plain"}
    p = harness.slash("addpost", {"file": "77", "title": "Twitter"}, types={"file": 11},
                      resolved={"attachments": {"77": att}}, admin=True)
    (fu,) = await harness.followups(p)
    assert fu.json["flags"] & 64 and "**new.txt**" in all_text(fu.json)
    confirm, cancel = custom_ids(fu.json)
    # someone else cannot press Confirm
    c = harness.click(fu.message, confirm, user_id=42, admin=True)
    assert "Only the admin who started this" in (await harness.callback(c)).json["data"]["content"]
    c = harness.click(fu.message, confirm, admin=True)
    assert (await harness.callback(c)).json["type"] == 7
    corpus = harness.tmp / "corpus"
    assert (corpus / "new.txt").read_bytes() == b"A post about Twitter.\n"
    assert 'title = "Twitter"' in (corpus / "new.meta.toml").read_text()
    await harness.api.wait_for("PATCH", f"/webhooks/\\d+/{c['token']}/messages/@original")
    assert harness.builder.calls


async def test_addpost_refuses_binary_and_oversized(harness):
    harness.api.files["x.txt"] = b"\x00\x01binary"
    att = {"id": "78", "filename": "x.txt", "size": 8, "url": harness.api.attachment_url("x.txt"),
           "proxy_url": harness.api.attachment_url("x.txt")}
    p = harness.slash("addpost", {"file": "78"}, types={"file": 11}, resolved={"attachments": {"78": att}},
                      admin=True)
    (fu,) = await harness.followups(p)
    assert "not text" in fu.json["content"] and fu.json["flags"] & 64
    big = {**att, "id": "79", "size": 50 * 1024 * 1024}
    p = harness.slash("addpost", {"file": "79"}, types={"file": 11}, resolved={"attachments": {"79": big}},
                      admin=True)
    assert "uploads are limited" in (await harness.callback(p)).json["data"]["content"]
    exe = {**att, "id": "80", "filename": "tool.exe"}
    p = harness.slash("addpost", {"file": "80"}, types={"file": 11}, resolved={"attachments": {"80": exe}},
                      admin=True)
    assert "Only page files" in (await harness.callback(p)).json["data"]["content"]
    assert not (harness.tmp / "corpus" / "x.txt").exists()


async def test_removepost_moves_the_file_out_and_reindexes(harness):
    a = harness.autocomplete("removepost", "file", "001", admin=True)
    assert [c["value"] for c in (await harness.callback(a)).json["data"]["choices"]] == ["001_page.txt"]
    p = harness.slash("removepost", {"file": "../etc/passwd"}, admin=True)
    assert "no corpus file" in (await harness.callback(p)).json["data"]["content"]
    p = harness.slash("removepost", {"file": "001_page.txt"}, admin=True)
    await harness.callback(p)
    await harness.api.wait_for("PATCH", f"/webhooks/\\d+/{p['token']}/messages/@original", 2)
    assert not (harness.tmp / "corpus" / "001_page.txt").exists()
    assert list((harness.tmp / "data" / "removed").glob("*/001_page.txt"))


async def test_feedback_export_csv(harness):
    p = harness.slash("ask", {"question": "roi"})
    (fu,) = await harness.followups(p)
    up = custom_ids(fu.json)[2]
    await harness.callback(harness.click(fu.message, up))
    p = harness.slash("feedback", sub="export", admin=True)
    cb = await harness.callback(p)
    assert cb.files == ["feedback-900000000000000010.csv"]
    csv_text = cb.file_bytes[cb.files[0]].decode()
    assert csv_text.splitlines()[0].startswith("created_at,guild_id,user_id,vote,reason,question,quote_ids")
    assert ",up,,roi," in csv_text


async def test_reindex_cooldown_is_global_and_not_spent_by_refused_users(harness):
    harness.bot.settings.reindex_cooldown_s = 60
    p = harness.slash("reindex")  # a non-admin: refused, and the cooldown untouched
    assert "Only server admins" in (await harness.callback(p)).json["data"]["content"]
    p = harness.slash("reindex", admin=True)
    assert (await harness.callback(p)).json["type"] == 5
    p2 = harness.slash("reindex", admin=True, user_id=4242)  # another admin: the cooldown is global
    cb = await harness.callback(p2)
    assert "again in" in cb.json["data"]["content"] and cb.json["data"]["flags"] & 64
    assert len(harness.builder.calls) <= 1
