"""The one text toolkit: words, stems, stopwords and sentences, shared by chunking, BM25, coverage and quotes.

Chunk boundaries, the lexical index, the question's term weights and the quote cutter must agree on what a word,
a stem and a sentence are; when two copies of these rules disagreed, a quote could split "e.g." where the chunk
did not. Stems come from the Snowball English stemmer (PyStemmer, a C extension: ~1 µs a word).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache

WORD_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9'’\-]*")

# Grammar words: never evidence that a text is about something. Kept small on purpose: words like "need", "best" or
# "time" can carry a question, and idf already discounts a corpus's everyday words.
STOPWORDS = frozenset(
    """a about above after again against all am an and any are aren't as at be because been before being below
    between both but by can can't cannot could couldn't did didn't do does doesn't doing don't down during each
    few for from further had hadn't has hasn't have haven't having he he'd he'll he's her here here's hers herself
    him himself his how how's i i'd i'll i'm i've if in into is isn't it it's its itself let's me more most mustn't
    my myself no nor not of off on once only or other ought our ours ourselves out over own same shan't she she'd
    she'll she's should shouldn't so some such than that that's the their theirs them themselves then there
    there's these they they'd they'll they're they've this those through to too under until up very was wasn't we
    we'd we'll we're we've were weren't what what's when when's where where's which while who who's whom why
    why's with won't would wouldn't you you'd you'll you're you've your yours yourself yourselves just also s t
    will shall may might must yes yeah ok okay even still yet ever us let etc via""".split()
)

# Words that say how something is asked, not what: dropped from a question's weights (not from the index).
QUESTION_FILLER = frozenset(
    """really actually anyone someone something anything everyone get got go going thing things lot lots much many
    way ways make makes made like well know think say said tell want wanna need needs please people person guys
    good great best better worth use using used kind sort type whether ever way""".split()
)

_NOT_ASKED = STOPWORDS | QUESTION_FILLER
_APOS = str.maketrans({"’": "'", "‘": "'"})


@lru_cache(maxsize=1)
def _stemmer():  # noqa: ANN202 - Stemmer.Stemmer, imported lazily
    import Stemmer

    return Stemmer.Stemmer("english")


def normalize(word: str) -> str:
    """Lower case, one apostrophe, no possessive 's, no leading/trailing apostrophes or hyphens."""
    w = word.lower().translate(_APOS)
    if w.endswith("'s"):
        w = w[:-2]
    return w.strip("'-")


@lru_cache(maxsize=500_000)
def stem(word: str) -> str:
    """Snowball English stem of one word ("companies"/"company" -> "compani", "measuring" -> "measur")."""
    w = normalize(word)
    return _stemmer().stemWord(w) if len(w) > 2 else w


def words(text: str) -> list[str]:
    return WORD_RE.findall(text or "")


def _forms(word: str) -> list[str]:
    """A word's normalised forms: itself, and for a hyphenated word its joined form and its parts, so
    "non-profits" meets "nonprofits" and "profits", and "e-mail" meets "email"."""
    n = normalize(word)
    if "-" not in n:
        return [n]
    parts = [p for p in n.split("-") if p]
    return [n.replace("-", ""), *parts]


@lru_cache(maxsize=500_000)
def _word_stems(word: str, skip: frozenset[str]) -> tuple[str, ...]:
    """One word's stems less `skip`: memoized, since a corpus repeats a small vocabulary millions of times (at a
    million comments, normalizing and stemming every occurrence again was a tenth of a build)."""
    return tuple(stem(n) for n in _forms(word) if len(n) >= 2 and n not in skip)


def _stems(text: str, skip: frozenset[str]) -> Iterator[str]:
    for w in WORD_RE.findall(text or ""):
        yield from _word_stems(w, skip)


def lexical_tokens(text: str) -> list[str]:
    """The stems BM25 indexes and searches: every word but grammar words, in order, repeats kept."""
    return list(_stems(text, STOPWORDS))


def content_terms(text: str) -> list[str]:
    """The text's distinct content stems, in order of first use."""
    return list(dict.fromkeys(lexical_tokens(text)))


def question_terms(text: str) -> list[str]:
    """The stems that say what a question is about: its content stems less the words of asking."""
    return list(dict.fromkeys(_stems(text, _NOT_ASKED)))


# --- sentences -------------------------------------------------------------------------------------------------

# A sentence ends at . ! ? … (or a spaced ". . ."), possibly repeated and closed by quotes or brackets, before
# white space; a line break always ends one (Record.text keeps paragraphs as lines).
_END = re.compile(r"(?:\.\s){2,}\.|[.!?…]+[\"'”’)\]]*(?=\s)|\n")
_ABBREV = frozenset(
    """mr mrs ms dr st vs e.g i.e eg ie inc ltd co jr sr prof u.s u.k no nos fig approx dept est misc p.m a.m
    mt ft lt gen gov sen rep rev jan feb mar apr jun jul aug sep sept oct nov dec""".split()
)
_LIST_MARK = re.compile(r"^[(\[]?(?:\d{1,2}|[a-z]|[ivx]{1,4})[.)\]]$", re.I)


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Character spans of the sentences of `text`, white space trimmed, in order, covering every word.

    Not an end: an abbreviation ("e.g.", "Dr.", "U.S.", "p.m."), an initial ("J. Smith"), a list marker ("1.",
    "2)", "a.") that opens a sentence, or a full stop or ellipsis followed by a lower-case word ("3 p.m. yesterday",
    "report… it was great").
    """
    spans: list[tuple[int, int]] = []
    start = 0
    for m in _END.finditer(text):
        mark = m.group()
        if mark != "\n":
            before = text[start:m.start()].strip()
            last = before.rsplit(None, 1)[-1].lower().lstrip("(\"'“‘") if before else ""
            if mark[0] == ".":
                single = len(mark.rstrip("\"'”’)]")) == 1
                if single and (last.rstrip(".") in _ABBREV or (len(last) == 1 and last.isalpha())):
                    continue
                if _LIST_MARK.match(before + mark.strip()) and len(before) <= 4:
                    continue  # "1. We are." is one sentence, not "1." and "We are."
            elif _LIST_MARK.match(before + mark) and len(before) <= 4:
                continue
            nxt = text[m.end():m.end() + 40].lstrip()
            if mark[0] in ".…" and nxt[:1].islower():
                continue
        _add(text, start, m.end(), spans)
        start = m.end()
    _add(text, start, len(text), spans)
    return spans


def _add(text: str, start: int, end: int, spans: list[tuple[int, int]]) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start:
        spans.append((start, end))


def sentence_spans_in(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Sentence spans of text[start:end], as offsets into `text`."""
    return [(start + s, start + e) for s, e in sentence_spans(text[start:end])]
