"""The harness: the real discord.py client logged in against a local REST stand-in, with gateway events injected
as Discord delivers them (`bot._connection.parse_*`), and a fake Answerer with the real contract."""

from __future__ import annotations

import json
import secrets
from pathlib import Path
from typing import Any

import discord
import pytest

from bot.client import AdoptBot
from bot.service import Answers
from bot.state import BotState
from bot.texts import load_texts
from index.settings import DiscordSettings
from tests.bot.discord_standin import (
    APP_ID,
    BOT_ID,
    BOT_USER,
    CHANNEL_ID,
    GOOD_TOKEN,
    GUILD_ID,
    OWNER_ID,
    DiscordStandIn,
    Req,
    iso,
    snowflake,
)
from tests.bot.fakes import FakeAnswerer, FakeBuilder, FakeLookup

USER_ID = 900000000000000040
ADMIN_ROLE = 900000000000000050
PERM_ADMIN = str(discord.Permissions(manage_guild=True, send_messages=True).value)
PERM_MEMBER = str(discord.Permissions(send_messages=True, read_messages=True).value)


def user_payload(uid: int, name: str = "asker") -> dict[str, Any]:
    return {"id": str(uid), "username": name, "discriminator": "0", "avatar": None, "global_name": name}


def channel_payload(cid: int = CHANNEL_ID) -> dict[str, Any]:
    return {"id": str(cid), "type": 0, "guild_id": str(GUILD_ID), "name": "general", "position": 0,
            "permission_overwrites": [], "nsfw": False, "parent_id": None, "topic": None,
            "rate_limit_per_user": 0, "last_message_id": None, "flags": 0}


def guild_payload() -> dict[str, Any]:
    return {
        "id": str(GUILD_ID), "name": "Test server", "unavailable": False, "owner_id": str(OWNER_ID),
        "member_count": 3, "large": False, "features": [], "emojis": [], "stickers": [], "members": [],
        "voice_states": [], "presences": [], "threads": [], "stage_instances": [],
        "guild_scheduled_events": [], "soundboard_sounds": [], "joined_at": iso(), "icon": None,
        "roles": [{"id": str(GUILD_ID), "name": "@everyone", "permissions": PERM_MEMBER, "position": 0,
                   "color": 0, "hoist": False, "managed": False, "mentionable": False, "flags": 0},
                  {"id": str(ADMIN_ROLE), "name": "bot-admins", "permissions": PERM_MEMBER, "position": 1,
                   "color": 0, "hoist": False, "managed": False, "mentionable": False, "flags": 0}],
        "channels": [channel_payload()],
    }


