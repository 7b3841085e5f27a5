"""`adoptbot serve`, `adoptbot bot` (and `--print-commands`): start-up, shutdown and exit codes.

Configuration problems (no token, a rejected token, a privileged intent not enabled in the developer portal, a
broken template) exit with EXIT_CONFIG (78, EX_CONFIG) so a supervisor does not restart-loop on them:
systemd `RestartPreventExitStatus=78`, or a compose restart policy of `on-failure` with a retry limit.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import signal
import sys
import tempfile
from pathlib import Path
from typing import Any

from bot.service import Answers, ensure_index, resolve_dirs
from bot.texts import TemplateError, Texts, load_texts

log = logging.getLogger(__name__)
EXIT_CONFIG = 78

def discord_settings(token: str | None = None) -> Any | None:
    """DiscordSettings, or None when no (non-empty) token is configured."""
    from pydantic import ValidationError

    from index.settings import DiscordSettings

    try:
        s = DiscordSettings(token=token) if token is not None else DiscordSettings()
    except ValidationError:
        return None
    return s if s.token.get_secret_value().strip() else None


async def commands_json(texts: Texts | None = None) -> list[dict[str, Any]]:
    """The application commands exactly as a sync would send them; needs no token and no network."""
    from bot.client import EXTENSIONS, AdoptBot

    settings = discord_settings("print-commands-only")
    with tempfile.TemporaryDirectory() as tmp:
        bot = AdoptBot(settings=settings, answers=None, state=None, texts=texts or load_texts(), data_dir=Path(tmp),
                       sync_commands=False, heartbeat=False)
        for ext in EXTENSIONS:
            await bot.load_extension(ext)
        return bot.commands_payload()


def _fail(msg: str) -> int:
    print(f"adoptbot: {msg}", file=sys.stderr)
    return EXIT_CONFIG


async def run_client(bot: Any, token: str, texts: Texts | None = None) -> int:
    """Run until Discord closes or SIGTERM/SIGINT; then close Discord and the store cleanly."""
    import discord

    t = texts or getattr(bot, "texts", None) or load_texts()
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        try:
            loop.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError):  # not the main thread (tests) or no signals (Windows)
            pass
    async with bot:
        runner = asyncio.ensure_future(bot.start(token))
        stopper = asyncio.ensure_future(stop.wait())
        done, _ = await asyncio.wait({runner, stopper}, return_when=asyncio.FIRST_COMPLETED)
        if stopper in done:
            log.info("stop signal: closing Discord and the index")
            await bot.close()
            runner.cancel()
            await asyncio.gather(runner, return_exceptions=True)
            return 0
        stopper.cancel()
        exc = runner.exception()
        if exc is None:
            return 0
        if isinstance(exc, discord.LoginFailure):
            return _fail(t("startup.bad_token"))
        if isinstance(exc, discord.PrivilegedIntentsRequired):
            return _fail(t("startup.no_intent"))
        raise exc


def run_bot(settings: Any, corpus: Path, db: Path, texts: Texts) -> int:
    from bot.client import AdoptBot
    from bot.redact import install_redaction
    from bot.state import BotState

    token = settings.token.get_secret_value().strip()
    install_redaction(token)
    answers = Answers.open(corpus, db)
    state = BotState(db / "bot.sqlite3")
    bot = AdoptBot(settings=settings, answers=answers, state=state, texts=texts, data_dir=db)
    return asyncio.run(run_client(bot, token, texts))


def cmd_bot(args: argparse.Namespace) -> int:
    try:
        texts = load_texts()
    except TemplateError as e:
        return _fail(str(e))
    if args.print_commands:
        print(json.dumps(asyncio.run(commands_json(texts)), indent=2, sort_keys=True))
        return 0
    settings = discord_settings()
    if settings is None:
        return _fail(texts("startup.no_token") + "\n" + texts("chat.go_live"))
    corpus, db = resolve_dirs(args)
    ensure_index(corpus, db, say=lambda _m: print(texts("chat.building"), file=sys.stderr, flush=True))
    return run_bot(settings, corpus, db, texts)


def cmd_serve(args: argparse.Namespace) -> int:
    """The README's main command: index first if needed, then Discord with a token, else the terminal chat."""
    try:
        texts = load_texts()
    except TemplateError as e:
        return _fail(str(e))
    corpus, db = resolve_dirs(args)
    ensure_index(corpus, db, say=lambda _m: print(texts("chat.building"), file=sys.stderr, flush=True))
    settings = discord_settings()
    if settings is not None:
        return run_bot(settings, corpus, db, texts)
    from bot.chat import ChatSession, run_chat

    session = ChatSession(answers=Answers.open(corpus, db), t=texts)
    return run_chat(session, sys.stdin, sys.stdout, sys.stderr, interactive=sys.stdin.isatty())
