"""Issue 14 items 3 and 4: a junk token or an unreachable Discord, and SIGTERM during the first start."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from types import SimpleNamespace

import aiohttp
import discord
import pytest

from bot import runner
from bot.runner import EXIT_CONFIG, cmd_bot, run_client, token_problem, unreachable
from tests.bot.discord_standin import GOOD_TOKEN
from tests.bot.test_chat_health_runner import _bot

WELL_FORMED = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GhIjKl.abcdefghijklmnopqrstuvwxyz0123456789AB"


def test_token_shapes():
    assert token_problem("abc") and token_problem("a.b") and token_problem("x.y.z")  # "x" is not a base64 id
    assert token_problem("MTIz NDU2.a.b") and token_problem("")
    assert not token_problem(WELL_FORMED) and not token_problem(GOOD_TOKEN)


def test_item3_a_junk_token_is_one_line_and_exit_78_before_loading_anything(monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("DISCORD_TOKEN", "abc")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(runner, "ensure_index", lambda *a, **k: pytest.fail("built an index for a junk token"))
    t = time.perf_counter()
    assert cmd_bot(SimpleNamespace(print_commands=False, corpus=None, db=None)) == EXIT_CONFIG
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "not a Discord bot token" in err and "abc" not in err.split(":", 1)[1]
    assert time.perf_counter() - t < 2


def test_unreachable_names_what_failed():
    from aiohttp.client_reqrep import ConnectionKey

    key = ConnectionKey("discord.com", 443, True, True, None, None, None)
    dns = aiohttp.ClientConnectorDNSError(key, OSError(-2, "Name or service not known"))
    assert unreachable(dns) == "cannot resolve discord.com"
    refused = aiohttp.ClientConnectorError(key, ConnectionRefusedError(111, "Connection refused"))
    assert unreachable(refused) == "cannot connect to discord.com:443 (Connection refused)"
    assert unreachable(TimeoutError()) == "TimeoutError"
    assert unreachable(discord.LoginFailure("bad")) is None and unreachable(ValueError("x")) is None


def _dead_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed again on return: connections are refused


async def test_item3_unreachable_discord_is_retried_with_back_off_and_said(api, tmp_path, monkeypatch, caplog):
    dead = f"http://127.0.0.1:{_dead_port()}/api/v10"
    monkeypatch.setattr(discord.http.Route, "BASE", dead)
    caplog.set_level(logging.INFO, logger="bot.runner")
    bot = _bot(tmp_path)
    task = asyncio.ensure_future(run_client(bot, GOOD_TOKEN, retry_first_s=0.05, retry_max_s=0.2))
    for _ in range(200):
        if sum("cannot reach Discord" in r.getMessage() for r in caplog.records) >= 3:
            break
        await asyncio.sleep(0.02)
    lines = [r.getMessage() for r in caplog.records if "cannot reach Discord" in r.getMessage()]
    assert len(lines) >= 3 and "cannot connect to 127.0.0.1" in lines[0] and "(attempt 1)" in lines[0]
    assert "trying again in" in lines[0]
    assert not task.done()  # still trying, no traceback, no exit
    monkeypatch.setattr(discord.http.Route, "BASE", api.base)  # the network is back
    await api.wait_for("PUT", r"/commands$", timeout=10)  # logged in, extensions loaded once, commands synced
    for _ in range(200):
        if any("reached Discord after" in r.getMessage() for r in caplog.records):
            break
        await asyncio.sleep(0.02)
    assert any("reached Discord after" in r.getMessage() for r in caplog.records)
    os.kill(os.getpid(), signal.SIGTERM)
    assert await asyncio.wait_for(task, 10) == 0


async def test_item4_sigterm_while_waiting_to_retry_exits_0(tmp_path, monkeypatch):
    monkeypatch.setattr(discord.http.Route, "BASE", f"http://127.0.0.1:{_dead_port()}/api/v10")
    bot = _bot(tmp_path)
    task = asyncio.ensure_future(run_client(bot, GOOD_TOKEN, retry_first_s=30))
    await asyncio.sleep(0.5)
    os.kill(os.getpid(), signal.SIGTERM)
    assert await asyncio.wait_for(task, 5) == 0 and bot.is_closed()


def test_item4_sigterm_during_the_first_build_exits_0(monkeypatch, tmp_path, caplog):
    monkeypatch.setenv("DISCORD_TOKEN", WELL_FORMED)
    monkeypatch.chdir(tmp_path)
    started = []

    def slow_build(*a, **k):  # stands for the model load and the first build, on the main thread
        started.append(time.perf_counter())
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(10)
        pytest.fail("SIGTERM did not stop the build")

    monkeypatch.setattr(runner, "ensure_index", slow_build)
    before = signal.getsignal(signal.SIGTERM)
    caplog.set_level(logging.INFO, logger="bot.runner")
    assert cmd_bot(SimpleNamespace(print_commands=False, corpus=None, db=None)) == 0
    assert time.perf_counter() - started[0] < 2
    assert "stopped by SIGTERM during start-up" in caplog.text
    assert signal.getsignal(signal.SIGTERM) is before  # the start-up handler is gone again


@pytest.mark.integration
def test_item3_and_4_end_to_end_first_start_stopped_then_unreachable_discord(tmp_path):
    """`adoptbot bot` as a process: SIGTERM during the first build exits 0 and nothing went live; the next start
    builds, finds Discord unreachable (no internet here), says so in one line per attempt, and stops with 0."""
    from tests.conftest import SHIPPED_CORPUS

    corpus, data = tmp_path / "corpus", tmp_path / "data"
    corpus.mkdir()
    page = sorted(SHIPPED_CORPUS.glob("*.txt"))[0]
    (corpus / page.name).write_bytes(page.read_bytes())
    env = {**os.environ, "DISCORD_TOKEN": WELL_FORMED, "ADOPTBOT_CORPUS_DIR": str(corpus),
           "ADOPTBOT_DATA_DIR": str(data), "HF_HUB_OFFLINE": "1", "PYTHONUNBUFFERED": "1"}

    def start():
        return subprocess.Popen([sys.executable, "-m", "bot.cli", "bot"], env=env, stderr=subprocess.PIPE,
                                stdout=subprocess.DEVNULL, text=True)

    def wait_for(proc, text, timeout):
        seen = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            line = proc.stderr.readline()
            seen.append(line)
            if text in line:
                return seen
        proc.kill()
        pytest.fail(f"never saw {text!r}: {''.join(seen)[-3000:]}")

    p = start()
    wait_for(p, "building it from the corpus", 120)
    time.sleep(0.5)  # into the model load
    t = time.monotonic()
    p.send_signal(signal.SIGTERM)
    assert p.wait(15) == 0 and time.monotonic() - t < 15
    assert not (data / "LIVE").exists()

    p = start()
    seen = wait_for(p, "cannot reach Discord", 300)
    assert "Traceback" not in "".join(seen)
    p.send_signal(signal.SIGTERM)
    rest = p.stderr.read()
    assert p.wait(15) == 0, rest[-2000:]
    assert "Traceback" not in rest
