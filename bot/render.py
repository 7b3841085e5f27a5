"""Answers as cards (title, description, footer) that fit Discord's limits by construction.

Pure functions with no discord import: the Discord cogs turn a Card into an embed, the terminal chat prints it, so
both show the same layout. Quotes are cut (the whole comment stays one button away) or left for the next page,
never rejected; markdown inside quotes is escaped so a quote renders as the words the person wrote.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import quote as urlquote

from bot.texts import Texts
from index.models import Answer, Quote, Record
from index.names import Resolved

# Discord's documented limits (https://discord.com/developers/docs/resources/message#embed-object-embed-limits).
CONTENT_MAX = 2000
TITLE_MAX = 256
DESCRIPTION_MAX = 4096
FOOTER_MAX = 2048
EMBED_TOTAL_MAX = 6000
FIELD_VALUE_MAX = 1024
FIELDS_MAX = 25
CHOICES_MAX = 25
CHOICE_NAME_MAX = 100
# A quote longer than this is cut: answers stay readable and "Full comment" shows the rest.
QUOTE_MAX = 900
# Head-room under DESCRIPTION_MAX so that a template edit adding a few words cannot push a reply over.
DESCRIPTION_BUDGET = DESCRIPTION_MAX - 96

_MD = re.compile(r"([\\*_~`|\[\]<>#])")
_LINE_START = re.compile(r"^(\s*)([-+]|\d+\.)(?=\s)", re.M)


def escape_markdown(text: str) -> str:
    """Backslash-escape Discord markdown (and mention syntax) so quoted text shows exactly as written."""
    text = _MD.sub(r"\\\1", text)
    # list markers at a line start would turn a quote into a list
    return _LINE_START.sub(lambda m: m.group(1) + "\\" + m.group(2), text)


def clip(text: str, limit: int, mark: str = " …") -> str:
    """Cut text to at most `limit` characters, at a word boundary when one is near, with a visible mark."""
    if len(text) <= limit:
        return text
    if limit <= len(mark):
        return text[:limit]
    cut = text[: limit - len(mark)]
    space = cut.rfind(" ")
    if space > len(cut) * 0.6:
        cut = cut[:space]
    return cut.rstrip() + mark


@dataclass
class Card:
    """One embed's worth of reply; `shown` is how many quotes of the answer it carries."""

    title: str
    description: str
    footer: str = ""
    url: str | None = None
    shown: int = 0

    def total(self) -> int:
        return len(self.title) + len(self.description) + len(self.footer)

    def as_text(self) -> str:
        """The terminal form: the same lines the embed shows."""
        parts = [self.title, "", self.description]
        if self.footer:
            parts += ["", self.footer]
        return "\n".join(parts)


def _safe_url(url: str | None) -> str | None:
    if not url or not re.match(r"^https?://", url):
        return None
    return urlquote(url, safe=":/?#&=%@!$'*+,;~.-_")  # no spaces, parentheses or angle brackets survive


def _who(author: str | None, kind: str, t: Texts, md: bool) -> str:
    name = escape_markdown(author) if (author and md) else author
    if kind == "post":
        return t("answer.who_post_author", name=name) if name else t("answer.who_post_author_unnamed")
    return t("answer.who_named", name=name) if name else t("answer.who_anonymous")


def _post(title: str, url: str | None, t: Texts, md: bool) -> str:
    title = clip(title or "untitled", 150)
    if md:
        title = escape_markdown(title)
    safe = _safe_url(url)
    return t("answer.post_linked", title=title, url=safe) if safe else t("answer.post_plain", title=title)


def attribution(author: str | None, date: str | None, kind: str, title: str, url: str | None, t: Texts,
                md: bool = True, key: str = "answer.attribution") -> str:
    """The line under a quote: who, when, which post."""
    when = t("answer.date_known", date=date[:10]) if date else t("answer.date_unknown")
    return t(key, who=_who(author, kind, t, md), date=when, post=_post(title, url, t, md))


def block_quote(text: str, md: bool = True) -> str:
    """Every line prefixed with '> ', so multi-paragraph quotes stay one block."""
    body = escape_markdown(text) if md else text
    return "\n".join("> " + line if line.strip() else ">" for line in body.strip().splitlines())


def _quote_block(q: Quote, t: Texts, md: bool, limit: int) -> str:
    text = clip(q.text.strip(), limit, t("answer.cut_mark", total=max(0, len(q.text) - limit)))
    quote = t("answer.quote", text=block_quote(text, md))
    return quote + "\n" + attribution(q.author, q.date, q.kind, q.post_title, q.post_url, t, md)


