"""Permission checks as decorators (RoboDanny style).

`default_permissions(manage_guild=True)` only hides admin commands by default: a server can override it in its
integration settings, so every admin command also checks at run time, from the permissions Discord resolved for
this interaction (channel overwrites included) and the admin role ids in the settings.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import discord
from discord import app_commands

T = TypeVar("T")


class NotAdmin(app_commands.CheckFailure):
    """The user is neither a server manager nor in an admin role."""


def is_admin(interaction: discord.Interaction) -> bool:
    """True for Manage Server / Administrator, or a member of one of DISCORD_ADMIN_ROLE_IDS."""
    if interaction.guild_id is None:
        raise app_commands.NoPrivateMessage()
    perms = interaction.permissions
    if perms.administrator or perms.manage_guild:
        return True
    admin_roles = set(getattr(interaction.client, "settings", None).admin_role_ids or ())
    roles = {int(r) for r in getattr(interaction.user, "_roles", ())}
    return bool(admin_roles & roles)


def _admin_predicate(interaction: discord.Interaction) -> bool:
    if not is_admin(interaction):
        raise NotAdmin("not an admin")
    return True


# For subcommands of a group that is itself guild-only with default permissions set.
admin_check = app_commands.check(_admin_predicate)


def admin_only() -> Callable[[T], T]:
    """Guild-only, hidden from non-managers by default, and checked again at run time."""

    def decorator(func: Any) -> Any:
        func = app_commands.check(_admin_predicate)(func)
        func = app_commands.guild_only()(func)
        return app_commands.default_permissions(manage_guild=True)(func)

    return decorator
