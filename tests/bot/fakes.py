"""A fake Answerer with the real contract (same methods, same dataclasses from index.models), under the real look-up
API, for unit tests."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from index.build import BuildReport
from index.lookup import Lookup
from index.models import Answer, Quote, Record
from index.settings import RetrievalSettings
from index.topics import Topic

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
class FakeIndex:
    """What the look-up API reads from a live index besides the Answerer: the manifest, no topics file."""

    manifest: dict = field(default_factory=lambda: {"built_at": "2026-01-01T00:00:00Z", "model": "fake"})
    generation_dir: Path | None = None


@dataclass
class FakeAnswerer:
    """The Answerer's contract (ask, quote_records, records, full_text, refresh) with canned rankings: every comment
    in order, "nothing" refused, "boom" failing, "everyone" putting the mention-laden comment first."""

    records_: list[Record] = field(default_factory=make_records)
    build_delay: float = 0.0
    refreshed: int = 0
    calls: list[tuple] = field(default_factory=list)
    threads: set[str] = field(default_factory=set)
    index: FakeIndex = field(default_factory=FakeIndex)
    max_chars: int = 4000
    settings: RetrievalSettings = field(default_factory=RetrievalSettings)
    embedder: object = None

    def _quote(self, r: Record, score: float = 1.0) -> Quote:
        return Quote(text=r.text, author=r.author, date=r.date, post_id=r.post_id, post_title=r.post_title,
                     comment_id=r.comment_id, kind=r.kind, score=score, post_url=r.post_url,
                     chunk_id=f"{r.post_id}:{r.comment_id}:0")

    def ask(self, question: str, k: int = 5, mode: str = "hybrid", offset: int = 0, *, exclude=(),
            force: bool = False) -> Answer:
        self.threads.add(threading.current_thread().name)
        self.calls.append(("ask", question, k, offset))
        if "nothing" in question.lower() and not force:
            return Answer(question=question, answered=False, mode=mode)
        if "boom" in question.lower():
            raise RuntimeError("simulated retrieval failure")
        ranked = [r for r in self.records_ if r.kind == "comment"]
        if "everyone" in question.lower():
            ranked = [r for r in ranked if r.comment_id == "c2"] + ranked
        ranked = [r for r in dict.fromkeys(ranked) if (r.post_id, r.comment_id) not in set(exclude)]
        quotes = [self._quote(r, 1.0 - i / 100) for i, r in enumerate(ranked)][offset: offset + k]
        return Answer(question=question, answered=bool(quotes), quotes=quotes, mode=mode)

    def quote_records(self, ranked, k: int, offset: int = 0, terms=()) -> list[Quote]:
        by_key = {(r.post_id, r.comment_id): r for r in self.records_}
        return [self._quote(by_key[key], s) for key, s in ranked if key in by_key][offset: offset + k]

    def records(self) -> list[Record]:
        return list(self.records_)

    def full_text(self, post_id: str, comment_id: str | None) -> Record | None:
        for r in self.records_:
            if (r.post_id, r.comment_id) == (post_id, comment_id):
                return r
        return None

    def refresh(self) -> bool:
        self.refreshed += 1
        return True


def fake_topics(records: list[Record]) -> list[Topic]:
    """Two real topics over the fake records, and 40 with long names (autocomplete must cut them)."""
    def members(post_id: str) -> tuple:
        return tuple((r.post_id, r.comment_id, 1.0) for r in records if r.post_id == post_id)

    out = [Topic("roi", "Proving ROI", 4, ("roi",), members("p1")),
           Topic("legal", "Legal risk", 13, ("legal",), members("p2"))]
    out += [Topic(f"t{i}", f"Topic number {i} " + "x" * 120, 1, (), members("p1")[:1]) for i in range(40)]
    return out


class FakeLookup(Lookup):
    """The real look-up API over the fake Answerer, with topics as if derived by a build."""

    def __init__(self, answerer: FakeAnswerer | None = None) -> None:
        super().__init__(answerer or FakeAnswerer(), overrides_path=Path("/nonexistent/topics.toml"))

    def _derived_topics(self) -> list[Topic]:
        return fake_topics(self.answerer.records())


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
