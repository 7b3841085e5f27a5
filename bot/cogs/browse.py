"""Browsing: /topic and /author (autocompleted, and a hand-typed value is checked) and /about."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.cooldown import question_cooldown
from bot.render import CHOICE_NAME_MAX, CHOICES_MAX, about_card, choice_name, not_found
from bot.replies import card_embed, defer, send_answer
from bot.texts import texts
from index.errors import UserError

if TYPE_CHECKING:
    from bot.client import AdoptBot

log = logging.getLogger(__name__)
T = texts()
BROWSE_K = 5


def _matches(current: str, *names: str) -> bool:
    c = current.strip().lower()
    return not c or any(c in n.lower() for n in names)


class Browse(commands.Cog):
    def __init__(self, bot: AdoptBot) -> None:
        self.bot = bot

    # /topic ----------------------------------------------------------------------------------------------------
    @app_commands.command(name="topic", description=T.cmd("topic"))
    @app_commands.describe(name=T.cmd("topic", "name"))
    @app_commands.allowed_contexts(guilds=True, dms=True, private_channels=False)
    @question_cooldown()
    async def topic(self, interaction: discord.Interaction, name: app_commands.Range[str, 1, 100]) -> None:
        topic, found = await self.bot.lookup(self.bot.answers.find_topic, name)
        if topic is None:  # typed by hand, not picked: resolved as the CLI and the chat do, never trusted
            topics = await self.bot.lookup(self.bot.answers.topics)
            raise UserError(not_found("topic", found, [t.name for t in topics], self.bot.texts))
        await defer(interaction)
        answer = await asyncio.to_thread(self.bot.answers.topic, topic.key, BROWSE_K)
        await send_answer(interaction, answer, kind="topic", query=topic.name, k=BROWSE_K)

    @topic.autocomplete("name")
    async def topic_names(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        topics = await self.bot.lookup(self.bot.answers.topics)
        out = [app_commands.Choice(name=choice_name(f"{t.name} ({t.size})"), value=str(t.key)[:CHOICE_NAME_MAX])
               for t in topics if _matches(current, t.name, str(t.key))]
        return out[:CHOICES_MAX]

    # /author ---------------------------------------------------------------------------------------------------
    @app_commands.command(name="author", description=T.cmd("author"))
    @app_commands.describe(name=T.cmd("author", "name"))
    @app_commands.allowed_contexts(guilds=True, dms=True, private_channels=False)
    @question_cooldown()
    async def author(self, interaction: discord.Interaction, name: app_commands.Range[str, 1, 100]) -> None:
        found = await self.bot.lookup(self.bot.answers.find_author, name)
        if found.display is None:  # "annie" finds "Annie @ PhD in Parenting" here as in the CLI and the chat
            people = await self.bot.lookup(self.bot.answers.authors)
            raise UserError(not_found("author", found, [p for p, _ in people], self.bot.texts))
        await defer(interaction)
        answer = await asyncio.to_thread(self.bot.answers.author, found.display, BROWSE_K)
        await send_answer(interaction, answer, kind="author", query=found.display, k=BROWSE_K)

    @author.autocomplete("name")
    async def author_names(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        people = await self.bot.lookup(self.bot.answers.authors)
        out = [app_commands.Choice(name=choice_name(f"{p} ({n})"), value=p[:CHOICE_NAME_MAX])
               for p, n in people if _matches(current, p)]
        return out[:CHOICES_MAX]

    # /about ----------------------------------------------------------------------------------------------------
    @app_commands.command(name="about", description=T.cmd("about"))
    @app_commands.allowed_contexts(guilds=True, dms=True, private_channels=False)
    async def about(self, interaction: discord.Interaction) -> None:
        await defer(interaction)
        about = await asyncio.to_thread(self.bot.answers.about)
        await interaction.followup.send(embed=card_embed(about_card(about, self.bot.texts)))


async def setup(bot: AdoptBot) -> None:
    await bot.add_cog(Browse(bot))
