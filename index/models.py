"""The small dataclasses every layer passes around: records, chunks, hits and answers.

They are plain frozen dataclasses (no pydantic) so that light commands import them in microseconds and so that
the bot, the CLI and the tests agree on one shape.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Kind = Literal["post", "comment"]
# How the author of a record is known; None when the page gives no evidence (the bot says "a commenter").
AuthorSource = Literal["header", "signature", "commentluv", "export", "post_metadata"]


@dataclass(frozen=True)
class Record:
    """One post or one distinct comment, as read from a page.

    `text` is clean (no header, trailer, sign-off or page chrome; wrapped lines joined); every quote the bot
    shows is cut verbatim from it.
    """

    post_id: str
    comment_id: str | None
    kind: Kind
    author: str | None
    date: str | None  # ISO 8601 (YYYY-MM-DD, or with a time where the page gives one)
    text: str
    author_source: AuthorSource | None = None
    post_title: str = ""
    post_url: str | None = None
    source_file: str = ""
    line: int | None = None  # 1-based line in the source file where the record starts
    parent_id: str | None = None  # the comment_id this comment replies to (HTML threads), so context can be shown

    def to_json(self) -> dict[str, Any]:
        """The stable JSON shape of `adoptbot corpus parse --json` (field names are a contract)."""
        return {
            "post_id": self.post_id,
            "comment_id": self.comment_id,
            "kind": self.kind,
            "author": self.author,
            "date": self.date,
            "text": self.text,
            "author_source": self.author_source,
            "post_title": self.post_title,
            "post_url": self.post_url,
            "source_file": self.source_file,
            "line": self.line,
            "parent_id": self.parent_id,
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Record:
        names = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in d.items() if k in names})


@dataclass(frozen=True)
class Warning_:
    """A problem found while reading a page: never fatal, always shown to the admin."""

    file: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.message}"


@dataclass
class ParsedPage:
    """Everything read from one file: its post, its comments and what looked wrong."""

    file: str
    records: list[Record] = field(default_factory=list)
    warnings: list[Warning_] = field(default_factory=list)
    shape: str = "unknown"  # which reader recognised it: header, commentluv, wordpress, blogger, wxr, plain
    dropped: list[tuple[int, str, str]] = field(default_factory=list)  # (line, text, why): chrome, trailers, repeats

    @property
    def posts(self) -> list[Record]:
        return [r for r in self.records if r.kind == "post"]

    @property
    def comments(self) -> list[Record]:
        return [r for r in self.records if r.kind == "comment"]


@dataclass(frozen=True)
class Chunk:
    """A token-bounded piece of a record's text, with the record's ids and its character span in that text."""

    chunk_id: str
    post_id: str
    comment_id: str | None
    kind: Kind
    author: str | None
    date: str | None
    post_title: str
    post_url: str | None
    start: int  # character span in Record.text: text == record.text[start:end]
    end: int
    text: str
    content_hash: str

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Quote:
    """A verbatim excerpt of one record, attributed as the record was parsed."""

    text: str
    author: str | None
    date: str | None
    post_id: str
    post_title: str
    comment_id: str | None
    kind: Kind
    score: float
    post_url: str | None = None
    chunk_id: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "author": self.author,
            "date": self.date,
            "post_id": self.post_id,
            "post_title": self.post_title,
            "comment_id": self.comment_id,
            "kind": self.kind,
            "score": round(float(self.score), 4),
            "post_url": self.post_url,
        }


@dataclass
class Answer:
    """What the bot says to one question: quotes, or answered=False for an honest "nothing on this"."""

    question: str
    answered: bool
    quotes: list[Quote] = field(default_factory=list)
    timings_ms: dict[str, float] = field(default_factory=dict)
    mode: str = "hybrid"
    corrected: str | None = None  # the question as searched, when misspelt words were corrected
    evidence: dict[str, float] = field(default_factory=dict)  # the refusal's inputs (index.refusal)

    @property
    def practitioners(self) -> int:
        """How many distinct named people (or unnamed commenters, one each) the answer draws on.

        Names are compared as a person's name ("Annie @ PhD in Parenting" and "annie" are one practitioner).
        """
        import re

        def key(q: Quote) -> str:
            name = re.sub(r"\s+@.*$|\(.*?\)", "", (q.author or "").replace("’", "'"))
            return re.sub(r"\W+", "", name.casefold()) or f"anon:{q.post_id}:{q.comment_id}"

        return len({key(q) for q in self.quotes})

    @property
    def posts(self) -> int:
        return len({q.post_id for q in self.quotes})

    def to_json(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "answered": self.answered,
            "quotes": [q.to_json() for q in self.quotes],
            "practitioners": self.practitioners,
            "posts": self.posts,
            "mode": self.mode,
            "corrected": self.corrected,
            "evidence": self.evidence,
            "timings_ms": {k: round(v, 2) for k, v in self.timings_ms.items()},
        }
