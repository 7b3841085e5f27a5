"""What failed in issue 14, each tried again through the local Discord stand-in (the chat's items: test_chat.py,
start-up and shutdown: test_chat_health_runner.py)."""

from __future__ import annotations

from tests.bot.conftest import all_text, custom_ids
from tests.bot.discord_standin import CHANNEL_ID


async def test_item1_no_thread_permission_answers_as_a_reply_in_the_channel(harness):
    harness.api.no_threads.add(CHANNEL_ID)
    msg = harness.say("is it worth it for B2B?", mention=True)
    (th,) = await harness.api.wait_for("POST", r"/channels/\d+/messages/\d+/threads")
    assert th.status == 403  # Discord refused the thread
    (reply,) = await harness.api.wait_for("POST", rf"/channels/{CHANNEL_ID}/messages$")
    assert reply.status == 200, reply.errors
    assert str(reply.json["message_reference"]["message_id"]) == msg["id"]  # a reply to the question, in the channel
    text = all_text(reply.json)
    assert "> ROI is hard to prove" in text and "Something went wrong" not in text
    assert [i.split(":")[1] for i in custom_ids(reply.json)] == ["more", "full", "up", "down"]


async def _preview(harness, att_id="77", name="new.txt", body=b"A post about Twitter.\n"):
    harness.api.files[name] = body
    att = {"id": att_id, "filename": name, "size": len(body), "url": harness.api.attachment_url(name),
           "proxy_url": harness.api.attachment_url(name), "content_type": "text/plain"}
    p = harness.slash("addpost", {"file": att_id, "title": "Twitter"}, types={"file": 11},
                      resolved={"attachments": {att_id: att}}, admin=True)
    (fu,) = await harness.followups(p)
    return fu


async def test_item2_addpost_confirm_after_a_restart_still_saves(harness):
    fu = await _preview(harness)
    confirm, _cancel = custom_ids(fu.json)
    await harness.restart()  # the preview was made by the process before this one
    c = harness.click(fu.message, confirm, admin=True)
    cb = await harness.callback(c)
    assert cb.json["type"] == 7 and "Saved `new.txt`" in cb.json["data"]["content"]
    assert (harness.tmp / "corpus" / "new.txt").read_bytes() == b"A post about Twitter.\n"
    await harness.api.wait_for("PATCH", f"/webhooks/\\d+/{c['token']}/messages/@original")
    assert harness.builder.calls
    # pressed again (a second tab, a double click): the preview is gone, and the admin is told, not left hanging
    again = harness.click(fu.message, confirm, admin=True)
    cb = await harness.callback(again)
    assert "This preview has expired" in cb.json["data"]["content"]


async def test_item2_an_expired_preview_says_upload_again(harness):
    fu = await _preview(harness, "81", "old.txt")
    confirm, _ = custom_ids(fu.json)
    harness.bot.state._db.execute("UPDATE previews SET created_at = created_at - 2 * 86400")
    cb = await harness.callback(harness.click(fu.message, confirm, admin=True))
    assert "This preview has expired" in cb.json["data"]["content"] and "upload the page again" in \
        cb.json["data"]["content"]
    assert not (harness.tmp / "corpus" / "old.txt").exists()


async def test_item2_cancel_keeps_the_corpus_unchanged(harness):
    fu = await _preview(harness, "82", "maybe.txt")
    _, cancel = custom_ids(fu.json)
    cb = await harness.callback(harness.click(fu.message, cancel, admin=True))
    assert "Cancelled" in cb.json["data"]["content"] and not (harness.tmp / "corpus" / "maybe.txt").exists()


async def _thread(harness, question):
    harness.say(question, mention=True)
    await harness.api.wait_for("POST", r"/channels/\d+/messages/\d+/threads")
    thread = harness.api.threads[-1]
    harness.thread_created(thread)
    (first,) = await harness.api.wait_for("POST", f"/channels/{thread['id']}/messages")
    return thread, first


async def test_item6_follow_ups_are_read_in_the_thread_and_quotes_never_repeat(harness):
    thread, first = await _thread(harness, "how do I prove ROI to my boss?")
    assert "Ask a follow-up in this thread" in first.json["content"]  # says how to go on (the intent is on here)
    seen = [line for line in first.json["embeds"][0]["description"].splitlines() if line.startswith("— ")]
    harness.say("and for nonprofits?", channel_id=int(thread["id"]))
    msgs = await harness.api.wait_for("POST", f"/channels/{thread['id']}/messages", 2)
    follow = msgs[1]
    asked = [c[1] for c in harness.answerer.calls if c[0] == "ask"]
    assert asked[-1].startswith("and for nonprofits?") and "roi" in asked[-1] and "boss" in asked[-1]
    assert "Read as a follow-up to “how do I prove ROI to my boss?”" in follow.json["content"]
    assert follow.json["embeds"][0]["title"] == "and for nonprofits?"
    again = [line for line in follow.json["embeds"][0]["description"].splitlines() if line.startswith("— ")]
    assert again and not set(again) & set(seen)
    # a question that stands on its own is read alone (still without repeating a quote)
    harness.say("What do lawyers say about employees blogging under their own names at work?",
                channel_id=int(thread["id"]))
    msgs = await harness.api.wait_for("POST", f"/channels/{thread['id']}/messages", 3)
    assert harness.answerer.calls[-1][1] == "What do lawyers say about employees blogging under their own names " \
                                            "at work?"
    assert "follow-up to" not in (msgs[2].json.get("content") or "")


async def test_item6_more_in_a_thread_goes_on_where_the_thread_stands_even_after_a_restart(harness):
    thread, first = await _thread(harness, "how do I prove ROI to my boss?")
    more = custom_ids(first.json)[0]
    harness.say("and for nonprofits?", channel_id=int(thread["id"]))
    await harness.api.wait_for("POST", f"/channels/{thread['id']}/messages", 2)
    await harness.restart()
    c = harness.click(first.message, more, channel_id=int(thread["id"]))
    (page,) = await harness.followups(c)
    assert page.status == 200, page.errors
    shown_before = set()
    for m in harness.api.find("POST", f"/channels/{thread['id']}/messages"):
        shown_before |= {ln for ln in m.json["embeds"][0]["description"].splitlines() if ln.startswith("— ")}
    now = {ln for ln in page.json["embeds"][0]["description"].splitlines() if ln.startswith("— ")}
    assert now and not now & shown_before  # nothing the thread already showed
    assert "Quotes 6–" in all_text(page.json)  # numbered on from the first answer's page
    # the More of the first question continued that question, not the follow-up
    assert harness.answerer.calls[-1][1] == "how do I prove ROI to my boss?"


async def test_item6_without_the_message_content_intent_the_first_answer_says_mention_me(harness):
    harness.bot.settings.message_content = False
    _thread_, first = await _thread(harness, "is it worth it for B2B?")
    assert "by mentioning me" in first.json["content"]
