"""Answers as Discord messages, and the buttons under them (More, Full comment, 👍, 👎) with their pickers.

The buttons are DynamicItems: their custom_id carries only an answer id, the rest (question, quotes shown, next
offset, the thread and turn of a conversation) is in SQLite, so buttons keep working after a restart and feedback is
stored with the exact quotes seen. The cog that sends answers (bot/cogs/ask.py) registers them in its cog_load.
"""

from __future__ import annotations

import asyncio
import logging
import re
from typing import TYPE_CHECKING, Any

import discord

from bot import errors
from bot.render import Card, choice_name, clip, escape_markdown, render_answer, render_full, title_for
from index.models import Answer, Quote

if TYPE_CHECKING:
    from bot.client import AdoptBot
    from bot.state import StoredAnswer
    from bot.threads import Turn

log = logging.getLogger(__name__)
COLOUR = discord.Colour(0x3B82F6)
REASONS = ("wrong_person", "off_topic", "out_of_context")
BUTTON_ID = r"ab:(?P<action>more|full|up|down):(?P<aid>[0-9a-f]{12})"
SELECT_ID = r"ab:(?P<what>pick|why):(?P<aid>[0-9a-f]{12})"


def card_embed(card: Card) -> discord.Embed:
    e = discord.Embed(title=card.title or None, description=card.description or None, colour=COLOUR)
    if card.footer:
        e.set_footer(text=card.footer)
    return e


async def defer(interaction: discord.Interaction, *, ephemeral: bool = False) -> None:
    """Acknowledge within Discord's 3 s; remember whether the placeholder is public (the error handler needs it)."""
    if not interaction.response.is_done():
        await interaction.response.defer(thinking=True, ephemeral=ephemeral)
        interaction.extras["deferred_public"] = not ephemeral


async def answer_message(bot: AdoptBot, answer: Answer, *, kind: str, query: str, k: int, first: int = 1,
                         private: bool = False, guild_id: int | None = None, channel_id: int | None = None,
                         user_id: int | None = None, thread_id: int | None = None, turn: int | None = None,
                         note: str = "") -> tuple[dict[str, Any], list[Quote]]:
    """The message (embed of as many quotes as fit, its buttons, an optional line above) and the quotes it shows.
    The answer is stored for its buttons off the event loop."""
    card = render_answer(answer, bot.texts, first=first, title=title_for(kind, query, bot.texts))
    kw: dict[str, Any] = {"embed": card_embed(card)}
    if note:
        kw["content"] = clip(note, 2000)
    if not answer.answered or card.shown == 0:
        return kw, []
    shown = list(answer.quotes[: card.shown])
    aid = await bot.lookup(lambda: bot.state.save_answer(
        kind=kind, query=query, k=k, first=first, next_offset=first - 1 + card.shown, private=private, quotes=shown,
        guild_id=guild_id, channel_id=channel_id, user_id=user_id, thread_id=thread_id, turn=turn))
    kw["view"] = answer_view(bot, aid)
    return kw, shown


def answer_view(bot: AdoptBot, aid: str) -> discord.ui.View:
    t = bot.texts
    view = discord.ui.View(timeout=None)
    view.add_item(AnswerButton("more", aid, t("buttons.more"), discord.ButtonStyle.primary))
    view.add_item(AnswerButton("full", aid, t("buttons.full"), discord.ButtonStyle.secondary))
    view.add_item(AnswerButton("up", aid, t("buttons.up"), discord.ButtonStyle.secondary))
    view.add_item(AnswerButton("down", aid, t("buttons.down"), discord.ButtonStyle.secondary))
    return view


async def send_answer(interaction: discord.Interaction, answer: Answer, *, kind: str, query: str, k: int,
                      first: int = 1, private: bool = False, thread_id: int | None = None,
                      turn: int | None = None) -> list[Quote]:
    """The follow-up after a defer: the answer embed with its buttons; returns the quotes it showed."""
    bot: AdoptBot = interaction.client  # type: ignore[assignment]
    kw, shown = await answer_message(bot, answer, kind=kind, query=query, k=k, first=first, private=private,
                                     guild_id=interaction.guild_id, channel_id=interaction.channel_id,
                                     user_id=interaction.user.id, thread_id=thread_id, turn=turn)
    await interaction.followup.send(ephemeral=private, **kw)
    return shown


async def send_cards(interaction: discord.Interaction, cards: list[Card], *, ephemeral: bool = True) -> None:
    """Long text paged over several messages, one embed each (each well under the 6000-character total)."""
    for card in cards:
        await interaction.followup.send(embed=card_embed(card), ephemeral=ephemeral)


class AnswerButton(discord.ui.DynamicItem[discord.ui.Button], template=BUTTON_ID):
    """One of the four buttons under an answer."""

    def __init__(self, action: str, aid: str, label: str = "",
                 style: discord.ButtonStyle = discord.ButtonStyle.secondary) -> None:
        button = discord.ui.Button(label=clip(label or action, 80), style=style, custom_id=f"ab:{action}:{aid}")
        super().__init__(button)
        self.action = action
        self.aid = aid

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Button,
                             match: re.Match[str]) -> AnswerButton:
        return cls(match["action"], match["aid"], item.label or "", item.style)

    async def callback(self, interaction: discord.Interaction) -> None:
        try:
            await on_answer_button(interaction.client, interaction, self.action, self.aid)  # type: ignore[arg-type]
        except Exception as e:  # one error path for commands, components and messages
            await errors.report(interaction, e)


