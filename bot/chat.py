"""`adoptbot chat`: the bot's answers and rendering in a terminal, so the project works without a Discord token.

Interactive on a terminal; when stdin is a pipe it answers each line and exits at EOF (CI, scripts).
"""

from __future__ import annotations

import argparse
import logging
import sys
from dataclasses import dataclass, field
from typing import TextIO

from bot.render import Card, render_answer, render_full
from bot.service import Answers, ensure_index, resolve_dirs
from bot.texts import Texts, load_texts
from index.errors import UserError
from index.models import Answer, Quote

log = logging.getLogger(__name__)
DEFAULT_K = 5


@dataclass
class ChatSession:
    """One conversation: the last answer, so `more` and `full N` work as the Discord buttons do."""

    answers: Answers
    t: Texts
    kind: str = "ask"
    query: str = ""
    k: int = DEFAULT_K
    next_offset: int = 0
    shown: list[Quote] = field(default_factory=list)

    def _answer(self, kind: str, query: str, answer: Answer, first: int = 1, title: str | None = None) -> str:
        card = render_answer(answer, self.t, first=first, title=title, md=False)
        self.kind, self.query = kind, query
        self.shown = list(answer.quotes[: card.shown])
        self.next_offset = first - 1 + card.shown
        return card.as_text()

    def handle(self, line: str) -> str | None:
        """The reply to one input line; None means quit."""
        line = line.strip()
        if not line:
            return ""
        low = line.lower()
        t = self.t
        if low in ("quit", "exit", "/quit", "/exit"):
            return None
        if low in ("help", "/help", "?"):
            return t("chat.help")
        if low in ("more", "/more"):
            if not self.query:
                return t("chat.help")
            ans = self.answers.page(self.kind, self.query, self.k, self.next_offset)
            if not ans.quotes:
                return t("answer.no_more", question=self.query)
            return self._answer(self.kind, self.query, ans, first=self.next_offset + 1,
                                title=self._title(self.kind, self.query))
        if low.startswith(("full", "/full")):
            arg = line.split(maxsplit=1)[1] if " " in line else "1"
            if not arg.strip().isdigit() or not (1 <= int(arg) <= len(self.shown)):
                return t("errors.user", message=f"full N: N is a quote number shown above (1-{len(self.shown)})")
            q = self.shown[int(arg) - 1]
            rec = self.answers.full_text(q.post_id, q.comment_id)
            if rec is None:
                return t("full.gone")
            return "\n\n".join(c.as_text() for c in render_full(rec, t, md=False))
        if low in ("/about", "about"):
            return _about_card(self.answers.about(), t).as_text()
        if low in ("/topics", "topics"):
            return "\n".join(f"- {tp.name} ({tp.size})" for tp in self.answers.topics())
        if low.startswith("/topic "):
            name = line.split(maxsplit=1)[1]
            tp = self.answers.find_topic(name)
            if tp is None:
                return t("browse.unknown_topic", name=name,
                         suggestions=", ".join(x.name for x in self.answers.topics()[:5]))
            return self._answer("topic", tp.name, self.answers.topic(tp.name, k=self.k),
                                title=self._title("topic", tp.name))
        if low.startswith("/author "):
            name = line.split(maxsplit=1)[1]
            who = self.answers.find_author(name)
            if who is None:
                return t("browse.unknown_author", name=name,
                         suggestions=", ".join(a for a, _ in self.answers.authors()[:5]))
            return self._answer("author", who, self.answers.author(who, k=self.k), title=self._title("author", who))
        return self._answer("ask", line, self.answers.ask(line, k=self.k))

    def _title(self, kind: str, query: str) -> str | None:
        if kind == "topic":
            return self.t("browse.topic_title", name=query)
        if kind == "author":
            return self.t("browse.author_title", name=query)
        return None


def _about_card(about: dict, t: Texts) -> Card:
    keys = ("posts", "comments", "practitioners", "first_date", "last_date", "built_at", "model")
    fields = {k: "?" if about.get(k) is None else about[k] for k in keys}
    return Card(title=t("browse.about_title"), description=t("browse.about", **fields))


def open_session(args: argparse.Namespace, t: Texts, err: TextIO) -> ChatSession:
    corpus, db = resolve_dirs(args)
    ensure_index(corpus, db, say=lambda _m: print(t("chat.building"), file=err, flush=True))
    return ChatSession(answers=Answers.open(corpus, db), t=t)


def run_chat(session: ChatSession, inp: TextIO, out: TextIO, err: TextIO, interactive: bool) -> int:
    """The read-answer loop; errors a user can act on are shown and the loop goes on."""
    t = session.t
    print(t("chat.go_live"), file=err, flush=True)
    if interactive:
        print(t("chat.help"), file=err, flush=True)
    while True:
        if interactive:
            out.write(t("chat.prompt"))
            out.flush()
        line = inp.readline()
        if not line:
            break
        try:
            reply = session.handle(line)
        except UserError as e:
            reply = t("chat.error", error=str(e))
        if reply is None:
            break
        if reply:
            print(reply + "\n", file=out, flush=True)
    return 0


def cmd_chat(args: argparse.Namespace) -> int:
    """Ask once (question words on the command line) or converse on stdin."""
    t = load_texts()
    session = open_session(args, t, sys.stderr)
    if args.question:
        print(t("chat.go_live"), file=sys.stderr)
        reply = session.handle(" ".join(args.question))
        print(reply or "")
        return 0
    return run_chat(session, sys.stdin, sys.stdout, sys.stderr, interactive=sys.stdin.isatty())