def render_answer(answer: Answer, t: Texts, *, first: int = 1, title: str | None = None, md: bool = True) -> Card:
    """As many of the answer's quotes as fit one card (at least one, cut if need be); `first` numbers them."""
    # the question is the user's text: escaped where markdown renders, so it shows as typed and never as a link,
    # a heading or a mention
    question = escape_markdown(answer.question) if md else answer.question
    head = clip(title if title is not None else t("answer.title", question=question), TITLE_MAX)
    if not answer.answered or not answer.quotes:
        return Card(title=head, description=clip(t("answer.nothing", question=question), DESCRIPTION_BUDGET))
    blocks: list[str] = []
    used = 0
    for q in answer.quotes:
        block = _quote_block(q, t, md, QUOTE_MAX)
        extra = len(block) + (2 if blocks else 0)
        if used + extra > DESCRIPTION_BUDGET:
            if blocks:
                break
            # a single very long attribution/quote: shrink the quote until the block fits
            limit = QUOTE_MAX
            while len(block) > DESCRIPTION_BUDGET and limit > 20:
                limit //= 2
                block = _quote_block(q, t, md, limit)
            block = clip(block, DESCRIPTION_BUDGET)
            extra = len(block)
        blocks.append(block)
        used += extra
    shown = answer.quotes[: len(blocks)]
    if answer.corrected and first == 1:
        note = t("answer.corrected", corrected=escape_markdown(answer.corrected) if md else answer.corrected)
        if used + len(note) + 2 <= DESCRIPTION_BUDGET:
            blocks.insert(0, note)
    sub = Answer(question=answer.question, answered=True, quotes=list(shown))
    footer = t(
        "answer.footer",
        practitioners=sub.practitioners,
        practitioner_noun=t("answer.practitioner_one" if sub.practitioners == 1 else "answer.practitioner_many"),
        posts=sub.posts,
        post_noun=t("answer.post_one" if sub.posts == 1 else "answer.post_many"),
        first=first,
        last=first + len(shown) - 1,
    )
    return Card(title=head, description="\n\n".join(blocks), footer=clip(footer, FOOTER_MAX), shown=len(shown))


def title_for(kind: str, query: str, t: Texts, md: bool = True) -> str | None:
    """The title of a topic or person page (None: an answer's title names its question)."""
    name = escape_markdown(query) if md else query  # a commenter chose this name: shown as written, never as markdown
    if kind == "topic":
        return t("browse.topic_title", name=name)
    if kind == "author":
        return t("browse.author_title", name=name)
    return None


def suggestion_list(names: Sequence[str], t: Texts, md: bool = True, limit: int = 5) -> str:
    """Names to pick from, each quoted (a topic name may hold commas), at most `limit`."""
    items = [t("browse.suggestion", name=escape_markdown(clip(n, 100)) if md else clip(n, 100)) for n in names[:limit]]
    return t("browse.suggestion_separator").join(items) or t("browse.none_yet")


def not_found(kind: str, found: Resolved, examples: Sequence[str], t: Texts, md: bool = True) -> str:
    """Why a typed topic or person name found nothing: it fits several (listed), or none (close names or examples)."""
    name = clip(found.query, 100)
    name = escape_markdown(name) if md else name
    if found.ambiguous:
        return t(f"browse.ambiguous_{kind}", name=name, suggestions=suggestion_list(found.candidates, t, md))
    return t(f"browse.unknown_{kind}", name=name, suggestions=suggestion_list(found.candidates or examples, t, md))


def read_with_note(questions: Sequence[str], t: Texts, md: bool = True) -> str:
    """The line above a follow-up's answer naming the earlier questions it was read with ("" when read alone)."""
    if not questions:
        return ""
    quoted = [t("conversation.question", question=escape_markdown(clip(q, 200)) if md else clip(q, 200))
              for q in questions]
    return t("conversation.read_with", questions=t("conversation.question_separator").join(quoted))


ABOUT_FIELDS = ("posts", "comments", "practitioners", "first_date", "last_date", "built_at", "model")


def about_card(about: dict, t: Texts) -> Card:
    """What the corpus holds: counts and dates, "?" for what the index does not know."""
    fields = {k: "?" if about.get(k) is None else about[k] for k in ABOUT_FIELDS}
    for k in ("posts", "comments", "practitioners"):
        if not isinstance(fields[k], int):
            fields[k] = 0
    return Card(title=clip(t("browse.about_title"), TITLE_MAX), description=clip(t("browse.about", **fields),
                                                                                 DESCRIPTION_BUDGET))


def render_pages(answer: Answer, t: Texts, *, title: str | None = None, md: bool = True) -> list[Card]:
    """Every quote of an answer, in as many cards as they need (numbered on): the CLI's text output."""
    cards = [render_answer(answer, t, title=title, md=md)]
    done = cards[0].shown
    while answer.answered and done < len(answer.quotes):
        rest = Answer(question=answer.question, answered=True, quotes=list(answer.quotes[done:]), mode=answer.mode)
        card = render_answer(rest, t, first=done + 1, title=title, md=md)
        cards.append(card)
        done += max(1, card.shown)
    return cards


def split_text(text: str, limit: int) -> list[str]:
    """Pieces of at most `limit` characters, split at paragraph, line or word boundaries where possible."""
    pieces: list[str] = []
    rest = text
    while len(rest) > limit:
        window = rest[:limit]
        cut = max(window.rfind("\n\n"), window.rfind("\n"), window.rfind(" "))
        if cut < limit * 0.5:
            cut = limit
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest or not pieces:
        pieces.append(rest)
    return pieces


def render_full(record: Record, t: Texts, *, md: bool = True) -> list[Card]:
    """The whole comment, paged into cards when it is longer than one embed."""
    header = attribution(record.author, record.date, record.kind, record.post_title, record.post_url, t, md,
                         key="full.header")
    body = escape_markdown(record.text) if md else record.text
    pages = split_text(body, DESCRIPTION_BUDGET - len(header) - 4)
    cards = []
    for i, page in enumerate(pages, 1):
        desc = (header + "\n\n" + page) if i == 1 else page
        footer = t("full.page", page=i, pages=len(pages)) if len(pages) > 1 else ""
        cards.append(Card(title=clip(t("full.title"), TITLE_MAX), description=desc, footer=footer))
    return cards


def choice_name(text: str) -> str:
    """An autocomplete choice label within Discord's 100 characters."""
    return clip(" ".join(text.split()), CHOICE_NAME_MAX, "…")


def quote_id(q: Quote) -> str:
    """A stable id for feedback: the chunk id when known, else post/comment."""
    return q.chunk_id or f"{q.post_id}/{q.comment_id or ''}"

