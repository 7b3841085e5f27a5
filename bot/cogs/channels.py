"""The admin groups about the server rather than the corpus: /channels enable|disable and /feedback export, one
GroupCog per slash group (RoboDanny's pattern), guild-only and hidden from non-managers, checked again at run time."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.checks import admin_check
from bot.texts import texts

if TYPE_CHECKING:
    from bot.client import AdoptBot

T = texts()


@app_commands.guild_only()
@app_commands.allowed_contexts(guilds=True, dms=False, private_channels=False)
@app_commands.default_permissions(manage_guild=True)
class Channels(commands.GroupCog, group_name="channels", group_description=T.cmd("channels")):
    def __init__(self, bot: AdoptBot) -> None:
        self.bot = bot
        super().__init__()

    @app_commands.command(name="enable", description=T.cmd("channels", "enable"))
    @app_commands.describe(channel=T.cmd("channels", "channel"))
    @admin_check
    async def enable(self, interaction: discord.Interaction, channel: discord.TextChannel | None = None) -> None:
        cid = channel.id if channel else interaction.channel_id
        await self.bot.lookup(self.bot.state.enable_channel, cid, interaction.guild_id, interaction.user.id)
        text = self.bot.texts("admin.channel_enabled", channel=f"<#{cid}>")
        if not self.bot.settings.message_content:
            text += "\n" + self.bot.texts("admin.intent_off")
        await interaction.response.send_message(text, ephemeral=True)

    @app_commands.command(name="disable", description=T.cmd("channels", "disable"))
    @app_commands.describe(channel=T.cmd("channels", "channel"))
    @admin_check
    async def disable(self, interaction: discord.Interaction, channel: discord.TextChannel | None = None) -> None:
        cid = channel.id if channel else interaction.channel_id
        await self.bot.lookup(self.bot.state.disable_channel, cid)
        await interaction.response.send_message(self.bot.texts("admin.channel_disabled", channel=f"<#{cid}>"),
                                                ephemeral=True)


@app_commands.guild_only()
@app_commands.allowed_contexts(guilds=True, dms=False, private_channels=False)
@app_commands.default_permissions(manage_guild=True)
class Feedback(commands.GroupCog, group_name="feedback", group_description=T.cmd("feedback")):
    def __init__(self, bot: AdoptBot) -> None:
        self.bot = bot
        super().__init__()

    @app_commands.command(name="export", description=T.cmd("feedback", "export"))
    @admin_check
    async def export(self, interaction: discord.Interaction) -> None:
        text, n = await self.bot.lookup(self.bot.state.feedback_csv, interaction.guild_id)
        t = self.bot.texts
        if n == 0:
            await interaction.response.send_message(t("feedback.export_empty"), ephemeral=True)
            return
        f = discord.File(io.BytesIO(text.encode("utf-8")), filename=f"feedback-{interaction.guild_id}.csv")
        await interaction.response.send_message(t("feedback.export_done", count=n), file=f, ephemeral=True)


async def setup(bot: AdoptBot) -> None:
    await bot.add_cog(Channels(bot))
    await bot.add_cog(Feedback(bot))
