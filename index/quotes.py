"""Cutting a short, verbatim quote out of one record: the sentences that answer the question, "…" where skipped.

A retrieved chunk is up to ~160 tokens, too long for a Discord answer and often only half on point; the quote is
the record's own sentences (exact substrings of `Record.text`), chosen by the question's content words and the
span of the chunk that matched, so nothing is paraphrased and the reader can see where the comment goes on.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from functools import lru_cache

ELLIPSIS = "…"
GAP = f" {ELLIPSIS} "

# Words that never make a sentence (or a question) "about" something: grammar, plus the corpus' own generic
# vocabulary, which every record shares and so cannot tell one answer (or one off-topic question) from another.
STOPWORDS = frozenset(
    """a about above after again against all am an and any are aren't as at be because been before being below
    between both but by can can't cannot could couldn't did didn't do does doesn't doing don't down during each
    few for from further had hadn't has hasn't have haven't having he he'd he'll he's her here here's hers herself
    him himself his how how's i i'd i'll i'm i've if in into is isn't it it's its itself let's me more most mustn't
    my myself no nor not of off on once only or other ought our ours ourselves out over own same shan't she she'd
    she'll she's should shouldn't so some such than that that's the their theirs them themselves then there
    there's these they they'd they'll they're they've this those through to too under until up very was wasn't we
    we'd we'll we're we've were weren't what what's when when's where where's which while who who's whom why
    why's with won't would wouldn't you you'd you'll you're you've your yours yourself yourselves just also really
    get got go going one two thing things lot lots much many way ways make makes made like s t will shall may might
    must yes yeah ok okay well even still yet ever never always often us let know think say said good bad best
    better new now use used using need want anyone someone something anything everyone every kind sort""".split()
)
GENERIC = frozenset(
    """social media sm business businesses company companies organization organizations organisation firm firms
    brand brands work help people online web internet tool tools""".split()
)

_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9'’\-]*")
# A sentence ends at . ! ? or … (possibly repeated, possibly closed by quotes or brackets) followed by space,
# or at a line break (paragraphs in Record.text are separated by newlines).
_END = re.compile(r"[.!?…]+[\"'”’)\]]*(?=\s)|\n")
_ABBREV = frozenset(
    "mr mrs ms dr st vs etc e.g i.e eg ie inc ltd co jr sr prof u.s u.k no fig approx dept est misc".split()
)


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """A deliberately small stemmer: folds plurals and common suffixes so "tweets"/"tweeting" meet "tweet"."""
    w = word.lower().replace("’", "'")
    if w.endswith("'s"):
        w = w[:-2]
    w = w.strip("'-")
    if len(w) <= 3:
        return w
    for suf, rep in (("ies", "y"), ("ied", "y"), ("sses", "ss"), ("ings", ""), ("ing", ""), ("edly", ""),
                     ("ed", ""), ("ers", "er"), ("ly", ""), ("es", "e"), ("s", "")):
        if w.endswith(suf) and len(w) - len(suf) >= 3:
            if suf == "s" and w.endswith(("ss", "us", "is")):
                continue
            w = w[: len(w) - len(suf)] + rep
            if suf in ("ing", "ings", "ed", "edly") and len(w) > 3 and w[-1] == w[-2] and w[-1] not in "lsz":
                w = w[:-1]  # "shipping" -> "shipp" -> "ship"
            break
    return w


def words(text: str) -> list[str]:
    return _WORD.findall(text or "")


def content_terms(text: str, *, drop_generic: bool = False) -> list[str]:
    """Stems of the text's content words (no stopwords; optionally no corpus-generic words), in order, unique."""
    out: list[str] = []
    seen: set[str] = set()
    for w in words(text):
        lw = w.lower().replace("’", "'")
        if lw in STOPWORDS or (drop_generic and lw in GENERIC) or len(lw) < 2:
            continue
        s = stem(lw)
        if s in seen or s in STOPWORDS or (drop_generic and s in GENERIC):
            continue
        seen.add(s)
        out.append(s)
    return out


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Character spans of the text's sentences (stripped of surrounding whitespace), in order, covering all words.

    Abbreviations ("e.g.", "U.S.", "Dr.") and initials ("J. Smith") do not end a sentence; line breaks always do.
    """
    spans: list[tuple[int, int]] = []
    start = 0
    for m in _END.finditer(text):
        end = m.end()
        if m.group() != "\n" and m.group()[0] == "." and len(m.group().rstrip("\"'”’)]")) == 1:
            before = text[start:m.start()].rsplit(None, 1)
            last = before[-1].lower().lstrip("(\"'“‘") if before else ""
            if last in _ABBREV or (len(last) == 1 and last.isalpha()):
                continue
        _add_span(text, start, end, spans)
        start = end
    _add_span(text, start, len(text), spans)
    return spans


def _add_span(text: str, start: int, end: int, spans: list[tuple[int, int]]) -> None:
    seg = text[start:end]
    lead = len(seg) - len(seg.lstrip())
    trail = len(seg) - len(seg.rstrip())
    s, e = start + lead, end - trail
    if e > s:
        spans.append((s, e))


def _trim_long(text: str, s: int, e: int, weights: Mapping[str, float], max_chars: int) -> tuple[int, int]:
    """The best window of at most max_chars inside one over-long sentence, cut at spaces (still verbatim)."""
    toks = [(m.start() + s, m.end() + s, stem(m.group())) for m in _WORD.finditer(text[s:e])]
    if not toks:
        return s, min(e, s + max_chars)
    best, best_i = -1.0, 0
    for i, (ts, _, _) in enumerate(toks):
        got: set[str] = set()
        score = 0.0
        for _ws, we, st in toks[i:]:
            if we - ts > max_chars:
                break
            if st in weights and st not in got:
                got.add(st)
                score += weights[st]
        if score > best + 1e-9:
            best, best_i = score, i
    ws = toks[best_i][0]
    if best <= 0:
        ws = s
    we = ws
    for _ts, te, _ in toks:
        if _ts >= ws and te - ws <= max_chars:
            we = te
    # finish on the sentence's own punctuation when the window reaches it
    if e - we <= 2:
        we = e
    return ws, we


def cut_quote(
    text: str,
    weights: Mapping[str, float] | None = None,
    *,
    focus: tuple[int, int] | None = None,
    max_chars: int = 360,
    max_sentences: int = 3,
    min_chars: int = 90,
) -> str:
    """The sentences of `text` that best answer a question whose stems weigh `weights`.

    Every returned piece is an exact substring of `text`; pieces are joined with " … ", and a leading or
    trailing "…" says the record goes on before or after. `focus` (the matched chunk's span) breaks ties and
    carries the choice when no question word appears (a purely semantic match). With no weights and no focus,
    the quote is the record's opening sentences.
    """
    weights = weights or {}
    spans = sentence_spans(text)
    if not spans:
        return ""
    sent_terms = [set(content_terms(text[s:e])) for s, e in spans]

    def lex(i: int, covered: Iterable[str] = ()) -> float:
        cov = set(covered)
        return sum(w for t, w in weights.items() if t in sent_terms[i] and t not in cov)

    def in_focus(i: int) -> bool:
        return focus is not None and spans[i][0] < focus[1] and spans[i][1] > focus[0]

    total = sum(weights.values()) or 1.0
    scores = [lex(i) / total + (0.35 if in_focus(i) else 0.0) for i in range(len(spans))]
    anchor = max(range(len(spans)), key=lambda i: (scores[i], -i))
    chosen = {anchor}
    s, e = spans[anchor]
    if e - s > max_chars:
        ws, we = _trim_long(text, s, e, weights, max_chars)
        return _render(text, [(ws, we)], spans[0][0], spans[-1][1])
    length = e - s
    covered = set(sent_terms[anchor]) & set(weights)
    while len(chosen) < max_sentences:
        best_i, best_gain = None, 0.0
        for i in range(len(spans)):
            if i in chosen:
                continue
            size = spans[i][1] - spans[i][0] + len(GAP)
            if length + size > max_chars:
                continue
            gain = lex(i, covered) / total
            adjacent = (i - 1 in chosen) or (i + 1 in chosen)
            if adjacent:
                gain += (0.2 if length < min_chars else 0.0) + (0.03 if in_focus(i) else 0.0)
                if i == max(chosen) + 1:
                    gain += 0.01  # read on rather than back
            elif gain < 0.25:  # a far-away sentence must bring real new evidence to be worth a gap
                gain = 0.0
            if gain > best_gain + 1e-9:
                best_i, best_gain = i, gain
        if best_i is None or best_gain < 0.04:
            break
        chosen.add(best_i)
        length += spans[best_i][1] - spans[best_i][0] + len(GAP)
        covered |= sent_terms[best_i] & set(weights)
    # merge runs of adjacent sentences into one verbatim span (keeping the text between them as written)
    pieces: list[tuple[int, int]] = []
    for i in sorted(chosen):
        if pieces and i - 1 in chosen:
            pieces[-1] = (pieces[-1][0], spans[i][1])
        else:
            pieces.append(spans[i])
    return _render(text, pieces, spans[0][0], spans[-1][1])


def _render(text: str, pieces: list[tuple[int, int]], first: int, last: int) -> str:
    out = GAP.join(text[s:e] for s, e in pieces)
    if pieces[0][0] > first:
        out = f"{ELLIPSIS} " + out
    if pieces[-1][1] < last:
        out = out + f" {ELLIPSIS}"
    return out


def is_verbatim(quote: str, source: str) -> bool:
    """True when every "…"-separated piece of the quote stands in the source exactly (whitespace folded)."""
    fold = re.compile(r"\s+")
    src = fold.sub(" ", source)
    parts = [p.strip() for p in quote.split(ELLIPSIS)]
    parts = [p for p in parts if p]
    return bool(parts) and all(fold.sub(" ", p) in src for p in parts)
