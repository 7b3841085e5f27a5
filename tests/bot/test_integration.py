"""The bot on the real index: the shipped corpus, the real model, Chroma and the real Answerer behind the same
Discord stand-in. One build per session; every test reuses it."""

from __future__ import annotations

import shutil
from pathlib import Path

import discord
import pytest

from bot.client import AdoptBot
from bot.health import check_index
from bot.service import Answers
from bot.state import BotState
from bot.texts import load_texts
from index.settings import DiscordSettings
from tests.bot.conftest import Harness, all_text, custom_ids, guild_payload
from tests.bot.discord_standin import GOOD_TOKEN

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def real_index(tmp_path_factory, real_embedder):
    from index.build import build_index

    base = tmp_path_factory.mktemp("bot_real")
    corpus, db = base / "corpus", base / "data"
    shutil.copytree(ROOT / "corpus", corpus)
    build_index(corpus, db, embedder=real_embedder)
    return corpus, db


@pytest.fixture
async def real_harness(api, real_index, real_embedder, monkeypatch):
    from index.build import build_index
    from index.retrieval import Answerer
    from index.store import LiveIndex

    corpus, db = real_index
    monkeypatch.setattr(discord.http.Route, "BASE", api.base)
    answers = Answers(Answerer(LiveIndex.open(db), real_embedder), corpus_dir=corpus, db_dir=db,
                      builder=lambda c, d, **kw: build_index(c, d, embedder=real_embedder, **kw))
    settings = DiscordSettings(token=GOOD_TOKEN, ask_cooldown_s=0, reindex_cooldown_s=0, dev_guild_id=None)
    bot = AdoptBot(settings=settings, answers=answers, state=BotState(db / "bot.sqlite3"), texts=load_texts(),
                   data_dir=db, progress_every_s=0.05, heartbeat=False)
    await bot.login(GOOD_TOKEN)
    bot._connection.parse_guild_create(guild_payload())
    yield Harness(bot, api, answers.answerer, None, corpus.parent)
    await bot.close()


async def test_real_answer_is_verbatim_attributed_and_within_limits(real_harness):
    h = real_harness
    p = h.slash("ask", {"question": "Is social media worth it for B2B companies?", "count": 5})
    (fu,) = await h.followups(p, timeout=30)
    assert fu.status == 200, fu.errors
    text = all_text(fu.json)
    assert text.count("\n— ") >= 1 and "Quotes 1–" in text
    # Full comment of the first quote: the quote's words are in the whole comment
    full = custom_ids(fu.json)[1]
    c = h.click(fu.message, full)
    cb = await h.callback(c, timeout=30)
    if cb.json["type"] == 4:  # several quotes: pick the first
        (sel,) = custom_ids(cb.json["data"])
        c = h.click(cb.message, sel, values=["0"])
    (whole,) = await h.followups(c, timeout=30)
    assert whole.status == 200 and whole.json["flags"] & 64


async def test_real_nothing_and_about(real_harness):
    h = real_harness
    p = h.slash("ask", {"question": "recipe for sourdough bread fermentation"})
    (fu,) = await h.followups(p, timeout=30)
    assert "The corpus has nothing on" in all_text(fu.json)
    p = h.slash("about")
    (fu,) = await h.followups(p)
    assert "**5** posts" in all_text(fu.json)


async def test_real_topic_author_autocomplete_and_reindex(real_harness):
    h = real_harness
    a = h.autocomplete("topic", "name", "")
    choices = (await h.callback(a)).json["data"]["choices"]
    assert 1 <= len(choices) <= 25
    p = h.slash("topic", {"name": choices[0]["value"]})
    (fu,) = await h.followups(p, timeout=30)
    assert fu.status == 200 and "What practitioners said on" in all_text(fu.json)
    a = h.autocomplete("author", "name", "jim")
    names = [c["value"] for c in (await h.callback(a)).json["data"]["choices"]]
    assert "Jim Mitchem" in names
    p = h.slash("reindex", admin=True)
    await h.callback(p)
    for _ in range(600):
        if any("Reindexed" in all_text(e.json) for e in h.edits(p)):
            break
        import asyncio

        await asyncio.sleep(0.05)
    final = all_text(h.edits(p)[-1].json)
    assert "0 added, 0 updated, 0 removed" in final  # nothing changed: incremental


def test_health_reads_the_real_index(real_index):
    assert check_index(real_index[1]) is None


async def test_real_author_by_first_name_in_discord_as_in_the_cli(real_harness):
    """Issue 12 item 6: what people type finds the person as signed, through the same resolver as the CLI."""
    h = real_harness
    for typed, shown in (("annie", "Annie @ PhD in Parenting"), ("lisa", "Lisa Hickey")):
        p = h.slash("author", {"name": typed})
        (fu,) = await h.followups(p, timeout=30)
        assert fu.status == 200, fu.errors
        assert f"What {shown} said" in all_text(fu.json).replace("\\", ""), typed
