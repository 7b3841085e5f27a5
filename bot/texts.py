"""Every user-facing sentence, read from prompts/*.toml and checked once at start-up.

A template that names a field the bot does not fill would otherwise fail only when that reply is sent (a broken
reply in front of a user); checking each template against the fields the code passes turns that into a start-up
error naming the file, the key and the field.
"""

from __future__ import annotations

import string
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from index.errors import UserError

# section.key -> the fields the code fills in. Every key must exist in the file; no other field may be named.
REPLY_FIELDS: dict[str, set[str]] = {
    "answer.title": {"question"},
    "answer.corrected": {"corrected"},
    "answer.quote": {"text"},
    "answer.attribution": {"who", "date", "post"},
    "answer.who_named": {"name"},
    "answer.who_anonymous": set(),
    "answer.who_post_author": {"name"},
    "answer.who_post_author_unnamed": set(),
    "answer.date_known": {"date"},
    "answer.date_unknown": set(),
    "answer.post_linked": {"title", "url"},
    "answer.post_plain": {"title"},
    "answer.footer": {"practitioners", "practitioner_noun", "posts", "post_noun", "first", "last"},
    "answer.practitioner_one": set(),
    "answer.practitioner_many": set(),
    "answer.post_one": set(),
    "answer.post_many": set(),
    "answer.nothing": {"question"},
    "answer.no_more": {"question"},
    "answer.cut_mark": {"total"},
    "conversation.read_with": {"questions"},
    "conversation.question": {"question"},
    "conversation.question_separator": set(),
    "conversation.follow_up_here": set(),
    "conversation.follow_up_mention": set(),
    "buttons.more": set(),
    "buttons.full": set(),
    "buttons.up": set(),
    "buttons.down": set(),
    "buttons.pick_quote": set(),
    "buttons.confirm": set(),
    "buttons.cancel": set(),
    "feedback.thanks_up": set(),
    "feedback.ask_why": set(),
    "feedback.reason_wrong_person": set(),
    "feedback.reason_off_topic": set(),
    "feedback.reason_out_of_context": set(),
    "feedback.thanks_down": {"reason"},
    "feedback.export_done": {"count"},
    "feedback.export_empty": set(),
    "full.title": set(),
    "full.header": {"who", "date", "post"},
    "full.page": {"page", "pages"},
    "full.gone": set(),
    "browse.topic_title": {"name"},
    "browse.author_title": {"name"},
    "browse.unknown_topic": {"name", "suggestions"},
    "browse.unknown_author": {"name", "suggestions"},
    "browse.ambiguous_topic": {"name", "suggestions"},
    "browse.ambiguous_author": {"name", "suggestions"},
    "browse.suggestion": {"name"},
    "browse.suggestion_separator": set(),
    "browse.none_yet": set(),
    "browse.about_title": set(),
    "browse.about": {"posts", "comments", "practitioners", "first_date", "last_date", "built_at", "model"},
    "errors.cooldown": {"seconds"},
    "errors.not_admin": set(),
    "errors.guild_only": set(),
    "errors.busy": set(),
    "errors.unavailable": set(),
    "errors.unexpected": set(),
    "errors.user": {"message"},
    "errors.not_yours": set(),
    "errors.expired": set(),
    "admin.progress": {"stage", "done", "total"},
    "admin.started": set(),
    "admin.summary": {"added", "updated", "removed", "unchanged", "chunks", "seconds"},
    "admin.file_warnings": {"file", "count"},
    "admin.no_warnings": set(),
    "admin.too_big": {"mb", "limit"},
    "admin.bad_suffix": {"suffixes"},
    "admin.binary": set(),
    "admin.unreadable": {"reason"},
    "admin.empty": set(),
    "admin.bad_name": {"file"},
    "admin.preview": {"file", "shape", "posts", "comments", "attributed", "warnings"},
    "admin.cancelled": set(),
    "admin.preview_expired": set(),
    "admin.saved": {"file"},
    "admin.exists": {"file"},
    "admin.unknown_file": {"file"},
    "admin.need_file_or_url": set(),
    "admin.url_bad": {"url"},
    "admin.url_not_found": {"url"},
    "admin.url_timeout": {"url", "seconds"},
    "admin.url_too_large": {"url", "limit"},
    "admin.url_not_html": {"url", "reason"},
    "admin.url_private": {"url"},
    "admin.url_no_comments": {"url"},
    "admin.url_failed": {"url", "reason"},
    "admin.removed": {"file", "where"},
    "admin.channel_enabled": {"channel"},
    "admin.channel_disabled": {"channel"},
    "admin.intent_off": set(),
    "chat.go_live": set(),
    "chat.help": set(),
    "chat.prompt": set(),
    "chat.error": {"error"},
    "chat.building": set(),
    "chat.new": set(),
    "chat.full_nothing": set(),
    "chat.full_range": {"first", "last"},
    "startup.no_token": set(),
    "startup.bad_token": set(),
    "startup.malformed_token": set(),
    "startup.no_intent": set(),
}

