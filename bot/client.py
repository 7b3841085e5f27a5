"""The Discord client: an AutoShardedBot with injected services, careful command syncing, nothing else.

Clients (the look-ups, the SQLite state, the uploads folder) are created once by the runner and injected
(discord.py's examples/advanced_startup.py); extensions load in setup_hook, before syncing, and each cog registers
the dynamic items it owns in its cog_load. Commands sync to the dev guild when one is set, else globally only when
their JSON changed (a global sync on every start hits a daily rate limit). Errors go through bot/errors.py, the
per-user cooldown is bot/cooldown.py.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import json
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import discord
from discord.ext import commands

from bot.cooldown import Cooldowns
from bot.errors import AdoptTree
from bot.service import Answers
from bot.state import BotState
from bot.texts import Texts
from bot.threads import Threads
from bot.uploads import Uploads
from index.settings import DiscordSettings

log = logging.getLogger(__name__)
R = TypeVar("R")

EXTENSIONS = ("bot.cogs.core", "bot.cogs.ask", "bot.cogs.browse", "bot.cogs.reindex", "bot.cogs.corpus",
              "bot.cogs.channels")
SYNC_HASH_FILE = "commands.sha256"


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
        self.uploads = Uploads(answers.corpus_dir if answers is not None else self.data_dir / "corpus", self.data_dir,
                               texts, settings)
        self.cooldowns = Cooldowns(settings)
        self.threads = Threads(answers, state) if answers is not None and state is not None else None
        self.sync_on_start = sync_commands
        self.heartbeat_enabled = heartbeat
        self.progress_every_s = progress_every_s
        # Quick work that must finish before an acknowledgement (autocomplete, checking a typed name, saving an
        # upload, writing an answer to SQLite) gets its own threads: in the default executor it would queue behind
        # questions, which wait on the embedder while a reindex embeds, and miss Discord's 3 s.
        self._lookups = ThreadPoolExecutor(max_workers=2, thread_name_prefix="adoptbot-lookup")

    async def lookup(self, fn: Callable[..., R], *args: Any) -> R:
        """Run a quick blocking call off the event loop, never queued behind questions or a reindex."""
        return await asyncio.get_running_loop().run_in_executor(self._lookups, functools.partial(fn, *args))

    async def setup_hook(self) -> None:
        for ext in EXTENSIONS:
            if ext not in self.extensions:  # a login retried after a network failure runs this again
                await self.load_extension(ext)
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

    async def close(self) -> None:
        await super().close()
        self._lookups.shutdown(wait=False, cancel_futures=True)
        if self.answers is not None:
            self.answers.close()
        if self.state is not None:
            self.state.close()
