"""`adoptbot chat`: the bot's answers and rendering in a terminal, so the project works without a Discord token.

Interactive on a terminal; when stdin is a pipe it answers each line and exits at EOF (CI, scripts).
"""

from __future__ import annotations

import argparse
import logging
import re
import sys
from dataclasses import dataclass, field
from typing import TextIO

from bot.render import about_card, not_found, read_with_note, render_answer, render_full, title_for
from bot.service import Answers, ensure_index, resolve_dirs
from bot.texts import Texts, load_texts
from index.conversation import Conversation, context_for
from index.errors import UserError
from index.models import Answer, Quote

log = logging.getLogger(__name__)
DEFAULT_K = 5


_FULL = re.compile(r"^/?full(?:\s+(\S+))?$", re.IGNORECASE)
_TOPIC = re.compile(r"^/topic(?:\s+(.*))?$", re.IGNORECASE)
_AUTHOR = re.compile(r"^/author(?:\s+(.*))?$", re.IGNORECASE)


@dataclass
class ChatSession:
    """One conversation, as in a Discord thread: follow-ups read in context, no quote shown twice, `more` and
    `full N` numbered as the cards show them."""

    answers: Answers
    t: Texts
    kind: str = "ask"
    query: str = ""
    k: int = DEFAULT_K
    next_offset: int = 0
    numbered: dict[int, Quote] = field(default_factory=dict)
    conversation: Conversation = field(default_factory=Conversation)

    def _show(self, kind: str, query: str, answer: Answer, first: int = 1) -> str:
        """Render a page; remember its quotes by the numbers the card gives them."""
        card = render_answer(answer, self.t, first=first, title=title_for(kind, query, self.t, md=False), md=False)
        shown = list(answer.quotes[: card.shown])
        if first == 1:
            self.numbered = {}
        self.numbered.update({first + i: q for i, q in enumerate(shown)})
        self.kind, self.query = kind, query
        self.next_offset = first - 1 + len(shown)
        if kind == "ask":
            self.conversation.record(shown)
        return card.as_text()

    def handle(self, line: str) -> str | None:
        """The reply to one input line; None means quit."""
        line = " ".join(line.split())
        if not line:
            return ""
        low = line.lower()
        t = self.t
        if low in ("quit", "exit", "/quit", "/exit"):
            return None
        if low in ("help", "/help", "?"):
            return t("chat.help")
        if low in ("new", "/new"):
            self.conversation = Conversation()
            self.numbered, self.query = {}, ""
            return t("chat.new")
        if low in ("more", "/more"):
            return self._more()
        if m := _FULL.match(line):
            return self._full(m.group(1))
        if low in ("/about", "about"):
            return about_card(self.answers.about(), t).as_text()
        if low in ("/topics", "topics") or (m := _TOPIC.match(line)) and not m.group(1):
            return self._list([f"{tp.name} ({tp.size})" for tp in self.answers.topics()])
        if low in ("/authors", "authors") or (m := _AUTHOR.match(line)) and not m.group(1):
            return self._list([f"{name} ({n})" for name, n in self.answers.authors()])
        if m := _TOPIC.match(line):
            topic, found = self.answers.find_topic(m.group(1))
            if topic is None:
                return not_found("topic", found, [x.name for x in self.answers.topics()], t, md=False)
            return self._show("topic", topic.name, self.answers.topic(topic.key, k=self.k))
        if m := _AUTHOR.match(line):
            found = self.answers.find_author(m.group(1))
            if found.display is None:
                return not_found("author", found, [a for a, _ in self.answers.authors()], t, md=False)
            return self._show("author", found.display, self.answers.author(found.display, k=self.k))
        earlier = self.conversation.questions()
        answer = self.answers.converse(self.conversation, line, self.k)
        note = read_with_note(context_for(earlier), t, md=False) if self.conversation.turns[-1].in_context else ""
        return (note + "\n\n" if note else "") + self._show("ask", line, answer)

    def _more(self) -> str:
        t = self.t
        if not self.query:
            return t("chat.help")
        if self.kind == "ask":
            ans = self.answers.converse(self.conversation, None, self.k)
        else:
            ans = self.answers.page(self.kind, self.query, self.k, self.next_offset)
        if ans is None or not ans.quotes:
            return t("answer.no_more", question=self.query)
        return self._show(self.kind, self.query, ans, first=self.next_offset + 1)

    def _full(self, arg: str | None) -> str:
        t = self.t
        numbers = sorted(self.numbered)
        if not numbers:
            return t("chat.full_nothing")
        n = int(arg) if arg and arg.isdigit() else (numbers[0] if arg is None else -1)
        if n not in self.numbered:
            return t("chat.full_range", first=numbers[0], last=numbers[-1])
        q = self.numbered[n]
        rec = self.answers.full_text(q.post_id, q.comment_id)
        if rec is None:
            return t("full.gone")
        return "\n\n".join(c.as_text() for c in render_full(rec, t, md=False))

    @staticmethod
    def _list(items: list[str]) -> str:
        return "\n".join(f"- {x}" for x in items)


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
