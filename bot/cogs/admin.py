"""Admin commands: /reindex, /addpost, /removepost, /channels enable|disable, /feedback export.

All top-level, guild-only, hidden from non-managers by default and checked again at run time. A reindex builds in
a worker thread, so questions keep being answered while it runs.
"""

from __future__ import annotations

import asyncio
import io
import logging
import re
import shutil
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.checks import admin_check, admin_only
from bot.render import CHOICES_MAX, DESCRIPTION_BUDGET, Card, choice_name, clip, escape_markdown
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


def safe_name(name: str) -> str:
    """A plain file name: no folders, no hidden files, only safe characters."""
    base = Path(name.replace("\\", "/")).name
    base = re.sub(r"[^A-Za-z0-9._-]+", "_", base).lstrip("._")
    return base[:120] or "upload.txt"


def plain_name(name: str) -> bool:
    """A name as a person gives a file: no folders, not hidden, no control or invisible formatting characters."""
    import unicodedata

    return not (re.search(r"[/\\]|^\.", name) or any(unicodedata.category(c) in ("Cc", "Cf") for c in name))


def _toml_str(s: str) -> str:
    """A TOML basic string: typed text stays text (quotes, backslashes), newlines become spaces, other control
    characters are dropped (TOML forbids them: the reader would ignore the whole sidecar)."""
    s = re.sub(r"[\r\n]+", " ", s)
    s = re.sub(r"[\x00-\x08\x0b-\x1f\x7f]", "", s)
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


