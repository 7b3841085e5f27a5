"""/addpost and /removepost: pages into and out of the corpus, then a reindex. Owns the Confirm/Cancel buttons.

The checking, reading and saving of a page is bot/uploads.py (no Discord there). A preview waits for Confirm in
SQLite: the buttons are dynamic items carrying only the preview's id, so Confirm pressed after a restart still
saves the page, and a preview that expired says so instead of failing silently.
"""

from __future__ import annotations

import asyncio
import logging
import re
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot import errors
from bot.checks import admin_only, is_admin
from bot.cogs.reindex import run_reindex
from bot.render import CHOICES_MAX, DESCRIPTION_BUDGET, Card, choice_name, clip, escape_markdown
from bot.replies import card_embed, defer
from bot.texts import texts
from bot.uploads import PREVIEW_TTL_S, Preview
from index.errors import UserError

if TYPE_CHECKING:
    from bot.client import AdoptBot

log = logging.getLogger(__name__)
T = texts()
CONFIRM_ID = r"ab:post:(?P<action>confirm|cancel):(?P<pid>[0-9a-f]{16})"


class ConfirmButton(discord.ui.DynamicItem[discord.ui.Button], template=CONFIRM_ID):
    """Confirm or Cancel under an /addpost preview; only the admin who uploaded may press."""

    def __init__(self, action: str, pid: str, label: str = "",
                 style: discord.ButtonStyle = discord.ButtonStyle.secondary) -> None:
        super().__init__(discord.ui.Button(label=clip(label or action, 80), style=style,
                                           custom_id=f"ab:post:{action}:{pid}"))
        self.action = action
        self.pid = pid

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Button,
                             match: re.Match[str]) -> ConfirmButton:
        return cls(match["action"], match["pid"], item.label or "", item.style)

    async def callback(self, interaction: discord.Interaction) -> None:
        try:
            await on_confirm(interaction.client, interaction, self.action, self.pid)  # type: ignore[arg-type]
        except Exception as e:  # one error path for commands and components
            await errors.report(interaction, e)


def confirm_view(bot: AdoptBot, pid: str) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(ConfirmButton("confirm", pid, bot.texts("buttons.confirm"), discord.ButtonStyle.success))
    view.add_item(ConfirmButton("cancel", pid, bot.texts("buttons.cancel"), discord.ButtonStyle.secondary))
    return view


async def on_confirm(bot: AdoptBot, interaction: discord.Interaction, action: str, pid: str) -> None:
    t = bot.texts
    pending = await bot.lookup(bot.state.preview, pid, PREVIEW_TTL_S)
    if pending is None:  # confirmed or cancelled already, or older than a day: nothing to save
        await interaction.response.edit_message(content=t("admin.preview_expired"), embed=None, view=None)
        return
    if interaction.user.id != pending.owner_id:
        await interaction.response.send_message(t("errors.not_yours"), ephemeral=True)
        return
    await bot.lookup(bot.state.drop_preview, pid)
    if action == "cancel":
        await interaction.response.edit_message(content=t("admin.cancelled"), embed=None, view=None)
        return
    if bot.answers.building:
        raise UserError(t("errors.busy"))
    saved = await bot.lookup(bot.uploads.save, pending.data, pending.name, pending.meta)
    if saved is None:
        await interaction.response.edit_message(content=t("admin.exists", file=pending.name), embed=None, view=None)
        return
    await interaction.response.edit_message(content=t("admin.saved", file=saved), embed=None, view=None)
    await run_reindex(bot, interaction.edit_original_response, prefix=t("admin.saved", file=saved))