# Slash-command descriptions: plain text (no fields), at most 100 characters each (Discord's limit).
COMMAND_KEYS: dict[str, set[str]] = {
    "ask": {"description", "question", "count", "private"},
    "topic": {"description", "name"},
    "author": {"description", "name"},
    "about": {"description"},
    "reindex": {"description"},
    "addpost": {"description", "file", "title", "author", "url"},
    "removepost": {"description", "file"},
    "channels": {"description", "enable", "disable", "channel"},
    "feedback": {"description", "export"},
}


# Fields passed as numbers (so a template may use a number format such as {seconds:.0f} or {attributed:.0%}).
NUMERIC = {
    "seconds", "mb", "limit", "attributed", "count", "done", "total", "posts", "comments", "practitioners",
    "added", "updated", "removed", "unchanged", "chunks", "first", "last", "page", "pages",
}


class TemplateError(UserError):
    """A prompts file is missing, unreadable, or names a field the bot does not fill."""


def _fields(template: str) -> set[str]:
    """The field names a format string uses; raises ValueError on a malformed one."""
    names: set[str] = set()
    for _lit, field, spec, _conv in string.Formatter().parse(template):
        if field is None:
            continue
        if field == "" or not field.isidentifier():
            # positional ({}) or attribute/index access ({x.y}, {x[0]}): never allowed in a reply template
            raise ValueError(f"field {{{field}}} is not a plain name")
        names.add(field)
        if spec:
            names |= _fields(spec)
    return names


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise TemplateError(f"prompts file {path} is missing") from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
        raise TemplateError(f"prompts file {path} is not valid TOML: {e}") from None


@dataclass(frozen=True)
class Texts:
    """The checked templates: `t("answer.title", question=...)` formats one."""

    replies: dict[str, str]
    commands: dict[str, dict[str, str]]

    def __call__(self, key: str, **fields: Any) -> str:
        return self.replies[key].format(**fields)

    def raw(self, key: str) -> str:
        return self.replies[key]

    def cmd(self, command: str, key: str = "description") -> str:
        return self.commands[command][key]


def load_texts(prompts_dir: Path | None = None) -> Texts:
    """Read and check prompts/replies.toml and prompts/commands.toml; raise TemplateError on the first problem."""
    if prompts_dir is None:
        from index.settings import paths

        prompts_dir = paths().prompts_dir
    prompts_dir = Path(prompts_dir)
    path = prompts_dir / "replies.toml"
    data = _read_toml(path)
    replies: dict[str, str] = {}
    for key, allowed in REPLY_FIELDS.items():
        section, name = key.split(".")
        value = data.get(section, {}).get(name) if isinstance(data.get(section), dict) else None
        if not isinstance(value, str):
            raise TemplateError(f"{path}: [{section}] {name} is missing (or not a string)")
        try:
            used = _fields(value)
        except ValueError as e:
            raise TemplateError(f"{path}: [{section}] {name}: {e}") from None
        unknown = used - allowed
        if unknown:
            known = ", ".join(sorted(allowed)) or "none"
            raise TemplateError(
                f"{path}: [{section}] {name} names unknown field {{{sorted(unknown)[0]}}} (known fields: {known})"
            )
        try:
            value.format(**{f: (1 if f in NUMERIC else "x") for f in allowed})
        except (ValueError, TypeError, IndexError) as e:
            raise TemplateError(f"{path}: [{section}] {name} cannot be filled in: {e}") from None
        replies[key] = value
    cpath = prompts_dir / "commands.toml"
    cdata = _read_toml(cpath)
    commands: dict[str, dict[str, str]] = {}
    for command, keys in COMMAND_KEYS.items():
        section = cdata.get(command)
        if not isinstance(section, dict):
            raise TemplateError(f"{cpath}: section [{command}] is missing")
        for k in keys:
            v = section.get(k)
            if not isinstance(v, str) or not v.strip():
                raise TemplateError(f"{cpath}: [{command}] {k} is missing (or empty)")
            if len(v) > 100:
                raise TemplateError(f"{cpath}: [{command}] {k} is {len(v)} characters; Discord allows 100")
        commands[command] = {k: section[k] for k in keys}
    return Texts(replies=replies, commands=commands)


@lru_cache(maxsize=1)
def texts() -> Texts:
    """The process-wide checked texts (the cogs read command descriptions from it at import)."""
    return load_texts()