class ConfirmView(discord.ui.View):
    """Confirm / Cancel under an /addpost preview; only the admin who uploaded may press."""

    def __init__(self, cog: Admin, owner_id: int, data: bytes, name: str, meta: dict[str, str]) -> None:
        super().__init__(timeout=600)
        self.cog, self.owner_id, self.data, self.name, self.meta = cog, owner_id, data, name, meta
        t = cog.bot.texts
        self.confirm.label = clip(t("buttons.confirm"), 80)
        self.cancel.label = clip(t("buttons.cancel"), 80)

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        if interaction.user.id != self.owner_id:
            await interaction.response.send_message(self.cog.bot.texts("errors.not_yours"), ephemeral=True)
            return False
        return True

    async def on_error(self, interaction: discord.Interaction, error: Exception, item: discord.ui.Item) -> None:
        await self.cog.bot.report_error(interaction, error)

    @discord.ui.button(label="Confirm", style=discord.ButtonStyle.success)
    async def confirm(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        self.stop()
        t = self.cog.bot.texts
        saved = await self.cog.bot.lookup(self.cog.save_upload, self.data, self.name, self.meta)
        if saved is None:
            await interaction.response.edit_message(content=t("admin.exists", file=self.name), embed=None, view=None)
            return
        await interaction.response.edit_message(content=t("admin.saved", file=saved), embed=None, view=None)
        await self.cog.run_reindex(interaction.edit_original_response, prefix=t("admin.saved", file=saved))

    @discord.ui.button(label="Cancel", style=discord.ButtonStyle.secondary)
    async def cancel(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        self.stop()
        await interaction.response.edit_message(content=self.cog.bot.texts("admin.cancelled"), embed=None, view=None)


class Admin(commands.Cog):
    channels = app_commands.Group(name="channels", description=T.cmd("channels"), guild_only=True,
                                  allowed_contexts=app_commands.AppCommandContext(guild=True),
                                  default_permissions=discord.Permissions(manage_guild=True))
    feedback = app_commands.Group(name="feedback", description=T.cmd("feedback"), guild_only=True,
                                  allowed_contexts=app_commands.AppCommandContext(guild=True),
                                  default_permissions=discord.Permissions(manage_guild=True))

    def __init__(self, bot: AdoptBot) -> None:
        self.bot = bot

    # reindex ---------------------------------------------------------------------------------------------------
    async def run_reindex(self, edit: Edit, prefix: str = "") -> Any:
        """Build in a worker thread; edit the reply with progress (throttled), then with the summary."""
        t = self.bot.texts
        latest: dict[str, tuple[str, int, int]] = {}

        def progress(stage: str, done: int, total: int) -> None:  # called from the build thread
            latest["p"] = (stage, done, total)

        task = asyncio.ensure_future(asyncio.to_thread(self.bot.answers.reindex, progress))
        shown = None
        while not task.done():
            await asyncio.wait({task}, timeout=self.bot.progress_every_s)
            if task.done() or "p" not in latest or latest["p"] == shown:
                continue
            shown = latest["p"]
            line = t("admin.progress", stage=shown[0], done=shown[1], total=shown[2])
            try:
                await edit(content=clip((prefix + "\n" if prefix else "") + line, 2000))
            except discord.HTTPException as e:  # progress is best-effort; the summary is what matters
                log.warning("progress edit failed (%s)", e.status)
        report = task.result()
        await edit(content=clip(prefix, 2000) if prefix else None, embed=card_embed(summary_card(self.bot, report)))
        return report

    @app_commands.command(name="reindex", description=T.cmd("reindex"))
    # checks run in the order applied (bottom-up): admin first, so a refused non-admin never spends the cooldown
    @app_commands.checks.dynamic_cooldown(reindex_cooldown, key=lambda i: "global")
    @admin_only()
    async def reindex(self, interaction: discord.Interaction) -> None:
        if self.bot.answers.building:
            raise UserError(self.bot.texts("errors.busy"))
        await defer(interaction)
        await interaction.edit_original_response(content=self.bot.texts("admin.started"))
        await self.run_reindex(interaction.edit_original_response)

    # addpost ---------------------------------------------------------------------------------------------------
    def check_upload(self, data: bytes, name: str) -> str | None:
        """Why an upload is refused, or None when it may be previewed."""
        from index.corpus import CORPUS_SUFFIXES

        t = self.bot.texts
        if Path(name).suffix.lower() not in CORPUS_SUFFIXES:
            return t("admin.bad_suffix", suffixes=", ".join(CORPUS_SUFFIXES))
        if b"\x00" in data[:65536]:
            return t("admin.binary")
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            try:
                data.decode("cp1252")  # old blogs: the reader copes with cp1252, so accept it here too
            except UnicodeDecodeError:
                return t("admin.binary")
        return None

    def parse_upload(self, data: bytes, name: str, meta: dict[str, str]) -> Any:
        import inspect

        from index.corpus import parse_bytes

        if meta and "meta" in inspect.signature(parse_bytes).parameters:
            return parse_bytes(data, name, meta)
        return parse_bytes(data, name)

    def save_upload(self, data: bytes, name: str, meta: dict[str, str]) -> str | None:
        """Write the page (and a .meta.toml sidecar for title/author/url) into the corpus folder.

        Never overwrites: an identical file means "already there" (None), a different one gets a new name.
        """
        corpus = self.bot.answers.corpus_dir
        corpus.mkdir(parents=True, exist_ok=True)
        target = corpus / name
        n = 1
        while target.exists():
            if target.read_bytes() == data:
                return None
            target = corpus / f"{Path(name).stem}-{n}{Path(name).suffix}"
            n += 1
        tmp = target.with_name("." + target.name + ".part")
        tmp.write_bytes(data)
        if meta:
            side = target.with_name(target.name.rsplit(".", 1)[0] + ".meta.toml")  # the reader's sidecar name
            side.write_text("".join(f"{k} = {_toml_str(v)}\n" for k, v in meta.items()), encoding="utf-8")
        tmp.replace(target)
        return target.name

    @app_commands.command(name="addpost", description=T.cmd("addpost"))
    @app_commands.describe(file=T.cmd("addpost", "file"), title=T.cmd("addpost", "title"),
                           author=T.cmd("addpost", "author"), url=T.cmd("addpost", "url"))
    @admin_only()
    async def addpost(self, interaction: discord.Interaction, file: discord.Attachment,
                      title: app_commands.Range[str, 1, 300] | None = None,
                      author: app_commands.Range[str, 1, 100] | None = None,
                      url: app_commands.Range[str, 1, 500] | None = None) -> None:
        t = self.bot.texts
        limit = float(self.bot.settings.max_upload_mb)
        if file.size > limit * 1024 * 1024:
            raise UserError(t("admin.too_big", mb=file.size / 1024 / 1024, limit=limit))
        name = safe_name(file.filename)
        if not plain_name(file.filename):  # ../, a folder, a hidden file, control characters: refused, not guessed
            raise UserError(t("admin.bad_name", file=name))
        why = self.check_upload(b"", name) if Path(name).suffix.lower() else None
        if why:
            raise UserError(why)
        await defer(interaction, ephemeral=True)
        data = await file.read()
        if len(data) > limit * 1024 * 1024:
            raise UserError(t("admin.too_big", mb=len(data) / 1024 / 1024, limit=limit))
        why = self.check_upload(data, name)
        if why:
            raise UserError(why)
        meta = {k: v for k, v in (("title", title), ("author", author), ("url", url)) if v}
        if url and not re.match(r"^https?://\S+$", url):
            raise UserError(t("errors.user", message="url must start with http:// or https:// "
                                                      f"(got {escape_markdown(clip(url, 80))})"))
        try:
            page = await asyncio.to_thread(self.parse_upload, data, name, meta)
        except Exception as e:  # the reader should not raise on content; if it does, the admin gets the reason
            log.warning("reader failed on upload %s", name, exc_info=True)
            raise UserError(t("admin.unreadable", reason=clip(f"{type(e).__name__}: {e}", 300))) from None
        if page.shape == "unreadable" or (not page.records and page.warnings):  # the reader's reason, escaped
            reason = "; ".join(w.message for w in page.warnings) or "unreadable"
            raise UserError(t("admin.unreadable", reason=escape_markdown(clip(reason, 300))))
        if not page.records:
            raise UserError(t("admin.empty"))
        comments = page.comments
        attributed = (sum(1 for c in comments if c.author) / len(comments)) if comments else 0.0
        warn_lines = [escape_markdown(clip(str(w), 200)) for w in page.warnings[:8]]
        if len(page.warnings) > 8:
            warn_lines.append(f"… +{len(page.warnings) - 8}")
        preview = t("admin.preview", file=name, shape=page.shape, posts=len(page.posts), comments=len(comments),
                    attributed=attributed, warnings="\n".join(warn_lines) or t("admin.no_warnings"))
        view = ConfirmView(self, interaction.user.id, data, name, meta)
        await interaction.followup.send(embed=card_embed(Card(title="/addpost", description=clip(
            preview, DESCRIPTION_BUDGET))), view=view, ephemeral=True)

    # removepost ------------------------------------------------------------------------------------------------
    @app_commands.command(name="removepost", description=T.cmd("removepost"))
    @app_commands.describe(file=T.cmd("removepost", "file"))
    @admin_only()
    async def removepost(self, interaction: discord.Interaction, file: app_commands.Range[str, 1, 200]) -> None:
        t = self.bot.texts
        if file not in self.bot.answers.corpus_files():  # typed by hand: checked against the folder, never a path
            raise UserError(t("admin.unknown_file", file=clip(file, 100).replace("`", "'")))  # shown in `code`
        if self.bot.answers.building:
            raise UserError(t("errors.busy"))
        await defer(interaction)
        where = await asyncio.to_thread(self.move_out, file)
        prefix = t("admin.removed", file=file, where=where)
        await interaction.edit_original_response(content=prefix)
        await self.run_reindex(interaction.edit_original_response, prefix=prefix)

    def move_out(self, name: str) -> str:
        """Nothing is lost: the page (and its sidecar) move to data/removed/, not to the void."""
        corpus = self.bot.answers.corpus_dir
        dest = self.bot.data_dir / "removed" / time.strftime("%Y%m%d-%H%M%S")
        dest.mkdir(parents=True, exist_ok=True)
        for p in (corpus / name, corpus / (name + ".meta.toml"), corpus / (Path(name).stem + ".meta.toml")):
            if p.exists():
                shutil.move(str(p), str(dest / p.name))
        return str(dest.relative_to(self.bot.data_dir.parent)) if dest.is_relative_to(
            self.bot.data_dir.parent) else str(dest)

    @removepost.autocomplete("file")
    async def removepost_files(self, interaction: discord.Interaction,
                               current: str) -> list[app_commands.Choice[str]]:
        if not _may_admin(interaction):
            return []
        files = await self.bot.lookup(self.bot.answers.corpus_files)
        c = current.lower()
        return [app_commands.Choice(name=choice_name(f), value=f[:100]) for f in files
                if c in f.lower() and len(f) <= 100][:CHOICES_MAX]

    # channels --------------------------------------------------------------------------------------------------
    @channels.command(name="enable", description=T.cmd("channels", "enable"))
    @app_commands.describe(channel=T.cmd("channels", "channel"))
    @admin_check
    async def channels_enable(self, interaction: discord.Interaction,
                              channel: discord.TextChannel | None = None) -> None:
        cid = channel.id if channel else interaction.channel_id
        self.bot.state.enable_channel(cid, interaction.guild_id, interaction.user.id)
        text = self.bot.texts("admin.channel_enabled", channel=f"<#{cid}>")
        if not self.bot.settings.message_content:
            text += "\n" + self.bot.texts("admin.intent_off")
        await interaction.response.send_message(text, ephemeral=True)

    @channels.command(name="disable", description=T.cmd("channels", "disable"))
    @app_commands.describe(channel=T.cmd("channels", "channel"))
    @admin_check
    async def channels_disable(self, interaction: discord.Interaction,
                               channel: discord.TextChannel | None = None) -> None:
        cid = channel.id if channel else interaction.channel_id
        self.bot.state.disable_channel(cid)
        await interaction.response.send_message(self.bot.texts("admin.channel_disabled", channel=f"<#{cid}>"),
                                                ephemeral=True)

    # feedback --------------------------------------------------------------------------------------------------
    @feedback.command(name="export", description=T.cmd("feedback", "export"))
    @admin_check
    async def feedback_export(self, interaction: discord.Interaction) -> None:
        text, n = await self.bot.lookup(self.bot.state.feedback_csv, interaction.guild_id)
        t = self.bot.texts
        if n == 0:
            await interaction.response.send_message(t("feedback.export_empty"), ephemeral=True)
            return
        f = discord.File(io.BytesIO(text.encode("utf-8")), filename=f"feedback-{interaction.guild_id}.csv")
        await interaction.response.send_message(t("feedback.export_done", count=n), file=f, ephemeral=True)


def _may_admin(interaction: discord.Interaction) -> bool:
    from bot.checks import is_admin

    try:
        return is_admin(interaction)
    except app_commands.AppCommandError:
        return False


async def setup(bot: AdoptBot) -> None:
    await bot.add_cog(Admin(bot))
