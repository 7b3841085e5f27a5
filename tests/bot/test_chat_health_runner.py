"""The terminal chat, the health probe and start-up/shutdown of the bot (exit codes, SIGTERM, syncing)."""

import asyncio
import io
import json
import os
import signal
import time
from types import SimpleNamespace

import discord
import pytest

from bot.chat import ChatSession, run_chat
from bot.client import AdoptBot
from bot.health import cmd_health, heartbeat_age, heartbeat_path, write_heartbeat
from bot.runner import EXIT_CONFIG, cmd_bot, run_client
from bot.service import Answers
from bot.state import BotState
from bot.texts import load_texts
from index.settings import DiscordSettings
from tests.bot.discord_standin import GOOD_TOKEN, GUILD_ID
from tests.bot.fakes import FakeBuilder, FakeLookup


@pytest.fixture
def session(tmp_path):
    return ChatSession(Answers(FakeLookup(), corpus_dir=tmp_path, db_dir=tmp_path, builder=FakeBuilder()),
                       load_texts())


def test_chat_answers_each_stdin_line_then_exits_at_eof(session):
    out, err = io.StringIO(), io.StringIO()
    inp = io.StringIO("how to prove ROI?\nmore\nfull 1\n/author bob smith\n/topic nope\nnothing here\n")
    assert run_chat(session, inp, out, err, interactive=False) == 0
    text = out.getvalue()
    assert "> ROI is hard to prove" in text and "— **Bob Smith**, 2009-03-02" in text  # same layout as Discord
    assert "Quotes 1–5 ·" in text and "Quotes 6–10 ·" in text  # `more` goes on where the answer stopped
    assert "What Bob Smith said" in text and "There is no topic “nope”" in text
    assert "The corpus has nothing on “nothing here”" in text
    assert "DISCORD_TOKEN" in err.getvalue()  # says how to go live
    assert "ask>" not in text  # no prompt when piped


def test_chat_full_needs_a_shown_quote(session):
    assert "No quotes shown yet" in session.handle("full 3")
    session.handle("how to prove ROI?")
    assert "number of a quote shown above (1–5)" in session.handle("full 9")
    assert session.handle("quit") is None


def test_health(tmp_path, capsys, monkeypatch):
    import bot.health as h

    args = SimpleNamespace(db=str(tmp_path), corpus=None, max_age=60.0, no_bot=False)
    monkeypatch.setattr(h, "check_index", lambda db: None)
    assert cmd_health(args) == 1 and "no heartbeat" in capsys.readouterr().err
    write_heartbeat(heartbeat_path(tmp_path), ready=True)
    assert heartbeat_age(heartbeat_path(tmp_path)) < 5
    assert cmd_health(args) == 0
    old = json.loads(heartbeat_path(tmp_path).read_text())
    heartbeat_path(tmp_path).write_text(json.dumps({**old, "ts": time.time() - 600}))
    assert cmd_health(args) == 1 and "600 s ago" in capsys.readouterr().err
    assert cmd_health(SimpleNamespace(**{**vars(args), "no_bot": True})) == 0
    monkeypatch.setattr(h, "check_index", lambda db: "no live index")
    assert cmd_health(SimpleNamespace(**{**vars(args), "no_bot": True})) == 1


def test_health_on_an_empty_folder_is_unhealthy(tmp_path, capsys):
    args = SimpleNamespace(db=str(tmp_path / "none"), corpus=None, max_age=60.0, no_bot=True)
    assert cmd_health(args) == 1 and "index:" in capsys.readouterr().err


def test_missing_token_exits_with_a_non_restart_code(monkeypatch, capsys, tmp_path):
    monkeypatch.delenv("DISCORD_TOKEN", raising=False)
    monkeypatch.chdir(tmp_path)  # no .env here
    assert cmd_bot(SimpleNamespace(print_commands=False, corpus=None, db=None)) == EXIT_CONFIG
    assert "DISCORD_TOKEN is not set" in capsys.readouterr().err


def _bot(tmp_path, **kw):
    answers = Answers(FakeLookup(), corpus_dir=tmp_path, db_dir=tmp_path, builder=FakeBuilder())
    settings = DiscordSettings(token=GOOD_TOKEN, **kw)
    return AdoptBot(settings=settings, answers=answers, state=BotState(tmp_path / "bot.sqlite3"),
                    texts=load_texts(), data_dir=tmp_path)


async def test_rejected_token_exits_with_a_non_restart_code(api, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(discord.http.Route, "BASE", api.base)
    assert await run_client(_bot(tmp_path), "wrong-token") == EXIT_CONFIG
    assert "Discord rejected the token" in capsys.readouterr().err


async def test_missing_intent_exits_with_a_non_restart_code(tmp_path, capsys):
    class NoIntentBot:
        async def __aenter__(self):
            return self

        async def __aexit__(self, *a):
            return None

        async def login(self, token):
            return None

        async def connect(self):  # Discord refuses the intent when the gateway connection identifies
            raise discord.PrivilegedIntentsRequired(shard_id=0)

    assert await run_client(NoIntentBot(), "t") == EXIT_CONFIG
    assert "Message Content Intent" in capsys.readouterr().err


async def test_sigterm_closes_discord_and_the_store(api, tmp_path, monkeypatch):
    monkeypatch.setattr(discord.http.Route, "BASE", api.base)
    bot = _bot(tmp_path)
    closed = []
    bot.answers.close = lambda: closed.append("answers")
    task = asyncio.ensure_future(run_client(bot, GOOD_TOKEN))
    await api.wait_for("PUT", r"/commands$")
    os.kill(os.getpid(), signal.SIGTERM)
    assert await asyncio.wait_for(task, 10) == 0
    assert bot.is_closed() and closed == ["answers"]


async def test_global_sync_only_when_commands_change_and_dev_guild_always(api, tmp_path, monkeypatch):
    monkeypatch.setattr(discord.http.Route, "BASE", api.base)
    for _ in range(2):
        bot = _bot(tmp_path)
        await bot.login(GOOD_TOKEN)
        await bot.close()
    assert len(api.find("PUT", r"^/applications/\d+/commands$")) == 1  # the second start changed nothing
    bot = _bot(tmp_path, dev_guild_id=GUILD_ID)
    await bot.login(GOOD_TOKEN)
    await bot.close()
    assert len(api.find("PUT", rf"^/applications/\d+/guilds/{GUILD_ID}/commands$")) == 1


async def test_heartbeat_written_by_the_running_bot(api, tmp_path, monkeypatch):
    monkeypatch.setattr(discord.http.Route, "BASE", api.base)
    bot = _bot(tmp_path)
    await bot.login(GOOD_TOKEN)
    for _ in range(100):
        if heartbeat_path(tmp_path).exists():
            break
        await asyncio.sleep(0.02)
    assert heartbeat_age(heartbeat_path(tmp_path)) < 5
    await bot.close()
