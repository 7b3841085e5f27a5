"""What a question asks, in the corpus's terms: spelling fixed, its content stems and how much each one weighs.

- Typos are corrected against the corpus's own words (index.spelling); the answer then says "showing results for".
- A stem weighs its idf in the corpus: the corpus's everyday words ("social", "media", "business" in a corpus about
  social media in business) weigh little because nearly every comment uses them, not because a list says so.
- Numbers never weigh ("team 113", "in 2024"): a comment rarely repeats the asker's figures, and a number the
  corpus lacks must not sink an otherwise answerable question.
- A stem the corpus never uses is kept apart (`unknown`): it cannot be matched, only tell the refusal that part of
  the question is about something the corpus does not discuss.
- Derived forms the stemmer keeps apart ("plumbing" / "plumber", "consulting" / "consultant") are matched at half
  weight when the corpus uses one and the question the other.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field

from index.spelling import Speller
from index.terms import TermStats
from index.text import question_terms

# Suffixes that make a doer or an act from a stem the Snowball stemmer leaves whole ("plumber" vs "plumb").
_DERIVED = ("er", "ers", "or", "ors", "ist", "ists", "ant", "ants", "ee", "ees")
RELATED_WEIGHT = 0.5
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*(?:st|nd|rd|th|s|k|m|bn|pm|am)?")


@dataclass
class Query:
    text: str  # as asked
    search: str  # what is embedded and searched: the text with misspelt words corrected
    fixes: dict[str, str] = field(default_factory=dict)  # misspelt word -> correction
    weights: dict[str, float] = field(default_factory=dict)  # content stem -> weight (stems the corpus uses)
    unknown: dict[str, float] = field(default_factory=dict)  # content stem the corpus never uses -> its weight
    related: dict[str, str] = field(default_factory=dict)  # corpus stem -> the question stem it derives from

    @property
    def corrected(self) -> str | None:
        """The corrected question, for "showing results for …", or None when nothing was corrected."""
        return self.search if self.fixes else None


class QueryAnalyzer:
    """One per live generation: its term statistics, a speller over its words, a sorted stem list for relatives."""

    def __init__(self, stats: TermStats) -> None:
        self.stats = stats
        self.speller = Speller(stats.words)
        self._stems = sorted(stats.df)

    def analyze(self, question: str, *, spelling: bool = True) -> Query:
        text = " ".join((question or "").split())
        search, fixes = self.speller.correct(text) if spelling else (text, {})
        q = Query(text=text, search=search, fixes=fixes)
        for t in question_terms(search):
            if _NUMBER.fullmatch(t):  # "113", "2024", "1990s", "10k"; "b2b" is a word
                continue
            w = self.stats.idf(t)
            if self.stats.df.get(t, 0):
                q.weights[t] = w
            else:
                q.unknown[t] = w
            for rel in self.relatives(t):
                if rel not in q.weights:
                    q.weights[rel] = w * RELATED_WEIGHT
                    q.related[rel] = t
        return q

    def relatives(self, stem: str) -> list[str]:
        """Corpus stems that are `stem` plus a doer suffix, or `stem` less one ("plumb" <-> "plumber")."""
        if len(stem) < 4:
            return []
        out = []
        i = bisect.bisect_left(self._stems, stem)
        while i < len(self._stems) and self._stems[i].startswith(stem):
            t = self._stems[i]
            if t != stem and t[len(stem):] in _DERIVED:
                out.append(t)
            i += 1
        for suf in _DERIVED:
            if stem.endswith(suf) and len(stem) - len(suf) >= 4 and stem[: -len(suf)] in self.stats.df:
                out.append(stem[: -len(suf)])
        return out