class Harness:
    """Drive the bot as Discord would; read back what it sent."""

    def __init__(self, bot: AdoptBot, api: DiscordStandIn, answerer: FakeAnswerer, builder: FakeBuilder,
                 tmp: Path) -> None:
        self.bot, self.api, self.answerer, self.builder, self.tmp = bot, api, answerer, builder, tmp

    # interactions ----------------------------------------------------------------------------------------------
    def interaction(self, itype: int, data: dict[str, Any], *, user_id: int = USER_ID, admin: bool = False,
                    roles: tuple[int, ...] = (), guild: bool = True, message: dict | None = None,
                    channel_id: int = CHANNEL_ID) -> dict[str, Any]:
        p: dict[str, Any] = {
            "id": snowflake(), "application_id": str(APP_ID), "type": itype,
            "token": "itok_" + secrets.token_urlsafe(24), "version": 1, "data": data, "locale": "en-US",
            "app_permissions": str(discord.Permissions.all().value), "entitlements": [],
            "authorizing_integration_owners": {"0": str(GUILD_ID)}, "attachment_size_limit": 8 * 1024 * 1024,
        }
        if guild:
            p.update(guild_id=str(GUILD_ID), channel_id=str(channel_id), channel=channel_payload(channel_id),
                     guild_locale="en-US", context=0,
                     member={"user": user_payload(user_id), "roles": [str(r) for r in roles],
                             "permissions": PERM_ADMIN if admin else PERM_MEMBER, "joined_at": iso(), "deaf": False,
                             "mute": False, "flags": 0})
        else:
            dm = 900000000000000099
            p.update(channel_id=str(dm), channel={"id": str(dm), "type": 1, "recipients": [user_payload(user_id)]},
                     user=user_payload(user_id), context=1)
        if message is not None:
            p["message"] = message
        self.bot._connection.parse_interaction_create(p)
        return p

    def slash(self, name: str, options: dict[str, Any] | None = None, *, sub: str | None = None,
              resolved: dict | None = None, types: dict[str, int] | None = None, **kw: Any) -> dict[str, Any]:
        types = types or {}
        opts = [{"name": k, "type": types.get(k, 4 if isinstance(v, int) and not isinstance(v, bool)
                                             else 5 if isinstance(v, bool) else 3), "value": v}
                for k, v in (options or {}).items()]
        if sub:
            opts = [{"name": sub, "type": 1, "options": opts}]
        data: dict[str, Any] = {"id": snowflake(), "name": name, "type": 1, "options": opts}
        if resolved:
            data["resolved"] = resolved
        return self.interaction(2, data, **kw)

    def autocomplete(self, name: str, option: str, value: str, **kw: Any) -> dict[str, Any]:
        data = {"id": snowflake(), "name": name, "type": 1,
                "options": [{"name": option, "type": 3, "value": value, "focused": True}]}
        return self.interaction(4, data, **kw)

    def click(self, message: dict[str, Any], custom_id: str, values: list[str] | None = None,
              **kw: Any) -> dict[str, Any]:
        data: dict[str, Any] = {"custom_id": custom_id, "component_type": 3 if values is not None else 2}
        if values is not None:
            data["values"] = values
        return self.interaction(3, data, message=message, **kw)

    async def callback(self, p: dict[str, Any], timeout: float = 10) -> Req:
        return (await self.api.wait_for("POST", f"/interactions/{p['id']}/{p['token']}/callback",
                                        timeout=timeout))[0]

    async def followups(self, p: dict[str, Any], n: int = 1, timeout: float = 10) -> list[Req]:
        return await self.api.wait_for("POST", f"/webhooks/{APP_ID}/{p['token']}$", n, timeout=timeout)

    def edits(self, p: dict[str, Any]) -> list[Req]:
        return self.api.find("PATCH", f"/webhooks/{APP_ID}/{p['token']}/messages/@original")

    # messages --------------------------------------------------------------------------------------------------
    def say(self, content: str, *, channel_id: int = CHANNEL_ID, mention: bool = False, user_id: int = USER_ID,
            bot_author: bool = False) -> dict[str, Any]:
        author = BOT_USER if bot_author else user_payload(user_id)
        if mention:
            content = f"<@{BOT_ID}> {content}"
        p = {"id": snowflake(), "channel_id": str(channel_id), "guild_id": str(GUILD_ID), "author": author,
             "member": {"roles": [], "joined_at": iso(), "deaf": False, "mute": False, "flags": 0},
             "content": content, "mentions": [{**BOT_USER, "member": {"roles": [], "joined_at": iso()}}]
             if mention else [], "mention_roles": [], "mention_everyone": False, "attachments": [], "embeds": [],
             "pinned": False, "tts": False, "timestamp": iso(), "edited_timestamp": None, "type": 0, "flags": 0,
             "components": []}
        self.bot._connection.parse_message_create(p)
        return p

    async def restart(self) -> None:
        """Stop the bot and start a new process's worth of it on the same data folder (SQLite state, corpus)."""
        old = self.bot
        await old.close()
        data = self.tmp / "data"
        bot = AdoptBot(settings=old.settings, answers=Answers(FakeLookup(self.answerer), corpus_dir=self.tmp / "corpus",
                                                              db_dir=data, builder=self.builder),
                       state=BotState(data / "bot.sqlite3"), texts=old.texts, data_dir=data, progress_every_s=0.02)
        await bot.login(GOOD_TOKEN)
        bot._connection.parse_guild_create(guild_payload())
        self.bot = bot

    def thread_created(self, thread: dict[str, Any]) -> None:
        """THREAD_CREATE as the gateway sends it after the bot opened a thread."""
        self.bot._connection.parse_thread_create({**thread, "newly_created": True})


def custom_ids(payload: dict[str, Any]) -> list[str]:
    return [c["custom_id"] for row in payload.get("components", []) for c in row["components"] if "custom_id" in c]


def all_text(payload: dict[str, Any]) -> str:
    parts = [payload.get("content") or ""]
    for e in payload.get("embeds") or []:
        parts += [e.get("title") or "", e.get("description") or "", (e.get("footer") or {}).get("text") or ""]
    return "\n".join(parts)


@pytest.fixture
def settings_kw() -> dict[str, Any]:
    return {"ask_cooldown_s": 0.0, "reindex_cooldown_s": 0.0, "message_content": True,
            "admin_role_ids": [ADMIN_ROLE], "dev_guild_id": None}


@pytest.fixture
async def api():
    standin = DiscordStandIn()
    await standin.start()
    yield standin
    await standin.stop()


@pytest.fixture
async def harness(api: DiscordStandIn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, settings_kw: dict):
    monkeypatch.setattr(discord.http.Route, "BASE", api.base)
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for i in range(2):
        (corpus / f"00{i}_page.txt").write_text(f"page {i}\n")
    data = tmp_path / "data"
    answerer = FakeAnswerer()
    builder = FakeBuilder()
    answers = Answers(FakeLookup(answerer), corpus_dir=corpus, db_dir=data, builder=builder)
    settings = DiscordSettings(token=GOOD_TOKEN, **settings_kw)
    bot = AdoptBot(settings=settings, answers=answers, state=BotState(data / "bot.sqlite3"), texts=load_texts(),
                   data_dir=data, progress_every_s=0.02)
    await bot.login(GOOD_TOKEN)
    bot._connection.parse_guild_create(guild_payload())
    h = Harness(bot, api, answerer, builder, tmp_path)
    yield h
    await h.bot.close()  # the bot of the last restart


def dump(req: Req) -> str:
    return json.dumps(req.json, indent=1)[:3000]
