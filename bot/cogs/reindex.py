"""/reindex, and the one way any admin command rebuilds the index: a worker thread, progress edits, a summary.

Questions keep being answered from the live generation while the next one is built (bot/service.py)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.checks import admin_only
from bot.render import DESCRIPTION_BUDGET, Card, clip
from bot.replies import card_embed, defer
from bot.texts import texts
from index.errors import UserError

if TYPE_CHECKING:
    from bot.client import AdoptBot

log = logging.getLogger(__name__)
T = texts()
Edit = Callable[..., Awaitable[Any]]


def reindex_cooldown(interaction: discord.Interaction) -> app_commands.Cooldown | None:
    return app_commands.Cooldown(1, float(interaction.client.settings.reindex_cooldown_s))  # type: ignore[attr-defined]


def summary_card(bot: AdoptBot, report: Any) -> Card:
    """The reindex summary: counts, then warnings per file (cut to fit, never rejected)."""
    t = bot.texts
    head = t("admin.summary", added=report.added, updated=report.updated, removed=report.removed,
             unchanged=report.unchanged, chunks=report.chunks, seconds=float(report.seconds))
    per_file = getattr(report, "per_file", {}) or {}
    lines = []
    for name, info in sorted(per_file.items()):
        n = info.get("warnings", 0) if isinstance(info, dict) else 0
        n = len(n) if isinstance(n, list) else int(n or 0)
        if n:
            lines.append(t("admin.file_warnings", file=name, count=n))
    body = head + "\n\n" + ("\n".join(lines) if lines else t("admin.no_warnings"))
    return Card(title="/reindex", description=clip(body, DESCRIPTION_BUDGET))


async def run_reindex(bot: AdoptBot, edit: Edit, prefix: str = "") -> Any:
    """Build in a worker thread; edit the reply with progress (throttled), then with the summary."""
    t = bot.texts
    latest: dict[str, tuple[str, int, int]] = {}

    def progress(stage: str, done: int, total: int) -> None:  # called from the build thread
        latest["p"] = (stage, done, total)

    task = asyncio.ensure_future(asyncio.to_thread(bot.answers.reindex, progress))
    shown = None
    while not task.done():
        await asyncio.wait({task}, timeout=bot.progress_every_s)
        if task.done() or "p" not in latest or latest["p"] == shown:
            continue
        shown = latest["p"]
        line = t("admin.progress", stage=shown[0], done=shown[1], total=shown[2])
        try:
            await edit(content=clip((prefix + "\n" if prefix else "") + line, 2000))
        except discord.HTTPException as e:  # progress is best-effort; the summary is what matters
            log.warning("progress edit failed (%s)", e.status)
    report = task.result()
    await edit(content=clip(prefix, 2000) if prefix else None, embed=card_embed(summary_card(bot, report)))
    return report


class Reindex(commands.Cog):
    def __init__(self, bot: AdoptBot) -> None:
        self.bot = bot

    @app_commands.command(name="reindex", description=T.cmd("reindex"))
    # checks run in the order applied (bottom-up): admin first, so a refused non-admin never spends the cooldown
    @app_commands.checks.dynamic_cooldown(reindex_cooldown, key=lambda i: "global")
    @admin_only()
    async def reindex(self, interaction: discord.Interaction) -> None:
        if self.bot.answers.building:
            raise UserError(self.bot.texts("errors.busy"))
        await defer(interaction)
        await interaction.edit_original_response(content=self.bot.texts("admin.started"))
        await run_reindex(self.bot, interaction.edit_original_response)


async def setup(bot: AdoptBot) -> None:
    await bot.add_cog(Reindex(bot))
