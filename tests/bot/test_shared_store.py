"""Several bot processes, one store: two bot processes on one Chroma server (a real `chroma run` on 127.0.0.1) and
one data folder; one of them reindexes, then a separate build process writes, and both answer from each new
generation. The bots are the bot's own Answers (what the Discord client and the chat answer through), each in its
own interpreter, following the live index as the bot's core cog does."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from index.build import build_index
from tests.conftest import ROOT, FakeEmbedder, write_page

FOLLOW_EVERY_S = 0.2


class BotProcess:
    def __init__(self, corpus: Path, db: Path, env: dict[str, str]) -> None:
        self.proc = subprocess.Popen([sys.executable, "-m", "tests.bot.shared_store_proc", str(corpus), str(db),
                                      str(FOLLOW_EVERY_S)], cwd=ROOT, env=env, text=True, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        assert self.read() == {"ready": True}

    def read(self) -> dict:
        line = self.proc.stdout.readline()
        if not line:
            raise AssertionError(f"the bot process ended: {self.proc.stderr.read()[-2000:]}")
        return json.loads(line)

    def send(self, line: str) -> dict:
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        return self.read()

    def wait_for_generation(self, gen: str, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while self.send("gen")["generation"] != gen:
            assert time.monotonic() < deadline, f"still not on generation {gen}"
            time.sleep(FOLLOW_EVERY_S)

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.stdin.close()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()


def _files(db: Path) -> dict[str, float]:
    return {str(p.relative_to(db)): p.stat().st_mtime_ns for p in (db / "generations").rglob("*") if p.is_file()}


@pytest.mark.integration
def test_two_bot_processes_on_one_chroma_server_follow_every_new_generation(chroma_server, small_corpus, tmp_path,
                                                                            monkeypatch):
    monkeypatch.setenv("CHROMA_HOST", chroma_server["host"])
    monkeypatch.setenv("CHROMA_PORT", str(chroma_server["port"]))
    env = dict(os.environ, ADOPTBOT_LOG_LEVEL="WARNING")
    db = tmp_path / "db"
    build_index(small_corpus, db, embedder=FakeEmbedder())  # the first build, before any bot starts
    first = (db / "LIVE").read_text().strip()
    before = _files(db)
    a, b = BotProcess(small_corpus, db, env), BotProcess(small_corpus, db, env)
    try:
        bakery = "Which bakery sold croissants through Instagram?"
        for bot in (a, b):
            got = bot.send(f"ask {bakery}")
            assert got["generation"] == first and not any("croissant" in t for t in got["texts"])
        assert _files(db) == before  # reading bots write nothing into the generations they read

        # one bot reindexes (the admin's /reindex): the other follows within a few of its timer's ticks
        write_page(small_corpus, "d.txt", "Our bakery sold croissants through Instagram stories every morning.")
        built = a.send("build")
        assert built["swapped"] and built["generation"] != first
        second = built["generation"]
        b.wait_for_generation(second)
        for bot in (a, b):
            got = bot.send(f"ask {bakery}")
            assert got["generation"] == second and any("croissant" in t for t in got["texts"]), got

        # a separate build process (`adoptbot index build` from a terminal): both bots follow
        write_page(small_corpus, "e.txt", "Our florist booked weddings through Pinterest boards.")
        code = ("import sys; from pathlib import Path; from index.build import build_index; from tests.conftest "
                "import FakeEmbedder; build_index(Path(sys.argv[1]), Path(sys.argv[2]), embedder=FakeEmbedder())")
        subprocess.run([sys.executable, "-c", code, str(small_corpus), str(db)], cwd=ROOT, env=env, check=True)
        third = (db / "LIVE").read_text().strip()
        assert third not in (first, second)
        for bot in (a, b):
            bot.wait_for_generation(third)
            got = bot.send("ask Which florist booked weddings through Pinterest?")
            assert got["generation"] == third and any("Pinterest" in t for t in got["texts"]), got
            assert any("croissant" in t for t in bot.send(f"ask {bakery}")["texts"])
    finally:
        a.close()
        b.close()
    assert a.proc.returncode == 0 and b.proc.returncode == 0, (a.proc.stderr.read(), b.proc.stderr.read())
