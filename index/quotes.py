"""Cutting a short, verbatim quote out of one record: the sentences that answer the question, "…" where skipped.

A retrieved chunk is up to ~160 tokens, too long for a Discord answer and often only half on point; the quote is
the record's own sentences (exact substrings of `Record.text`), chosen by the question's content words and the
span of the chunk that matched, so nothing is paraphrased and the reader can see where the comment goes on.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache

from index.chatter import chatter_score
from index.text import WORD_RE, sentence_spans, stem
from index.text import content_terms as _content_terms

ELLIPSIS = "…"
GAP = f" {ELLIPSIS} "

# The corpus' generic vocabulary: every record shares it, so it cannot tell one answer (or one off-topic question)
# from another.
GENERIC = frozenset(
    """social media sm business businesses company companies organization organizations organisation firm firms
    brand brands work help people online web internet tool tools""".split()
)
GENERIC_STEMS = frozenset(stem(w) for w in GENERIC)


def content_terms(text: str, *, drop_generic: bool = False) -> list[str]:
    """The text's distinct content stems (index.text), optionally without the corpus-generic ones."""
    terms = _content_terms(text)
    return [t for t in terms if t not in GENERIC_STEMS] if drop_generic else terms


# A sentence opening with one of these leans on the sentence before it ("… Unless they're run by the mob.").
_LEANS_BACK = re.compile(
    r"^(?:unless|but|and|or|nor|so|because|which|however|otherwise|also|then|plus|yet|still|instead|hence|thus|"
    r"therefore|likewise|that's\s+why|this\s+is\s+why|that\s+is\s+why|even\s+so|same\s+(?:here|goes)|if\s+so|"
    r"if\s+not|not\s+only|in\s+that\s+case|exactly|true|agreed|absolutely)\b",
    re.IGNORECASE,
)
_LIST_ITEM = re.compile(r"^\s*[(\[]?(?:\d{1,2}|[a-z])[.)\]]\s", re.IGNORECASE)
LONG_SENTENCE = 900  # a single sentence longer than this (a run-on) is shown in part, said with "…"


def is_question(sentence: str) -> bool:
    """A sentence that asks (closing quotes and brackets aside): a poor anchor, and it brings its answer."""
    return sentence.rstrip("\"'”’) ").endswith("?")


def _leans_back(sentence: str) -> bool:
    return bool(_LEANS_BACK.match(sentence.lstrip("\"'“‘(-–— ")))


