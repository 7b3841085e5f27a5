"""`adoptbot serve`, `adoptbot bot` (and `--print-commands`): start-up, shutdown and exit codes.

Configuration problems (no token, a rejected token, a privileged intent not enabled in the developer portal, a
broken template) exit with EXIT_CONFIG (78, EX_CONFIG) so a supervisor does not restart-loop on them:
systemd `RestartPreventExitStatus=78`, or a compose restart policy of `on-failure` with a retry limit.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import logging
import re
import signal
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bot.service import Answers, ensure_index, resolve_dirs
from bot.texts import TemplateError, Texts, load_texts

log = logging.getLogger(__name__)
EXIT_CONFIG = 78
# Discord unreachable at start (DNS, no route, an outage): try again after 1, 2, 4 … s, at most a minute apart.
RETRY_FIRST_S = 1.0
RETRY_MAX_S = 60.0

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


def token_problem(token: str) -> bool:
    """True when the token cannot be a bot token (three dot-separated base64url parts, the first the bot's id):
    told at once, instead of retrying a connection that could never log in."""
    parts = token.split(".")
    if len(parts) != 3 or not all(re.fullmatch(r"[A-Za-z0-9_\-]+", p) for p in parts):
        return True
    try:
        first = base64.urlsafe_b64decode(parts[0] + "=" * (-len(parts[0]) % 4)).decode("ascii")
    except (ValueError, UnicodeDecodeError):
        return True
    return not first.isdigit()


def unreachable(exc: BaseException) -> str | None:
    """What went wrong when Discord could not be reached (DNS, refused, timeout, a Discord outage), else None."""
    import aiohttp
    import discord

    if isinstance(exc, aiohttp.ClientConnectorDNSError):
        return f"cannot resolve {exc.host}"
    if isinstance(exc, aiohttp.ClientConnectorError):
        return f"cannot connect to {exc.host}:{exc.port} ({exc.os_error.strerror or exc.os_error})"
    if isinstance(exc, aiohttp.ClientConnectionError | asyncio.TimeoutError | discord.GatewayNotFound | OSError):
        return f"{type(exc).__name__}: {exc}".strip(": ")[:200]
    if isinstance(exc, discord.HTTPException) and exc.status >= 500:
        return f"Discord answered {exc.status}"
    return None


class Stopped(BaseException):
    """SIGTERM arrived during start-up, before the event loop handles signals itself."""


@contextmanager
def stop_on_sigterm() -> Iterator[None]:
    """Until the event loop takes over, SIGTERM ends the start (the model load, the first index build) with exit 0.
    Without a handler, a process that is PID 1 in a container (`docker run` without --init) ignores SIGTERM and is
    killed 10 s later (137); under compose it died with 143. A build stopped half-way never went live (LIVE moves
    only when a generation is whole), so the next start builds again."""
    try:
        old = signal.getsignal(signal.SIGTERM)

        def handler(signum: int, frame: Any) -> None:
            raise Stopped()

        signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread: nothing to install
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, old)


async def run_client(bot: Any, token: str, texts: Texts | None = None, *, retry_first_s: float = RETRY_FIRST_S,
                     retry_max_s: float = RETRY_MAX_S) -> int:
    """Log in (retrying with back-off while Discord cannot be reached, saying so each time), then run until Discord
    closes or SIGTERM/SIGINT; then close Discord and the store cleanly."""
    import discord

    t = texts or getattr(bot, "texts", None) or load_texts()
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        try:
            loop.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError):  # not the main thread (tests) or no signals (Windows)
            pass
    stopper = asyncio.ensure_future(stop.wait())

    async def until_stopped(task: asyncio.Future) -> bool:
        """Wait for the task; True (the task cancelled) when a stop signal came first."""
        done, _ = await asyncio.wait({task, stopper}, return_when=asyncio.FIRST_COMPLETED)
        if stopper in done:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            return True
        return False

    def failed(exc: BaseException) -> int | None:
        if isinstance(exc, discord.LoginFailure):
            return _fail(t("startup.bad_token"))
        if isinstance(exc, discord.PrivilegedIntentsRequired):
            return _fail(t("startup.no_intent"))
        return None

    async with bot:
        delay, attempt = retry_first_s, 0
        while True:
            login = asyncio.ensure_future(bot.login(token))
            if await until_stopped(login):
                log.info("stop signal while connecting: closing the index")
                return 0
            exc = login.exception()
            if exc is None:
                break
            why = unreachable(exc)
            if why is None:
                stopper.cancel()
                code = failed(exc)
                if code is not None:
                    return code
                raise exc
            attempt += 1
            log.warning("cannot reach Discord (%s): trying again in %.3g s (attempt %d); stop with Ctrl-C or "
                        "SIGTERM", why, delay, attempt)
            await bot.http.close()  # a fresh HTTP session (and connector) for the next attempt
            bot.http.connector = discord.utils.MISSING
            if await until_stopped(asyncio.ensure_future(asyncio.sleep(delay))):
                return 0
            delay = min(delay * 2, retry_max_s)
        if attempt:
            log.info("reached Discord after %d failed attempts", attempt)
        runner = asyncio.ensure_future(bot.connect())  # discord.py reconnects on its own from here
        if await until_stopped(runner):
            log.info("stop signal: closing Discord and the index")
            await bot.close()
            return 0
        stopper.cancel()
        exc = runner.exception()
        if exc is None:
            return 0
        code = failed(exc)
        if code is not None:
            return code
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
    if token_problem(settings.token.get_secret_value().strip()):
        return _fail(texts("startup.malformed_token"))
    corpus, db = resolve_dirs(args)
    try:
        with stop_on_sigterm():
            ensure_index(corpus, db, say=lambda _m: print(texts("chat.building"), file=sys.stderr, flush=True))
            return run_bot(settings, corpus, db, texts)
    except Stopped:
        return _stopped()


def cmd_serve(args: argparse.Namespace) -> int:
    """The README's main command: index first if needed, then Discord with a token, else the terminal chat."""
    try:
        texts = load_texts()
    except TemplateError as e:
        return _fail(str(e))
    corpus, db = resolve_dirs(args)
    settings = discord_settings()
    if settings is not None and token_problem(settings.token.get_secret_value().strip()):
        return _fail(texts("startup.malformed_token"))
    try:
        with stop_on_sigterm():
            ensure_index(corpus, db, say=lambda _m: print(texts("chat.building"), file=sys.stderr, flush=True))
            if settings is not None:
                return run_bot(settings, corpus, db, texts)
            from bot.chat import ChatSession, run_chat

            session = ChatSession(answers=Answers.open(corpus, db), t=texts)
            return run_chat(session, sys.stdin, sys.stdout, sys.stderr, interactive=sys.stdin.isatty())
    except Stopped:
        return _stopped()


def _stopped() -> int:
    """SIGTERM during start-up: the README promises 0 for a stop, and nothing half-built went live."""
    log.info("stopped by SIGTERM during start-up")
    return 0
