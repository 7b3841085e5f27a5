"""One per-user cooldown for everything that asks a question: /ask, /topic, /author, More, mentions, thread
follow-ups. Built on discord.py's CooldownMapping, keyed by user id, so slash commands and messages share it."""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands
from discord.ext import commands


class QuestionCooldown(app_commands.CommandOnCooldown):
    """A question asked too soon (slash command, button or message)."""


class Cooldowns:
    """At most one question per DISCORD_ASK_COOLDOWN_S seconds per user (0 turns it off; read on each question, so
    a changed setting applies at once)."""

    def __init__(self, settings: Any) -> None:
        self.settings = settings
        self._per = -1.0
        self._mapping: commands.CooldownMapping[int] | None = None

    def hit(self, user_id: int) -> None:
        """Count one question; raise QuestionCooldown when the user must wait."""
        per = float(self.settings.ask_cooldown_s)
        if per <= 0:
            return
        if self._mapping is None or per != self._per:
            self._per, self._mapping = per, commands.CooldownMapping.from_cooldown(1, per, lambda uid: uid)
        bucket = self._mapping.get_bucket(user_id)
        retry = bucket.update_rate_limit() if bucket is not None else None
        if bucket is not None and retry:
            raise QuestionCooldown(bucket, retry)


def question_cooldown() -> Any:
    """A check for question commands: the shared per-user cooldown, before anything is deferred."""

    def predicate(interaction: discord.Interaction) -> bool:
        interaction.client.cooldowns.hit(interaction.user.id)  # type: ignore[attr-defined]
        return True

    return app_commands.check(predicate)