def _window(text: str, s: int, e: int, weights: Mapping[str, float], limit: int) -> tuple[int, int]:
    """The part of an over-long sentence (a run-on) to show: `limit` characters around its best-weighted word,
    starting after a clause boundary (, ; : –) where one is near, else at a word, ending at a word."""
    best, at = 0.0, s
    for m in WORD_RE.finditer(text, s, e):
        w = weights.get(stem(m.group()), 0.0)
        if w > best:
            best, at = w, m.start()
    lo = max(s, min(at - limit // 3, e - limit))
    if lo > s:
        head = text[lo:at]
        cut = max(head.rfind(p) for p in (", ", "; ", ": ", " – ", " — "))
        lo = lo + cut + 2 if cut >= 0 else lo + max(0, head.find(" ") + 1)
    hi = min(e, lo + limit)
    if hi < e:
        hi = lo + text[lo:hi].rfind(" ")
    return lo, hi


@lru_cache(maxsize=4096)
def _sentences_of(text: str) -> tuple[list[tuple[int, int]], list[str], list[frozenset[str]], list[float]]:
    """A record's sentences, their content stems and chatter scores: the same record is quoted again and again
    (popular answers, More, topics), and its text never changes (str hashes are cached, so the key is cheap)."""
    spans = sentence_spans(text)
    sents = [text[s:e] for s, e in spans]
    return spans, sents, [frozenset(content_terms(x)) for x in sents], [chatter_score(x) for x in sents]


def cut_quote(
    text: str,
    weights: Mapping[str, float] | None = None,
    *,
    focus: tuple[int, int] | None = None,
    sentence_scores: Sequence[float] | None = None,
    max_chars: int = 360,
    max_sentences: int = 3,
    min_chars: int = 200,
) -> str:
    """The sentences of `text` that best answer a question whose stems weigh `weights`, whole and verbatim.

    The anchor is the sentence that answers best: its cosine with the question (`sentence_scores`, one per
    `sentence_spans(text)`, when the generation has sentence vectors) plus its share of the question's word weight;
    a sentence that only asks, or is chatter, makes a poor anchor. Around it, so the quote reads on its own:
    - a sentence that leans on the one before ("Unless …", "But …", "Which …") brings that one along;
    - a question brings its answer (the next sentence), so "…" never falls between them;
    - a list item ("1. We are.") brings its lead-in, or the items after it;
    - neighbours join while the quote is short, far sentences only with strong new evidence, up to `max_chars`
      (a single sentence is never cut unless it is a run-on of more than LONG_SENTENCE characters).
    Pieces are joined with " … ", and a leading or trailing "…" says the record goes on before or after. With no
    weights, scores or focus, the quote is the record's opening.
    """
    weights = weights or {}
    spans, sents, sent_terms, chatter = _sentences_of(text)
    if not spans:
        return ""
    n = len(spans)
    total = sum(weights.values()) or 1.0
    sem = list(sentence_scores) if sentence_scores is not None and len(sentence_scores) == n else None
    top_sem = max(sem) if sem else 0.0

    def lex(i: int, covered: Iterable[str] = ()) -> float:
        cov = set(covered)
        return sum(w for t, w in weights.items() if t in sent_terms[i] and t not in cov) / total

    def in_focus(i: int) -> bool:
        return focus is not None and spans[i][0] < focus[1] and spans[i][1] > focus[0]

    def quality(i: int) -> float:
        q = (sem[i] / top_sem if sem and top_sem > 0 else 0.0) + lex(i) + (0.15 if in_focus(i) else 0.0)
        return q - 0.35 * chatter[i] - (0.25 if is_question(sents[i]) else 0.0)

    anchor = 0 if not weights and not sem and focus is None else max(range(n), key=lambda i: (quality(i), -i))
    chosen = {anchor}

    def length() -> int:
        return sum(spans[i][1] - spans[i][0] for i in chosen) + len(GAP) * (len(chosen) - 1)

    def fits(i: int) -> bool:
        return length() + spans[i][1] - spans[i][0] + len(GAP) <= max_chars

    def needs(i: int) -> list[int]:
        out = []
        if i > 0 and (_leans_back(sents[i]) or is_question(sents[i - 1])):
            out.append(i - 1)
        if i + 1 < n and (is_question(sents[i]) or sents[i].rstrip().endswith(":")):
            out.append(i + 1)
        if _LIST_ITEM.match(sents[i]) and len(sents[i].split()) < 12:
            if i > 0 and not _LIST_ITEM.match(sents[i - 1]):
                out.append(i - 1)
            elif i + 1 < n:
                out.append(i + 1)
        return out

    def close() -> None:
        """Adds what the chosen sentences need to read on their own (room permitting, or for the anchor alone)."""
        todo = list(chosen)
        while todo:
            for j in needs(todo.pop()):
                if j not in chosen and len(chosen) < max_sentences + 2 and (fits(j) or len(chosen) == 1):
                    chosen.add(j)
                    todo.append(j)

    close()
    covered = set().union(*(sent_terms[i] for i in chosen)) & set(weights)
    while len(chosen) < max_sentences:
        best_i, best_gain = None, 0.0
        for i in range(n):
            if i in chosen or not fits(i):
                continue
            gain = lex(i, covered) + (0.5 * max(0.0, sem[i] / top_sem - 0.6) if sem and top_sem > 0 else 0.0)
            gain -= 0.3 * chatter[i]
            if (i - 1 in chosen) or (i + 1 in chosen):
                gain += (0.25 if length() < min_chars else 0.0) + (0.03 if in_focus(i) else 0.0)
                gain += 0.01 if i == max(chosen) + 1 else 0.0  # read on rather than back
            elif gain < 0.3:  # a far-away sentence must bring real new evidence to be worth a gap
                gain = 0.0
            if gain > best_gain + 1e-9:
                best_i, best_gain = i, gain
        if best_i is None or best_gain < 0.05:
            break
        chosen.add(best_i)
        covered |= sent_terms[best_i] & set(weights)
        close()
    # merge runs of adjacent sentences into one verbatim span (keeping the text between them as written)
    pieces: list[tuple[int, int]] = []
    for i in sorted(chosen):
        if pieces and i - 1 in chosen:
            pieces[-1] = (pieces[-1][0], spans[i][1])
        else:
            pieces.append(spans[i])
    if len(pieces) == 1 and pieces[0][1] - pieces[0][0] > LONG_SENTENCE:
        pieces = [_window(text, pieces[0][0], pieces[0][1], weights, LONG_SENTENCE)]
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