class PickSelect(discord.ui.DynamicItem[discord.ui.Select], template=SELECT_ID):
    """Ephemeral follow-ups: which quote's full comment to show, or what was wrong with an answer."""

    def __init__(self, what: str, aid: str, options: list[discord.SelectOption] | None = None,
                 placeholder: str | None = None) -> None:
        super().__init__(discord.ui.Select(custom_id=f"ab:{what}:{aid}", options=options or [],
                                           placeholder=clip(placeholder, 150) if placeholder else None))
        self.what = what
        self.aid = aid

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Select,
                             match: re.Match[str]) -> PickSelect:
        return cls(match["what"], match["aid"], list(item.options), item.placeholder)

    async def callback(self, interaction: discord.Interaction) -> None:
        try:
            value = self.item.values[0] if self.item.values else ""
            await on_pick(interaction.client, interaction, self.what, self.aid, value)  # type: ignore[arg-type]
        except Exception as e:
            await errors.report(interaction, e)


async def _stored(bot: AdoptBot, interaction: discord.Interaction, aid: str) -> StoredAnswer | None:
    stored = await bot.lookup(bot.state.answer, aid)
    if stored is None:
        await interaction.response.send_message(bot.texts("errors.expired"), ephemeral=True)
    return stored


async def on_answer_button(bot: AdoptBot, interaction: discord.Interaction, action: str, aid: str) -> None:
    t = bot.texts
    stored = await _stored(bot, interaction, aid)
    if stored is None:
        return
    if action == "more":
        bot.cooldowns.hit(interaction.user.id)
        await defer(interaction, ephemeral=stored.private)
        await more(bot, interaction, stored)
    elif action == "full":
        if len(stored.quotes) == 1:
            await show_full(bot, interaction, stored, 0)
            return
        options = [
            discord.SelectOption(label=choice_name(f"{i}. {q.author or t('answer.who_anonymous')}: {q.text}"),
                                 value=str(i - stored.first))
            for i, q in enumerate(stored.quotes[:25], start=stored.first)
        ]
        view = discord.ui.View(timeout=None)
        view.add_item(PickSelect("pick", aid, options, t("buttons.pick_quote")))
        await interaction.response.send_message(t("buttons.pick_quote"), view=view, ephemeral=True)
    elif action == "up":
        await bot.lookup(lambda: bot.state.vote(stored, user_id=interaction.user.id, guild_id=interaction.guild_id,
                                                vote=1))
        await interaction.response.send_message(t("feedback.thanks_up"), ephemeral=True)
    elif action == "down":
        await bot.lookup(lambda: bot.state.vote(stored, user_id=interaction.user.id, guild_id=interaction.guild_id,
                                                vote=-1))
        options = [discord.SelectOption(label=t(f"feedback.reason_{r}"), value=r) for r in REASONS]
        view = discord.ui.View(timeout=None)
        view.add_item(PickSelect("why", aid, options, t("feedback.ask_why")))
        await interaction.response.send_message(t("feedback.ask_why"), view=view, ephemeral=True)


async def more(bot: AdoptBot, interaction: discord.Interaction, stored: StoredAnswer) -> None:
    """The next quotes of an answer: in a conversation thread, none already shown in the thread; else by offset."""
    first = stored.next_offset + 1

    async def no_more() -> None:
        await interaction.followup.send(bot.texts("answer.no_more", question=escape_markdown(clip(stored.query, 1500))),
                                        ephemeral=True)

    if stored.thread_id is not None and stored.kind == "ask" and bot.threads is not None:
        async def send(turn: Turn) -> list[Quote]:
            if not turn.answer.quotes:
                await no_more()
                return []
            return await send_answer(interaction, turn.answer, kind="ask", query=stored.query, k=stored.k,
                                     first=turn.first, private=stored.private, thread_id=stored.thread_id,
                                     turn=turn.turn)

        if await bot.threads.more(stored.thread_id, stored.guild_id, stored.turn, stored.k, send):
            return
    answer = await asyncio.to_thread(bot.answers.page, stored.kind, stored.query, stored.k, stored.next_offset)
    if not answer.quotes:
        await no_more()
        return
    await send_answer(interaction, answer, kind=stored.kind, query=stored.query, k=stored.k, first=first,
                      private=stored.private)


async def show_full(bot: AdoptBot, interaction: discord.Interaction, stored: StoredAnswer, index: int) -> None:
    await defer(interaction, ephemeral=True)
    q = stored.quotes[index]
    record = await asyncio.to_thread(bot.answers.full_text, q.post_id, q.comment_id)
    if record is None:
        await interaction.followup.send(bot.texts("full.gone"), ephemeral=True)
        return
    await send_cards(interaction, render_full(record, bot.texts), ephemeral=True)


async def on_pick(bot: AdoptBot, interaction: discord.Interaction, what: str, aid: str, value: str) -> None:
    t = bot.texts
    stored = await _stored(bot, interaction, aid)
    if stored is None:
        return
    if what == "pick":
        if not value.isdigit() or not 0 <= int(value) < len(stored.quotes):
            await interaction.response.send_message(t("errors.expired"), ephemeral=True)
            return
        await show_full(bot, interaction, stored, int(value))
    else:
        if value not in REASONS:
            await interaction.response.send_message(t("errors.expired"), ephemeral=True)
            return

        def keep() -> None:
            if not bot.state.set_reason(aid, interaction.user.id, value):
                bot.state.vote(stored, user_id=interaction.user.id, guild_id=interaction.guild_id, vote=-1,
                               reason=value)

        await bot.lookup(keep)
        await interaction.response.edit_message(content=t("feedback.thanks_down", reason=t(f"feedback.reason_{value}")),
                                                view=None)
