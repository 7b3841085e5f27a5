"""The one look-up and paging API: questions, topics and people, a page at a time, for Discord, the chat and the CLI.

Every front end asks through a `Lookup`, so a name typed anywhere resolves the same way (index/names.py), "More"
means the same next page everywhere, and a follow-up in a conversation is read the same way (index/conversation.py).
Ranking and quoting stay in the Answerer (index/retrieval.py); this module decides what to rank and which page.
"""

from __future__ import annotations

import time
from collections.abc import Collection, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from index.conversation import read_in_context
from index.models import Answer, Quote, Record
from index.names import Entry, NameIndex, Resolved
from index.people import People
from index.quotes import content_terms, cut_quote
from index.settings import RetrievalSettings, paths
from index.text import stem
from index.topics import Topic, apply_overrides, derive_topics, load_overrides, load_topics

if TYPE_CHECKING:
    from index.retrieval import Answerer, RecKey

KINDS = ("ask", "topic", "author")


class Lookup:
    """Questions, topics and people over one Answerer; caches per index snapshot, dropped on refresh."""

    def __init__(self, answerer: Answerer, *, overrides_path: Path | None = None) -> None:
        self.answerer = answerer
        self.index = answerer.index
        self.overrides_path = overrides_path if overrides_path is not None else paths().prompts_dir / "topics.toml"
        self._people: People | None = None
        self._derived: list[Topic] | None = None
        self._sizes: dict[frozenset[str], int] = {}

    @classmethod
    def open(cls, db_dir: Path | str, settings: RetrievalSettings | None = None, *,
             overrides_path: Path | None = None, **kw: Any) -> Lookup:
        """Open the live index and load the model once (raises IndexMissing when nothing is built)."""
        from index.retrieval import Answerer

        return cls(Answerer.open(db_dir, settings, **kw), overrides_path=overrides_path)

    def refresh(self) -> bool:
        """Pick up a newer generation of the index (after a reindex) without reloading the model."""
        changed = bool(self.answerer.refresh())
        if changed:
            self._people = None
            self._derived = None
            self._sizes = {}
        return changed

    def close(self) -> None:
        for obj in (self.answerer, self.index):
            close = getattr(obj, "close", None)
            if callable(close):
                close()

    # -- questions -------------------------------------------------------------------------------------------
    def ask(self, question: str, k: int = 5, *, offset: int = 0, exclude: Collection[RecKey] = (),
            context: Sequence[str] = (), mode: str | None = None) -> Answer:
        """Quotes answering the question; `context` holds the earlier questions of a conversation (oldest first),
        read with this one when it is short or refers back; `exclude` the records already shown there."""
        mode = mode or self.answerer.settings.mode

        def ask(text: str, n: int, *, offset: int = 0, exclude: Collection[RecKey] = ()) -> Answer:
            return self.answerer.ask(text, k=n, mode=mode, offset=offset, exclude=exclude)

        answer = read_in_context(ask, question, context, k, offset=offset, exclude=exclude,
                                 max_per_author=self.answerer.settings.max_per_author)
        answer.question = " ".join((question or "").split())
        return answer

    # -- pages -----------------------------------------------------------------------------------------------
    def page(self, kind: str, query: str, k: int, offset: int = 0, *, exclude: Collection[RecKey] = (),
             context: Sequence[str] = ()) -> Answer:
        """A page of an answer, a topic or a person's words: the "More" button, the chat's `more`."""
        if kind == "ask":
            return self.ask(query, k, offset=offset, exclude=exclude, context=context)
        if kind == "topic":
            return self.topic(query, k, offset=offset)
        if kind == "author":
            return self.author(query, k, offset=offset)
        raise ValueError(f"unknown answer kind {kind!r}: one of {', '.join(KINDS)}")

    # -- topics ----------------------------------------------------------------------------------------------
    def topics(self) -> list[Topic]:
        """Derived topics of the live generation with the admins' overrides applied (the overrides are re-read on
        each call, so an edit of prompts/topics.toml shows without a restart)."""
        if self._derived is None:
            self._derived = self._derived_topics()
        return [self._sized(t) for t in apply_overrides(self._derived, load_overrides(self.overrides_path))]

    def _derived_topics(self) -> list[Topic]:
        """The topics the build derived; an index built before topics existed gets them derived in memory once."""
        gen = getattr(self.index, "generation_dir", None)
        derived = load_topics(Path(gen)) if gen is not None else None
        if derived is None:
            derived = derive_topics(self.index.records(), self.index.chunks(), self.index.vectors())
        return derived

    def _sized(self, t: Topic) -> Topic:
        """An admin's topic (a query, no members) counts the records sharing its words."""
        if t.query is None or t.size:
            return t
        terms = frozenset({stem(w.lower()) for w in t.words} or content_terms(t.query or "", drop_generic=True))
        size = self._sizes.get(terms)
        if size is None:  # counted once per generation: it reads every record (streamed from the store)
            size = self._sizes[terms] = sum(1 for r in self._all_records() if terms & set(content_terms(r.text)))
        return Topic(key=t.key, name=t.name, size=size, words=t.words, members=t.members, query=t.query)

    def _all_records(self) -> Iterable[Record]:
        """Every record, streamed from the generation's store when the index has one (never all in memory)."""
        it = getattr(self.index, "iter_records", None)
        return it() if callable(it) else self.answerer.records()

    def find_topic(self, name: str) -> tuple[Topic | None, Resolved]:
        """The topic meant by a key, a name, a word of a name or part of one; else why not (ambiguous, close)."""
        topics = self.topics()
        by_key = {t.key: t for t in topics}
        names = NameIndex(Entry(key=t.key, display=t.name, aliases=(t.key,), weight=t.size) for t in topics)
        found = names.resolve(name)
        return (by_key[found.key] if found.key else None), found

    def topic(self, name: str, k: int = 10, *, offset: int = 0) -> Answer:
        """What practitioners said on one topic: its members closest to the topic's centre, one per comment."""
        t0 = time.perf_counter()
        t, _ = self.find_topic(name)
        if t is None:
            return Answer(question=f"topic: {name}", answered=False, mode="topic")
        if t.query is not None and not t.members:
            # an admin's topic is answered even when the refusal gate doubts its wording: the admin vouched for it
            a = self.answerer.ask(t.query, k=k, offset=offset, force=True)
            a.question, a.mode = f"topic: {t.name}", "topic"
            return a
        ranked = [((post_id, comment_id), sim) for post_id, comment_id, sim in t.members]
        quotes = self.answerer.quote_records(ranked, k, offset, terms=t.words)
        return Answer(question=f"topic: {t.name}", answered=bool(quotes), quotes=quotes, mode="topic",
                      timings_ms={"total": (time.perf_counter() - t0) * 1000})

    # -- people ----------------------------------------------------------------------------------------------
    @property
    def people(self) -> People:
        people = self._people
        if people is None:
            from_store = getattr(self.index, "people", None)  # the live index reads them from its store
            people = self._people = from_store() if callable(from_store) else People(self.answerer.records())
        return people

    def authors(self) -> list[tuple[str, int]]:
        """(name, posts and comments) for every named person, most prolific first."""
        return self.people.authors()

    def find_author(self, name: str) -> Resolved:
        """The person meant by their name, a word of it or its start ("annie", "lisa"); else the candidates."""
        return self.people.resolve(name)

    def author(self, name: str, k: int | None = None, *, offset: int = 0) -> Answer:
        """One person's posts and comments across posts, oldest first, each as its opening sentences."""
        t0 = time.perf_counter()
        found = self.find_author(name)
        if found.key is None:
            return Answer(question=f"author: {name}", answered=False, mode="author")
        records = self.people.records(found.key)
        offset = max(0, int(offset))
        chosen = records[offset:] if k is None else records[offset: offset + max(1, int(k))]
        quotes = [q for r in chosen if (q := self._opening(r))]
        return Answer(question=f"author: {found.display}", answered=bool(quotes), quotes=quotes, mode="author",
                      timings_ms={"total": (time.perf_counter() - t0) * 1000})

    def _opening(self, r: Record) -> Quote | None:
        text = cut_quote(r.text, {}, max_chars=self.answerer.max_chars)
        if not text:
            return None
        return Quote(text=text, author=r.author, date=r.date, post_id=r.post_id, post_title=r.post_title,
                     comment_id=r.comment_id, kind=r.kind, score=1.0, post_url=r.post_url)

    # -- the corpus ------------------------------------------------------------------------------------------
    def about(self) -> dict[str, Any]:
        """What the bot knows: counts and the date range, for /about and the chat."""
        stats = getattr(self.index, "stats", None)
        if callable(stats):  # the live index has them from its manifest: no record is read
            st = stats()
        else:
            recs = self.answerer.records()
            dates = sorted(r.date for r in recs if r.date)
            st = {"posts": sum(r.kind == "post" for r in recs), "comments": sum(r.kind == "comment" for r in recs),
                  "first_date": dates[0] if dates else None, "last_date": dates[-1] if dates else None}
        manifest = getattr(self.index, "manifest", {}) or {}
        return {
            "posts": st["posts"],
            "comments": st["comments"],
            "practitioners": len(self.people),
            "first_date": st["first_date"],
            "last_date": st["last_date"],
            "built_at": manifest.get("built_at"),
            "model": manifest.get("model") or getattr(self.answerer.embedder, "name", None),
        }

    def full_text(self, post_id: str, comment_id: str | None) -> Record | None:
        return self.answerer.full_text(post_id, comment_id)

