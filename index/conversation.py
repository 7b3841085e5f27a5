"""Conversations: a follow-up ("and for nonprofits?") read in the context of the questions before it.

A thread starts with a question; later messages in it are follow-ups. A follow-up that refers back (it is short,
opens with "and", "what about", "but", or points back with "it", "that", "those") is retrieved together with the
thread's earlier questions; one that stands on its own is retrieved alone. Either way, quotes already shown in the
thread are not shown again, and "more" continues the latest question where the thread stands. The Discord bot
keeps a thread's turns in SQLite and the terminal chat in memory; both read them through this module, so a
conversation behaves the same in both.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from index.models import Answer, Quote
from index.names import name_key
from index.text import STOPWORDS

if TYPE_CHECKING:
    from index.lookup import Lookup

RecKey = tuple[str, "str | None"]

# Openings that continue the conversation rather than start a new one.
_CONTINUES = re.compile(
    r"^\s*(?:and|but|also|so|or|plus|then|ok(?:ay)?|what about|how about|what if|same|as for|as to|"
    r"regarding|re|for|in|on|with|without|any|anything|more)\b",
    re.IGNORECASE,
)
# Words that point back at something said before.
_POINTS_BACK = frozenset({"it", "that", "this", "they", "them", "those", "these", "there", "same",
                          "such", "else", "instead", "too", "either", "one", "ones"})
_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9'’\-]*")
# A follow-up with this many content words or fewer cannot stand alone ("any numbers?", "legal side?").
SHORT_CONTENT_WORDS = 3
# A follow-up pointing back ("is that legal for banks?") and still fairly short reads with the thread too.
POINTING_CONTENT_WORDS = 5
# How many earlier questions weigh in: the thread's first question (its subject) and the latest ones.
CONTEXT_TURNS = 2
# Fusing the follow-up's two readings: reciprocal-rank constant (small lists: rank differences should count) and
# how many quotes beyond the page each reading contributes.
FUSE_K = 10
FUSE_MARGIN = 5


def content_words(text: str) -> list[str]:
    return [w for w in (m.lower() for m in _WORD.findall(text or "")) if w not in STOPWORDS and len(w) > 1]


def refers_back(question: str) -> bool:
    """Whether a follow-up needs the questions before it to be understood."""
    words = [w.lower() for w in _WORD.findall(question or "")]
    if not words:
        return False
    if _CONTINUES.match(question):
        return True
    n = len(content_words(question))
    # a possessive ("their own names") points inside the question: not counted; a long question stands alone
    return n <= SHORT_CONTENT_WORDS or (n <= POINTING_CONTENT_WORDS and any(w in _POINTS_BACK for w in words))


def context_for(earlier: Sequence[str]) -> list[str]:
    """The earlier questions that weigh in: the first (the thread's subject) and the latest ones."""
    qs = [q for q in earlier if q and q.strip()]
    if len(qs) <= CONTEXT_TURNS:
        return qs
    return [qs[0], *qs[-(CONTEXT_TURNS - 1):]] if CONTEXT_TURNS > 1 else [qs[0]]


def compose_query(question: str, context: Sequence[str]) -> str:
    """The text retrieved for a question in a conversation: the question alone when it stands on its own, else the
    question first, then the earlier questions' content words (so the follow-up's own words lead)."""
    question = " ".join((question or "").split())
    if not context or not refers_back(question):
        return question
    seen = set(content_words(question))
    extra: list[str] = []
    for q in context_for(context):
        for w in content_words(q):
            if w not in seen:
                seen.add(w)
                extra.append(w)
    return f"{question} {' '.join(extra)}".strip() if extra else question


def read_in_context(ask: Callable[..., Answer], question: str, context: Sequence[str], k: int, *, offset: int = 0,
                    exclude: Collection[RecKey] = (), max_per_author: int = 2) -> Answer:
    """A follow-up read two ways and fused: alone (its own words: "nonprofits") and with the thread's questions
    (its subject: proving ROI). Records both readings find come first, then the two rankings alternate by reciprocal
    rank. One reading alone would either lose the thread ("any numbers?" means nothing by itself) or drown the
    follow-up's new word under the thread's several. On-topic when either reading is; a quote keeps the cut of the
    follow-up's own reading when it has one (it centres on what was just asked). `ask` is Answerer.ask."""
    question = " ".join((question or "").split())
    composed = compose_query(question, context)
    if composed == question:
        return ask(question, k, offset=offset, exclude=exclude)
    n = offset + k + FUSE_MARGIN
    alone = ask(question, n, exclude=exclude)
    within = ask(composed, n, exclude=exclude)
    score: dict[RecKey, float] = {}
    quote: dict[RecKey, Quote] = {}
    for answer in (within, alone):  # alone last: its cut wins for a record both found
        if not answer.answered:
            continue
        for rank, q in enumerate(answer.quotes, 1):
            key = (q.post_id, q.comment_id)
            score[key] = score.get(key, 0.0) + 1.0 / (FUSE_K + rank)
            quote[key] = q
    ranked = sorted(score, key=lambda key: -score[key])
    per: dict[str, int] = {}
    fused: list[Quote] = []
    for key in ranked:  # the per-person cap each reading applied, applied again to the fused list
        who = name_key(quote[key].author) or f"anon:{key}"
        if per.get(who, 0) < max_per_author:
            per[who] = per.get(who, 0) + 1
            fused.append(quote[key])
    quotes = fused[offset: offset + k]
    timings = {"total": within.timings_ms.get("total", 0.0) + alone.timings_ms.get("total", 0.0)}
    return Answer(question=question, answered=bool(quotes) or (offset > 0 and (within.answered or alone.answered)),
                  quotes=quotes, mode=within.mode, timings_ms=timings)


@dataclass
class Turn:
    """One question of a conversation and the records shown for it (every page of it)."""

    question: str
    in_context: bool = False
    shown: list[RecKey] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"question": self.question, "in_context": self.in_context, "shown": [list(k) for k in self.shown]}

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Turn:
        return cls(question=str(d.get("question", "")), in_context=bool(d.get("in_context")),
                   shown=[(str(p), c if c is None else str(c)) for p, c in d.get("shown", [])])