class Corpus(commands.Cog):
    def __init__(self, bot: AdoptBot) -> None:
        self.bot = bot
        from index.settings import FetchSettings

        self.fetch_settings = FetchSettings()  # /addpost url: limits and the private-address switch

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(ConfirmButton)

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(ConfirmButton)

    async def preview(self, interaction: discord.Interaction, preview: Preview) -> None:
        """Show what the reader made of a page and keep it for Confirm (any source: an attachment, a URL)."""
        pid = await self.bot.lookup(lambda: self.bot.state.save_preview(
            owner_id=interaction.user.id, guild_id=interaction.guild_id, name=preview.name, meta=preview.meta,
            data=preview.data))
        await interaction.followup.send(embed=card_embed(Card(title="/addpost", description=preview.text)),
                                        view=confirm_view(self.bot, pid), ephemeral=True)

    @app_commands.command(name="addpost", description=T.cmd("addpost"))
    @app_commands.describe(file=T.cmd("addpost", "file"), title=T.cmd("addpost", "title"),
                           author=T.cmd("addpost", "author"), url=T.cmd("addpost", "url"))
    @admin_only()
    async def addpost(self, interaction: discord.Interaction, file: discord.Attachment | None = None,
                      title: app_commands.Range[str, 1, 300] | None = None,
                      author: app_commands.Range[str, 1, 100] | None = None,
                      url: app_commands.Range[str, 1, 500] | None = None) -> None:
        uploads = self.bot.uploads
        if file is None:  # url: alone is a page on the web, downloaded (with a file, url is the file's address)
            await self.addpost_url(interaction, url, title, author)
            return
        name = uploads.check_name(file.filename, file.size)  # refused before a byte is downloaded
        meta = uploads.check_meta({"title": title or "", "author": author or "", "url": url or ""})
        await defer(interaction, ephemeral=True)
        data = await file.read()
        preview = await asyncio.to_thread(uploads.prepare, data, name, meta)
        await self.preview(interaction, preview)

    async def addpost_url(self, interaction: discord.Interaction, url: str | None, title: str | None,
                          author: str | None) -> None:
        """/addpost url: download (bot/addurl.py), then the same preview as an upload; a bad URL is one line."""
        from bot import addurl

        t = self.bot.texts
        if not url:
            raise UserError(t("admin.need_file_or_url"))
        if not re.match(r"^https?://\S+$", url):
            raise UserError(t("admin.url_bad", url=escape_markdown(clip(url, 200))))
        await defer(interaction, ephemeral=True)  # a download may take a while: "thinking…" until it is read
        data, name, meta = await asyncio.to_thread(addurl.fetch, url, self.fetch_settings, t, title, author)
        preview = await asyncio.to_thread(self.bot.uploads.prepare, data, name, meta)
        preview.text = clip(escape_markdown(clip(url, 200)) + "\n" + preview.text, DESCRIPTION_BUDGET)
        await self.preview(interaction, preview)

    @app_commands.command(name="removepost", description=T.cmd("removepost"))
    @app_commands.describe(file=T.cmd("removepost", "file"))
    @admin_only()
    async def removepost(self, interaction: discord.Interaction, file: app_commands.Range[str, 1, 200]) -> None:
        t = self.bot.texts
        await self.bot.lookup(self.bot.uploads.check_removable, file)
        if self.bot.answers.building:
            raise UserError(t("errors.busy"))
        await defer(interaction)
        where = await asyncio.to_thread(self.bot.uploads.move_out, file)
        prefix = t("admin.removed", file=file, where=where)
        await interaction.edit_original_response(content=prefix)
        await run_reindex(self.bot, interaction.edit_original_response, prefix=prefix)

    @removepost.autocomplete("file")
    async def removepost_files(self, interaction: discord.Interaction,
                               current: str) -> list[app_commands.Choice[str]]:
        try:
            if not is_admin(interaction):
                return []
        except app_commands.AppCommandError:
            return []
        files = await self.bot.lookup(self.bot.uploads.files)
        c = current.lower()
        return [app_commands.Choice(name=choice_name(f), value=f[:100]) for f in files
                if c in f.lower() and len(f) <= 100][:CHOICES_MAX]


async def setup(bot: AdoptBot) -> None:
    await bot.add_cog(Corpus(bot))
