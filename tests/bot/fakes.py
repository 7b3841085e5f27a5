"""A fake Answerer with the real contract (same methods, same dataclasses from index.models), for unit tests."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from index.build import BuildReport
from index.models import Answer, Quote, Record

LONG = ("Social media is a conversation, not a broadcast channel, and the companies that win treat it as one. " * 30)
MENTIONS = "Tell @everyone and <@123456789012345678> about **this** and `that` [link](http://x.y) # heading"


def make_records() -> list[Record]:
    recs = [
        Record("p1", None, "post", "Alice Author", "2009-03-01", "Is social media worth it for B2B firms?",
               "header", "Social media for B2B", "https://blog.example/b2b"),
        Record("p1", "c1", "comment", "Bob Smith", "2009-03-02",
               "ROI is hard to prove but leads from LinkedIn groups paid for our whole effort.",
               "header", "Social media for B2B", "https://blog.example/b2b"),
        Record("p1", "c2", "comment", None, "2009-03-03", MENTIONS, None, "Social media for B2B",
               "https://blog.example/b2b"),
        Record("p2", None, "post", None, None, "Legal risk of employee blogging.", None, "Legal (risk)", None),
        Record("p2", "c3", "comment", "Carol Jones", "2010-01-05", LONG, "signature", "Legal (risk)", None),
    ]
    for i in range(12):
        recs.append(Record("p2", f"x{i}", "comment", f"Person {i}", "2010-02-01",
                           f"Policy note {i}: lawyers want a social media policy before anyone tweets. " * 8,
                           "header", "Legal (risk)", None))
    return recs


@dataclass
class FakeTopic:
    key: str
    name: str
    size: int
    words: tuple[str, ...] = ()


@dataclass
class FakeAnswerer:
    records: list[Record] = field(default_factory=make_records)
    build_delay: float = 0.0
    refreshed: int = 0
    calls: list[tuple] = field(default_factory=list)
    threads: set[str] = field(default_factory=set)

    def _quote(self, r: Record, score: float = 1.0) -> Quote:
        return Quote(text=r.text, author=r.author, date=r.date, post_id=r.post_id, post_title=r.post_title,
                     comment_id=r.comment_id, kind=r.kind, score=score, post_url=r.post_url,
                     chunk_id=f"{r.post_id}:{r.comment_id}:0")

    def ask(self, question: str, k: int = 5, mode: str = "hybrid", offset: int = 0) -> Answer:
        self.threads.add(threading.current_thread().name)
        self.calls.append(("ask", question, k, offset))
        if "nothing" in question.lower():
            return Answer(question=question, answered=False, mode=mode)
        if "boom" in question.lower():
            raise RuntimeError("simulated retrieval failure")
        ranked = [r for r in self.records if r.kind == "comment"]
        if "everyone" in question.lower():
            ranked = [r for r in ranked if r.comment_id == "c2"] + ranked
        quotes = [self._quote(r, 1.0 - i / 100) for i, r in enumerate(ranked)][offset: offset + k]
        return Answer(question=question, answered=bool(quotes), quotes=quotes, mode=mode)

    def topics(self) -> list[FakeTopic]:
        out = [FakeTopic("roi", "Proving ROI", 4), FakeTopic("legal", "Legal risk", 13)]
        out += [FakeTopic(f"t{i}", f"Topic number {i} " + "x" * 120, 1) for i in range(40)]
        return out

    def topic(self, name: str, k: int = 10) -> Answer:
        self.calls.append(("topic", name, k))
        recs = [r for r in self.records if r.post_id == ("p2" if "legal" in name.lower() else "p1")]
        return Answer(question=f"topic: {name}", answered=True, quotes=[self._quote(r) for r in recs][:k],
                      mode="topic")

    def authors(self) -> list[tuple[str, int]]:
        names: dict[str, int] = {}
        for r in self.records:
            if r.author:
                names[r.author] = names.get(r.author, 0) + 1
        return sorted(names.items(), key=lambda p: (-p[1], p[0]))

    def author(self, name: str) -> Answer:
        quotes = [self._quote(r) for r in self.records if r.author == name]
        return Answer(question=f"author: {name}", answered=bool(quotes), quotes=quotes, mode="author")

    def about(self) -> dict:
        return {"posts": 2, "comments": len(self.records) - 2, "practitioners": len(self.authors()),
                "first_date": "2009-03-01", "last_date": "2010-02-01", "built_at": "2026-01-01T00:00:00Z",
                "model": "fake"}

    def full_text(self, post_id: str, comment_id: str | None) -> Record | None:
        for r in self.records:
            if (r.post_id, r.comment_id) == (post_id, comment_id):
                return r
        return None

    def refresh(self) -> bool:
        self.refreshed += 1
        return True


class FakeBuilder:
    """build_index's signature; reports progress, can be slowed down to prove queries go on meanwhile."""

    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay
        self.calls: list[tuple[Path, Path]] = []
        self.started = threading.Event()

    def __call__(self, corpus_dir: Path, db_dir: Path, *, progress=None, full: bool = False) -> BuildReport:
        self.calls.append((corpus_dir, db_dir))
        self.started.set()
        files = sorted(p.name for p in Path(corpus_dir).iterdir()) if Path(corpus_dir).is_dir() else []
        steps = 4
        for i in range(steps):
            if progress:
                progress("embedding", i + 1, steps)
            time.sleep(self.delay / steps)
        return BuildReport(added=1, unchanged=5, embedded=1, chunks=9, files=len(files), seconds=0.5,
                           per_file={f: {"warnings": 2 if i == 0 else 0} for i, f in enumerate(files)})
