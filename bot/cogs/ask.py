"""Questions: /ask, mentions anywhere the bot can read, every message of enabled channels, and conversations in
the threads the bot opens. Owns the answer buttons (registered in cog_load)."""

from __future__ import annotations

import asyncio
import logging
import re
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot import errors
from bot.cooldown import QuestionCooldown, question_cooldown
from bot.render import clip, escape_markdown, read_with_note
from bot.replies import AnswerButton, PickSelect, answer_message, defer, send_answer
from bot.texts import texts

if TYPE_CHECKING:
    from bot.client import AdoptBot
    from bot.threads import Turn
    from index.models import Quote

log = logging.getLogger(__name__)
T = texts()
DEFAULT_K = 5
QUESTION_MAX = 500
DYNAMIC_ITEMS = (AnswerButton, PickSelect)


class Ask(commands.Cog):
    def __init__(self, bot: AdoptBot) -> None:
        self.bot = bot

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(*DYNAMIC_ITEMS)

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(*DYNAMIC_ITEMS)

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
            return True  # a follow-up in a thread the bot opened for an answer (content only with the intent)
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
            self.bot.cooldowns.hit(message.author.id)
        except QuestionCooldown as e:
            await errors.report_message(self.bot.texts, message, ch, e)
            return
        try:
            if isinstance(ch, discord.Thread) and ch.owner_id == getattr(self.bot.user, "id", None):
                await self._in_thread(message, ch, question, first=False)
                return
            if isinstance(ch, discord.TextChannel):
                thread = await self._open_thread(message, question)
                if thread is not None:
                    await self._in_thread(message, thread, question, first=True)
                    return
            await self._reply(message, question)  # a DM, a thread someone else opened, or no thread allowed
        except Exception as e:
            await errors.report_message(self.bot.texts, message, ch, e)

    async def _open_thread(self, message: discord.Message, question: str) -> discord.Thread | None:
        """A thread for the answer and its follow-ups; None where the bot may not open one (then it replies in the
        channel instead: a server may withhold Create Public Threads from the bot in some channels)."""
        try:
            return await message.create_thread(name=clip(question, 100, "…"), auto_archive_duration=1440)
        except discord.Forbidden as e:
            log.info("no thread allowed in channel %s (%s): replying in the channel", message.channel.id, e.code)
            return None

    async def _reply(self, message: discord.Message, question: str) -> None:
        """An answer as a reply to the message, where no conversation thread can hold it."""
        answer = await asyncio.to_thread(self.bot.answers.ask, question, DEFAULT_K)
        kw, _ = await answer_message(self.bot, answer, kind="ask", query=question, k=DEFAULT_K,
                                     guild_id=message.guild.id if message.guild else None,
                                     channel_id=message.channel.id, user_id=message.author.id)
        await message.reply(mention_author=False, **kw)

    async def _in_thread(self, message: discord.Message, thread: discord.Thread, question: str, *,
                         first: bool) -> None:
        """A question of the thread's conversation: read with the earlier ones when it refers back, no quote shown
        twice in the thread; the first answer says how to follow up."""
        t = self.bot.texts
        guild_id = message.guild.id if message.guild else None

        async def send(turn: Turn) -> list[Quote]:
            note = read_with_note(turn.read_with, t)
            if first:
                note = t("conversation.follow_up_here" if self.bot.settings.message_content
                         else "conversation.follow_up_mention")
            kw, shown = await answer_message(self.bot, turn.answer, kind="ask", query=turn.answer.question,
                                             k=DEFAULT_K, first=turn.first, guild_id=guild_id, channel_id=thread.id,
                                             user_id=message.author.id, thread_id=thread.id, turn=turn.turn,
                                             note=note)
            await thread.send(**kw)
            return shown

        if not first and question.lower().strip(" .!") == "more":  # the chat's `more`, typed in the thread
            async def send_more(turn: Turn) -> list[Quote]:
                if not turn.answer.quotes:
                    await thread.send(t("answer.no_more", question=escape_markdown(turn.answer.question)))
                    return []
                return await send(turn)

            if await self.bot.threads.more(thread.id, guild_id, None, DEFAULT_K, send_more):
                return
        await self.bot.threads.ask(thread.id, guild_id, question, DEFAULT_K, send)


async def setup(bot: AdoptBot) -> None:
    await bot.add_cog(Ask(bot))
