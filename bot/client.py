"""The Discord client: an AutoShardedBot with injected services, one global error handler, careful syncing.

Clients (the Answerer, the SQLite state) are created once by the runner and injected (discord.py's
advanced_startup pattern); extensions load in setup_hook, before syncing; commands sync to the dev guild when one
is set, else globally only when their JSON changed (a global sync on every start hits a daily rate limit).
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import json
import logging
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import discord
from discord import app_commands
from discord.ext import commands

from bot.checks import NotAdmin
from bot.replies import DYNAMIC_ITEMS
from bot.service import Answers
from bot.state import BotState
from bot.texts import Texts
from index.errors import IndexBusy, StoreUnavailable, UserError
from index.settings import DiscordSettings

log = logging.getLogger(__name__)
R = TypeVar("R")

EXTENSIONS = ("bot.cogs.core", "bot.cogs.ask", "bot.cogs.browse", "bot.cogs.admin")
SYNC_HASH_FILE = "commands.sha256"


class QuestionCooldown(app_commands.CommandOnCooldown):
    """Raised for a question asked too soon (slash command, button or message)."""


class AdoptTree(app_commands.CommandTree):
    async def on_error(self, interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
        await interaction.client.report_error(interaction, error)  # type: ignore[attr-defined]


class AdoptBot(commands.AutoShardedBot):
    """One deployment from one server to thousands: discord.py shards automatically."""

    def __init__(self, *, settings: DiscordSettings, answers: Answers | None, state: BotState | None, texts: Texts,
                 data_dir: Path, sync_commands: bool = True, heartbeat: bool = True, progress_every_s: float = 2.0,
                 **kw: Any) -> None:
        discord.VoiceClient.warn_nacl = discord.VoiceClient.warn_dave = False  # no voice: no warning about it
        intents = discord.Intents.default()
        intents.message_content = bool(settings.message_content)  # privileged: only for the channel mode
        intents.members = False
        intents.presences = False
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=intents,
            help_command=None,
            tree_cls=AdoptTree,
            allowed_mentions=discord.AllowedMentions.none(),  # a quoted @everyone or <@id> pings nobody
            **kw,
        )
        self.settings = settings
        self.answers = answers
        self.state = state
        self.texts = texts
        self.data_dir = Path(data_dir)
        self.sync_on_start = sync_commands
        self.heartbeat_enabled = heartbeat
        self.progress_every_s = progress_every_s
        self._cooldowns: dict[int, app_commands.Cooldown] = {}
        # Quick work that must finish before an acknowledgement (autocomplete, checking a typed name, saving an
        # upload) gets its own threads: in the default executor it would queue behind questions, which wait on
        # the embedder while a reindex embeds, and miss Discord's 3 s.
        self._lookups = ThreadPoolExecutor(max_workers=2, thread_name_prefix="adoptbot-lookup")

    async def lookup(self, fn: Callable[..., R], *args: Any) -> R:
        """Run a quick blocking call off the event loop, never queued behind questions or a reindex."""
        return await asyncio.get_running_loop().run_in_executor(self._lookups, functools.partial(fn, *args))

    async def setup_hook(self) -> None:
        for ext in EXTENSIONS:
            await self.load_extension(ext)
        self.add_dynamic_items(*DYNAMIC_ITEMS)
        if self.sync_on_start:
            await self.sync_commands()

    async def on_message(self, message: discord.Message) -> None:
        """No prefix commands: the ask cog listens for mentions, enabled channels and thread follow-ups."""

    # commands --------------------------------------------------------------------------------------------------
    def commands_payload(self) -> list[dict[str, Any]]:
        """Exactly what a sync would send (and what `adoptbot bot --print-commands` prints)."""
        cmds = sorted(self.tree.get_commands(), key=lambda c: c.name)
        return [c.to_dict(self.tree) for c in cmds]

    def commands_hash(self) -> str:
        return hashlib.sha256(json.dumps(self.commands_payload(), sort_keys=True).encode()).hexdigest()

    async def sync_commands(self) -> str:
        """Dev guild: always (instant, free). Global: only when the JSON changed since the last global sync."""
        if self.settings.dev_guild_id:
            guild = discord.Object(id=self.settings.dev_guild_id)
            self.tree.copy_global_to(guild=guild)
            await self.tree.sync(guild=guild)
            log.info("commands synced to dev guild %s", self.settings.dev_guild_id)
            return "guild"
        marker = self.data_dir / SYNC_HASH_FILE
        digest = self.commands_hash()
        try:
            old = marker.read_text().strip()
        except OSError:
            old = ""
        if old == digest:
            log.info("commands unchanged since the last global sync: not syncing")
            return "unchanged"
        await self.tree.sync()
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.write_text(digest + "\n")
        log.info("commands synced globally")
        return "global"

    # cooldowns -------------------------------------------------------------------------------------------------
    def check_question_cooldown(self, user_id: int) -> None:
        """Per-user cooldown shared by /ask, /topic, /author, More and channel questions."""
        per = float(self.settings.ask_cooldown_s)
        if per <= 0:
            return
        if len(self._cooldowns) > 10_000:  # forget users whose window has passed
            self._cooldowns = {u: c for u, c in self._cooldowns.items() if c.get_tokens() < c.rate}
        cd = self._cooldowns.setdefault(user_id, app_commands.Cooldown(1, per))
        retry = cd.update_rate_limit()
        if retry:
            raise QuestionCooldown(cd, retry)


    # errors ----------------------------------------------------------------------------------------------------
    def error_text(self, error: BaseException) -> str:
        """What the user reads; unexpected errors are logged by the caller."""
        t = self.texts
        if isinstance(error, app_commands.CommandInvokeError):
            error = error.original
        if isinstance(error, app_commands.CommandOnCooldown):
            return t("errors.cooldown", seconds=max(1.0, error.retry_after))
        if isinstance(error, NotAdmin):
            return t("errors.not_admin")
        if isinstance(error, app_commands.NoPrivateMessage):
            return t("errors.guild_only")
        if isinstance(error, IndexBusy):
            return t("errors.busy")
        if isinstance(error, StoreUnavailable):  # a Chroma server down or hung: the operator's details stay in the log
            return t("errors.unavailable")
        if isinstance(error, UserError):
            return t("errors.user", message=str(error))
        if isinstance(error, app_commands.TransformerError | app_commands.CheckFailure):
            return t("errors.user", message=str(error))
        return t("errors.unexpected")

    @staticmethod
    def is_expected(error: BaseException) -> bool:
        if isinstance(error, app_commands.CommandInvokeError):
            error = error.original
        return isinstance(error, UserError | app_commands.CheckFailure | app_commands.TransformerError)

    async def report_error(self, interaction: discord.Interaction, error: BaseException) -> None:
        """Answer ephemerally (even after a public defer) and log the cause, never a token."""
        where = interaction.command.qualified_name if interaction.command else (interaction.data or {}).get(
            "custom_id", "?")
        cause = error.original if isinstance(error, app_commands.CommandInvokeError) else error
        if isinstance(cause, StoreUnavailable):
            log.warning("%s: %s", where, cause)
        elif self.is_expected(error):
            log.info("refused %s for user %s: %s", where, interaction.user.id, type(error).__name__)
        else:
            log.error("error in %s (user %s, guild %s)", where, interaction.user.id, interaction.guild_id,
                      exc_info=(type(cause), cause, cause.__traceback__))
        text = self.error_text(error)
        try:
            if not interaction.response.is_done():
                await interaction.response.send_message(text, ephemeral=True)
                return
            if interaction.extras.get("deferred_public"):
                # the public "thinking…" placeholder would turn the first follow-up public: remove it first
                try:
                    await interaction.delete_original_response()
                except discord.HTTPException:
                    pass
            await interaction.followup.send(text, ephemeral=True)
        except discord.HTTPException as e:
            log.warning("could not report an error to the user (%s)", e.status)

    async def close(self) -> None:
        await super().close()
        self._lookups.shutdown(wait=False, cancel_futures=True)
        if self.answers is not None:
            self.answers.close()
        if self.state is not None:
            self.state.close()


class RedactFilter(logging.Filter):
    """Last line of defence: scrub the bot token and interaction/webhook tokens from every log line."""

    _WEBHOOK = re.compile(r"(/(?:webhooks|interactions)/\d+/)[A-Za-z0-9_.\-]+")

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if s]

    def filter(self, record: logging.LogRecord) -> bool:
        msg = record.getMessage()
        clean = self._WEBHOOK.sub(r"\1<redacted>", msg)
        for s in self.secrets:
            clean = clean.replace(s, "<redacted>")
        if clean != msg:
            record.msg, record.args = clean, None
        return True


def install_redaction(token: str) -> None:
    f = RedactFilter([token])
    for h in logging.getLogger().handlers:
        h.addFilter(f)


def question_cooldown() -> Any:
    """A check for question commands: the shared per-user cooldown, before anything is deferred."""

    def predicate(interaction: discord.Interaction) -> bool:
        interaction.client.check_question_cooldown(interaction.user.id)  # type: ignore[attr-defined]
        return True

    return app_commands.check(predicate)
