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
