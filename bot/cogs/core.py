"""The heartbeat loop: `adoptbot health` reads the file it rewrites, so a hung bot shows up as unhealthy."""

from __future__ import annotations

import asyncio
import functools
import logging
from typing import TYPE_CHECKING

from discord.ext import commands, tasks

from bot.health import heartbeat_path, write_heartbeat

if TYPE_CHECKING:
    from bot.client import AdoptBot

log = logging.getLogger(__name__)
HEARTBEAT_EVERY_S = 30.0
FOLLOW_EVERY_S = 15.0


class Core(commands.Cog):
    def __init__(self, bot: AdoptBot) -> None:
        self.bot = bot
        self.path = heartbeat_path(bot.data_dir)

    async def cog_load(self) -> None:
        if self.bot.heartbeat_enabled:
            self.heartbeat.start()
        self.follow_index.start()

    async def cog_unload(self) -> None:
        self.heartbeat.cancel()
        self.follow_index.cancel()

    @tasks.loop(seconds=FOLLOW_EVERY_S)
    async def follow_index(self) -> None:
        """A build run outside the bot (a terminal, cron) goes live here within FOLLOW_EVERY_S seconds."""
        follow = getattr(self.bot.answers, "follow_live", None)
        if not callable(follow):
            return
        try:
            await asyncio.to_thread(follow)
        except Exception as e:  # a probe of the index must never stop the loop
            log.warning("could not follow the live index: %s", e)

    @tasks.loop(seconds=HEARTBEAT_EVERY_S)
    async def heartbeat(self) -> None:
        latency = self.bot.latency
        info = {
            "ready": self.bot.is_ready(),
            "guilds": len(self.bot.guilds),
            "shards": self.bot.shard_count,
            "latency_ms": None if latency != latency else round(latency * 1000, 1),  # NaN before connecting
        }
        try:
            await self.bot.lookup(functools.partial(write_heartbeat, self.path, **info))
        except OSError as e:
            log.warning("cannot write the heartbeat %s: %s", self.path, e)


async def setup(bot: AdoptBot) -> None:
    await bot.add_cog(Core(bot))
