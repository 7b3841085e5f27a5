"""`adoptbot ask | topics | topic | author`: the answers on the command line, for people and for scorers.

`ask -` answers one question per stdin line, flushed as it goes (plain text, or with --json one JSON object per
stdout line), so a batch pays the model load once and a driver can stream. Plain-text output reuses the sentences
in prompts/replies.toml (index/ cannot import the bot's renderer, so this reads the same file directly).
"""

from __future__ import annotations

import argparse
import json
import sys
import tomllib
from functools import lru_cache
from pathlib import Path
from typing import Any

from index.errors import UserError
from index.models import Answer
from index.settings import RetrievalSettings, paths

_FALLBACK = {
    "nothing": "The corpus has nothing on “{question}”. Try other words, or browse with /topic.",
    "unknown_topic": "There is no topic “{name}”. Pick one from the list, for example: {suggestions}.",
    "unknown_author": "Nobody named “{name}” commented in the corpus. Pick a name from the list, for example: "
    "{suggestions}.",
    "ambiguous_topic": "“{name}” matches several topics: {suggestions}. Which one?",
    "ambiguous_author": "“{name}” matches several people: {suggestions}. Which one?",
}


@lru_cache(maxsize=1)
def _replies() -> dict[str, Any]:
    try:
        return tomllib.loads((paths().prompts_dir / "replies.toml").read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        return {}


def _say(section: str, key: str, **fields: Any) -> str:
    tpl = _replies().get(section, {}).get(key) or _FALLBACK[key]
    try:
        return tpl.format(**fields)
    except (KeyError, IndexError, ValueError):
        return _FALLBACK[key].format(**fields)


def _db(args: argparse.Namespace) -> Path:
    return Path(args.db) if getattr(args, "db", None) else paths().data_dir


def _open(args: argparse.Namespace) -> Any:
    from index.lookup import Lookup

    return Lookup.open(_db(args))


def _text(answer: Answer) -> str:
    """An answer as plain text: each quote, then who said it, when and where; a footer with the counts."""
    if not answer.answered or not answer.quotes:
        return _say("answer", "nothing", question=answer.question)
    lines = [answer.question, ""]
    for i, q in enumerate(answer.quotes, 1):
        who = q.author or ("the post author" if q.kind == "post" else "a commenter")
        if q.kind == "post" and q.author:
            who += ", post author"
        lines.append(f"{i}. “{' '.join(q.text.split())}”")
        lines.append(f"   — {who}, {q.date or 'undated'}, on “{q.post_title}”")
    p, n = answer.practitioners, answer.posts
    lines.append("")
    lines.append(f"From {p} practitioner{'s' * (p != 1)} in {n} post{'s' * (n != 1)}.")
    return "\n".join(lines)


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
    """What practitioners said on one topic; an unknown name is a one-line error with suggestions."""
    name = " ".join(args.name)
    lookup = _open(args)
    topic, found = lookup.find_topic(name)
    if topic is None:
        _not_found("topic", name, found.candidates or [t.name for t in lookup.topics()[:3]], found.ambiguous)
    answer = lookup.topic(topic.key)
    print(json.dumps(answer.to_json(), ensure_ascii=False) if args.json else _text(answer))
    return 0


def cmd_author(args: argparse.Namespace) -> int:
    """Every comment of one person, across posts; an unknown name is a one-line error with suggestions."""
    name = " ".join(args.name)
    lookup = _open(args)
    found = lookup.find_author(name)
    if found.key is None:
        _not_found("author", name, found.candidates or [n for n, _ in lookup.authors()[:3]], found.ambiguous)
    answer = lookup.author(found.display or name)
    print(json.dumps(answer.to_json(), ensure_ascii=False) if args.json else _text(answer))
    return 0


def _not_found(kind: str, name: str, names: Any, ambiguous: bool) -> None:
    """One line: the name is unknown (with examples) or could mean several (which are listed)."""
    suggestions = "; ".join(f"“{n}”" for n in list(names)[:5]) or "(none yet)"
    raise UserError(_say("browse", f"{'ambiguous' if ambiguous else 'unknown'}_{kind}", name=name,
                         suggestions=suggestions))
