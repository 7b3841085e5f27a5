"""The one name resolver: what someone typed ("annie", "lisa", "Bob Smith", "roi") to the entry they meant.

Discord, the terminal chat and the CLI all resolve people and topics through here, so `/author annie` finds
"Annie @ PhD in Parenting" wherever it is typed. A name is found by its whole key, then by whole words, then by
word starts, then inside the name; the first tier with exactly one entry wins. Several entries in one tier is an
ambiguity the user settles (they are offered as candidates); a typo only ever yields suggestions, never a guess,
because showing one person's words under another person's name would be a false attribution.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

_BLOG = re.compile(r"\s+@.*$|\(.*?\)")  # "Annie @ PhD in Parenting", "Jo (jo.example.com)": the blog is not the name
_WORD = re.compile(r"[^\W_]+")


def name_key(name: str | None) -> str:
    """A name reduced for matching: case, spacing and punctuation ignored, a trailing '@ blog' or '(blog)' dropped,
    so "Annie @ PhD in Parenting" and "annie" give the same key."""
    s = _BLOG.sub("", (name or "").replace("’", "'"))
    return re.sub(r"\W+|_", "", s.casefold())


def name_words(name: str | None) -> tuple[str, ...]:
    """The words of a name without its blog part, casefolded: what a person types one of ("lisa", "hickey")."""
    return tuple(_WORD.findall(_BLOG.sub("", (name or "").replace("’", "'")).casefold()))


@dataclass(frozen=True)
class Entry:
    """One thing that can be named: its key, how it is shown, other names it answers to, and how big it is (a
    person's number of comments, a topic's size), which orders candidates and suggestions."""

    key: str
    display: str
    aliases: tuple[str, ...] = ()
    weight: int = 0


@dataclass(frozen=True)
class Resolved:
    """The outcome of resolving a typed name: `key` when one entry was meant; otherwise `candidates` (display
    names, best first) and whether they are an ambiguity (several entries match) or mere suggestions."""

    query: str
    key: str | None = None
    display: str | None = None
    candidates: tuple[str, ...] = field(default=())
    ambiguous: bool = False

    @property
    def found(self) -> bool:
        return self.key is not None


class NameIndex:
    """Entries by their keys, words and aliases; built once per index snapshot, resolving is a few dict walks."""

    def __init__(self, entries: Iterable[Entry]) -> None:
        self._entries: dict[str, Entry] = {}
        for e in entries:
            self._entries.setdefault(e.key, e)
        self._forms: dict[str, list[tuple[str, tuple[str, ...], str]]] = {}
        for e in self._entries.values():
            forms = []
            for n in (e.display, *e.aliases):
                k = name_key(n)
                if k:
                    forms.append((k, name_words(n), re.sub(r"\W+|_", "", n.casefold())))
            self._forms[e.key] = forms

    def __len__(self) -> int:
        return len(self._entries)

    def entry(self, key: str) -> Entry | None:
        return self._entries.get(key)

    def entries(self) -> list[Entry]:
        """Every entry, largest first, then by name."""
        return sorted(self._entries.values(), key=lambda e: (-e.weight, e.display.casefold()))

    def resolve(self, text: str) -> Resolved:
        q = " ".join((text or "").split())
        qkey = name_key(q)
        qwords = name_words(q)
        if not qkey:
            return Resolved(query=q)
        tiers = (
            lambda forms: any(k == qkey for k, _w, _f in forms),
            lambda forms: any(_words_match(qwords, w, whole=True) for _k, w, _f in forms),
            lambda forms: any(_words_match(qwords, w, whole=False) for _k, w, _f in forms),
            lambda forms: len(qkey) >= 3 and any(qkey in k or qkey in f for k, _w, f in forms),
        )
        for matches in tiers:
            hits = [self._entries[key] for key, forms in self._forms.items() if matches(forms)]
            if len(hits) == 1:
                return Resolved(query=q, key=hits[0].key, display=hits[0].display)
            if hits:
                hits.sort(key=lambda e: (-e.weight, e.display.casefold()))
                return Resolved(query=q, candidates=tuple(e.display for e in hits), ambiguous=True)
        return Resolved(query=q, candidates=tuple(self.close(q)))

    def close(self, text: str, n: int = 3, cutoff: float = 0.6) -> list[str]:
        """Display names that look like a typo of the text (suggestions only)."""
        qkey = name_key(text)
        by_key: dict[str, str] = {}
        for key, forms in self._forms.items():
            for k, _w, _f in forms:
                by_key.setdefault(k, self._entries[key].display)
        keys = difflib.get_close_matches(qkey, list(by_key), n=n, cutoff=cutoff)
        return list(dict.fromkeys(by_key[k] for k in keys))


def _words_match(query: tuple[str, ...], name: tuple[str, ...], *, whole: bool) -> bool:
    """Every query word is a distinct word of the name (whole) or the start of one (prefix), in any order."""
    if not query or len(query) > len(name):
        return False
    left = list(name)
    for q in query:
        i = next((i for i, w in enumerate(left) if (w == q if whole else w.startswith(q))), None)
        if i is None:
            return False
        left.pop(i)
    return True
