"""`adoptbot ask | topics | topic | author`: the look-ups on the command line, for people and for scorers.

Plain text is rendered by the same presentation layer as Discord and the chat (bot/render.py, texts from
prompts/), so an answer reads the same everywhere; --json gives the Answer as data. `ask -` answers one question per
stdin line, flushed as it goes (plain text, or with --json one JSON object per stdout line), so a batch pays the
model load once and a driver can stream.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from index.errors import UserError
from index.models import Answer
from index.settings import RetrievalSettings, paths


def _open(args: argparse.Namespace) -> Any:
    from index.lookup import Lookup

    return Lookup.open(Path(args.db) if getattr(args, "db", None) else paths().data_dir)


def _texts() -> Any:
    from bot.texts import load_texts

    return load_texts()


def _text(answer: Answer, kind: str = "ask", query: str = "") -> str:
    """Every quote of the answer, as the chat shows them (paged into as many cards as the quotes need)."""
    from bot.render import render_pages, title_for

    t = _texts()
    return "\n\n".join(c.as_text() for c in render_pages(answer, t, title=title_for(kind, query, t, md=False),
                                                          md=False))


def _print(answer: Answer, as_json: bool, kind: str = "ask", query: str = "") -> None:
    print(json.dumps(answer.to_json(), ensure_ascii=False) if as_json else _text(answer, kind, query))


def cmd_ask(args: argparse.Namespace) -> int:
    """Answer a question, or with `-` one question per stdin line (JSON Lines out when --json)."""
    settings = RetrievalSettings()
    mode = args.mode or settings.mode
    k = args.k if args.k is not None else settings.k
    if k < 1:
        raise UserError(f"-k must be at least 1 (got {k})")
    batch = args.question == ["-"]
    lookup = _open(args)
    questions = (line.rstrip("\n") for line in sys.stdin) if batch else iter([" ".join(args.question)])
    for question in questions:  # a blank line still gets its (unanswered) line, so output lines pair with input
        answer = lookup.ask(question, k, mode=mode)
        if args.json:
            sys.stdout.write(json.dumps(answer.to_json(), ensure_ascii=False) + "\n")
        else:
            sys.stdout.write(_text(answer) + ("\n\n" if batch else "\n"))
        sys.stdout.flush()
    return 0


def cmd_topics(args: argparse.Namespace) -> int:
    """List the derived topics (after the admins' overrides), largest first."""
    topics = _open(args).topics()
    if args.json:
        print(json.dumps([t.to_json() for t in topics], ensure_ascii=False))
        return 0
    width = max((len(t.name) for t in topics), default=10)
    for t in topics:
        print(f"{t.name.ljust(width)}  {t.size:>5}  {t.key}")
    return 0


def cmd_topic(args: argparse.Namespace) -> int:
    """What practitioners said on one topic; a name that fits none or several is a one-line error saying so."""
    from bot.render import not_found

    lookup = _open(args)
    topic, found = lookup.find_topic(" ".join(args.name))
    if topic is None:
        raise UserError(not_found("topic", found, [t.name for t in lookup.topics()], _texts(), md=False))
    _print(lookup.topic(topic.key), args.json, "topic", topic.name)
    return 0


def cmd_author(args: argparse.Namespace) -> int:
    """Every post and comment of one person, across posts; found as Discord and the chat find them."""
    from bot.render import not_found

    lookup = _open(args)
    found = lookup.find_author(" ".join(args.name))
    if found.display is None:
        raise UserError(not_found("author", found, [n for n, _ in lookup.authors()], _texts(), md=False))
    _print(lookup.author(found.display), args.json, "author", found.display)
    return 0