@dataclass
class Conversation:
    """The turns of one thread (or one chat session), oldest first."""

    turns: list[Turn] = field(default_factory=list)

    def shown(self) -> set[RecKey]:
        return {k for t in self.turns for k in t.shown}

    def questions(self) -> list[str]:
        return [t.question for t in self.turns]

    def ask(self, lookup: Lookup, question: str, k: int = 5) -> Answer:
        """Answer a new question of the conversation; the caller `record`s the quotes it actually showed."""
        context = self.questions()
        turn = Turn(question=" ".join(question.split()), in_context=bool(context) and refers_back(question))
        answer = lookup.ask(turn.question, k, exclude=self.shown(), context=context)
        self.turns.append(turn)
        return answer

    def more(self, lookup: Lookup, k: int = 5, turn: int | None = None) -> Answer | None:
        """The next quotes for a question of the conversation (the latest by default), none already shown in the
        conversation (None: no such question); the caller `record`s the quotes it showed, for that turn."""
        if not self.turns:
            return None
        i = len(self.turns) - 1 if turn is None else turn
        if not 0 <= i < len(self.turns):
            return None
        return lookup.ask(self.turns[i].question, k, exclude=self.shown(), context=self.questions()[:i])

    def record(self, quotes: Iterable[Any], turn: int | None = None) -> None:
        """Remember quotes as shown for a turn (the latest by default): only those a reply showed (a card may fit
        fewer than were fetched; the rest stay available to "more")."""
        if self.turns:
            i = len(self.turns) - 1 if turn is None else turn
            self.turns[i].shown.extend((q.post_id, q.comment_id) for q in quotes)

    def to_json(self) -> list[dict[str, Any]]:
        return [t.to_json() for t in self.turns]

    @classmethod
    def from_json(cls, rows: Iterable[dict[str, Any]]) -> Conversation:
        return cls([Turn.from_json(r) for r in rows])
