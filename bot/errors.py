"""The one error path: slash commands, buttons, selects and channel messages all end here (python-discord/bot's
error_handler pattern). It picks the sentence the user reads (prompts/replies.toml), logs the cause at the level
it deserves, and answers ephemerally wherever Discord allows it. Tokens never reach a log line (bot/redact.py).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands

from bot.checks import NotAdmin
from bot.texts import Texts
from index.errors import IndexBusy, StoreUnavailable, UserError

if TYPE_CHECKING:
    from discord.abc import Messageable

log = logging.getLogger(__name__)


def cause(error: BaseException) -> BaseException:
    """The exception behind discord.py's wrapper."""
    return error.original if isinstance(error, app_commands.CommandInvokeError) else error


def is_expected(error: BaseException) -> bool:
    """Errors the user caused or can act on: logged at info, never as a traceback."""
    return isinstance(cause(error), UserError | app_commands.CheckFailure | app_commands.TransformerError)


def error_text(t: Texts, error: BaseException) -> str:
    """What the user reads; unexpected errors are logged by the caller."""
    error = cause(error)
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
    if isinstance(error, UserError | app_commands.TransformerError | app_commands.CheckFailure):
        return t("errors.user", message=str(error))
    return t("errors.unexpected")


def log_error(where: str, error: BaseException, **ids: object) -> None:
    """Expected errors at info, a store outage as a warning, anything else with its traceback."""
    err = cause(error)
    about = " ".join(f"{k}={v}" for k, v in ids.items())
    if isinstance(err, StoreUnavailable):
        log.warning("%s: %s", where, err)
    elif is_expected(error):
        log.info("refused %s (%s): %s", where, about, type(err).__name__)
    else:
        log.error("error in %s (%s)", where, about, exc_info=(type(err), err, err.__traceback__))


async def report(interaction: discord.Interaction, error: BaseException) -> None:
    """An interaction failed (command, button, select): answer ephemerally, even after a public defer."""
    where = interaction.command.qualified_name if interaction.command else str(
        (interaction.data or {}).get("custom_id", "?"))
    log_error(where, error, user=interaction.user.id, guild=interaction.guild_id)
    text = error_text(interaction.client.texts, error)  # type: ignore[attr-defined]
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


async def report_message(t: Texts, message: discord.Message, where: Messageable, error: BaseException) -> None:
    """Answering a channel message failed: say so where the answer would have gone, as a reply."""
    log_error("message", error, channel=message.channel.id, user=message.author.id)
    try:
        await where.send(error_text(t, error), reference=message.to_reference(fail_if_not_exists=False)
                         if where == message.channel else None)
    except discord.HTTPException as e:
        log.warning("could not report an error in channel %s (%s)", message.channel.id, e.status)


class AdoptTree(app_commands.CommandTree):
    """Every slash command's error comes here."""

    async def on_error(self, interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
        await report(interaction, error)
