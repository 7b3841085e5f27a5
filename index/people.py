"""People in the corpus: every named author's posts and comments, grouped by name key, resolvable by any front end.

A commenter signs differently from one page to the next ("Annie", "Annie @ PhD in Parenting"): both are one person
(one name key), shown under the spelling they used most.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

from index.models import Record
from index.names import Entry, NameIndex, Resolved, name_key


def _oldest_first(r: Record) -> tuple:
    return (r.date or "", r.post_id, r.kind != "post", r.comment_id or "")


class People:
    """Who wrote what, oldest first, with the one name resolver over their names."""

    def __init__(self, records: Iterable[Record]) -> None:
        by_key: dict[str, list[Record]] = {}
        spellings: dict[str, Counter[str]] = {}
        for r in records:
            k = name_key(r.author) if r.author else ""
            if k:
                by_key.setdefault(k, []).append(r)
                spellings.setdefault(k, Counter())[r.author] += 1  # type: ignore[index]
        for rs in by_key.values():
            rs.sort(key=_oldest_first)
        self._setup(spellings, lambda k: by_key.get(k, []))

    @classmethod
    def from_store(cls, store: Any) -> People:
        """The same people from a generation's store (index/store/records.py): only the authors' spellings are read
        now, a few rows per person whatever the corpus size; a person's records when they are asked for."""
        spellings: dict[str, Counter[str]] = {}
        for author, n, _first in store.author_spellings():  # in order of first appearance, as records stream
            k = name_key(author)
            if k:
                spellings.setdefault(k, Counter())[author] += n

        def fetch(key: str) -> list[Record]:
            return sorted(store.records_by_authors(list(spellings.get(key, ()))), key=_oldest_first)

        people = cls.__new__(cls)
        people._setup(spellings, fetch)
        return people

    def _setup(self, spellings: dict[str, Counter[str]], fetch: Callable[[str], list[Record]]) -> None:
        self._fetch = fetch
        self._display = {k: c.most_common(1)[0][0] for k, c in spellings.items()}
        self.names = NameIndex(
            Entry(key=k, display=self._display[k], aliases=tuple(s for s in spellings[k] if s != self._display[k]),
                  weight=sum(spellings[k].values()))
            for k in spellings
        )

    def __len__(self) -> int:
        return len(self._display)

    def authors(self) -> list[tuple[str, int]]:
        """(name, posts and comments) for every named person, most prolific first."""
        return [(e.display, e.weight) for e in self.names.entries()]

    def resolve(self, name: str) -> Resolved:
        return self.names.resolve(name)

    def records(self, key: str) -> list[Record]:
        """One person's posts and comments, oldest first (empty for an unknown key)."""
        return list(self._fetch(key)) if key in self._display else []

    def display(self, key: str) -> str | None:
        return self._display.get(key)
