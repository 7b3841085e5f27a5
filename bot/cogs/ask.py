"""Questions: /ask, mentions anywhere the bot can read, every message of enabled channels, thread follow-ups."""

from __future__ import annotations

import asyncio
import logging
import re
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import QuestionCooldown, question_cooldown
from bot.render import clip
from bot.replies import build_answer, defer, send_answer
from bot.texts import texts

if TYPE_CHECKING:
    from bot.client import AdoptBot

log = logging.getLogger(__name__)
T = texts()
DEFAULT_K = 5
QUESTION_MAX = 500


class Ask(commands.Cog):
    def __init__(self, bot: AdoptBot) -> None:
        self.bot = bot

    @app_commands.command(name="ask", description=T.cmd("ask"))
    @app_commands.describe(question=T.cmd("ask", "question"), count=T.cmd("ask", "count"),
                           private=T.cmd("ask", "private"))
    @app_commands.allowed_contexts(guilds=True, dms=True, private_channels=False)
    @question_cooldown()
    async def ask(self, interaction: discord.Interaction, question: app_commands.Range[str, 1, QUESTION_MAX],
                  count: app_commands.Range[int, 1, 10] = DEFAULT_K, private: bool = False) -> None:
        await defer(interaction, ephemeral=private)
        answer = await asyncio.to_thread(self.bot.answers.ask, question, count)
        await send_answer(interaction, answer, kind="ask", query=question, k=count, private=private)

    # channel questions ---------------------------------------------------------------------------------------
    def _question(self, message: discord.Message) -> str:
        me = self.bot.user
        text = re.sub(rf"<@!?{me.id}>", " ", message.content) if me else message.content
        return " ".join(text.split())

    def _wants_answer(self, message: discord.Message) -> bool:
        me = self.bot.user
        if me is None or message.author.bot or message.author.id == me.id:
            return False
        if message.type not in (discord.MessageType.default, discord.MessageType.reply):
            return False
        ch = message.channel
        if message.guild is None or me.id in message.raw_mentions:
            return True  # DMs and mentions need no privileged intent
        if isinstance(ch, discord.Thread) and ch.owner_id == me.id:
            return True  # a follow-up in a thread the bot opened for an answer
        return bool(self.bot.settings.message_content and self.bot.state.channel_enabled(ch.id))

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        if not self._wants_answer(message):
            return
        question = clip(self._question(message), QUESTION_MAX)
        if not question:
            return  # no content: without the message-content intent Discord sends none for non-mentions
        ch = message.channel
        try:
            self.bot.check_question_cooldown(message.author.id)
        except QuestionCooldown as e:
            await ch.send(self.bot.texts("errors.cooldown", seconds=max(1.0, e.retry_after)),
                          reference=message.to_reference(fail_if_not_exists=False))
            return
        target: discord.abc.Messageable = ch
        try:
            if isinstance(ch, discord.TextChannel):
                target = await message.create_thread(name=clip(question, 100, "…"), auto_archive_duration=1440)
            answer = await asyncio.to_thread(self.bot.answers.ask, question, DEFAULT_K)
            embed, view = build_answer(self.bot, answer, kind="ask", query=question, k=DEFAULT_K,
                                       guild_id=message.guild.id if message.guild else None,
                                       channel_id=getattr(target, "id", None), user_id=message.author.id)
            kw = {"embed": embed}
            if view is not None:
                kw["view"] = view
            await target.send(**kw)
        except Exception as e:
            if self.bot.is_expected(e):
                log.warning("answering a message in channel %s: %s", ch.id, e)
            else:
                log.exception("answering a message in channel %s failed", ch.id)
            try:
                await target.send(self.bot.error_text(e))
            except discord.HTTPException:
                pass


async def setup(bot: AdoptBot) -> None:
    await bot.add_cog(Ask(bot))
