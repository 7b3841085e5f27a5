"""Naming a cluster of comments the way a person would: by the phrase its comments share and others do not.

Candidates are the noun phrases of the comments (runs of content words whose last word can be a noun, "return on
investment" style connectors allowed, never starting or ending on a function word or conversational filler, never
an author's name), counted once per comment under their stems so "measuring ROI" and "measure ROI" are one phrase.
Each is scored by class-based TF-IDF (the share of the cluster's comments that use it, times the log of how much
likelier it is there than in the whole corpus); a phrase used by one person only never names a topic, nor does the
corpus' own subject (what the other clusters say as much), nor its acronym. The best phrase grows into a longer
one when most of its comments use the longer form ("risk" -> "legal risk"); a second, unrelated phrase that is
nearly as good joins it ("Legal risk and employees"). With the model, candidates are re-ranked by how close their
embedding is to the cluster's centre (KeyBERT's idea), which prefers "privacy" to "details". No list of topic
words: only English function words, filler and blog talk, so it holds for any corpus.
"""

from __future__ import annotations

import logging
import math
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from index.chatter import FILLER_WORDS, substance
from index.text import STOPWORDS, sentence_spans, stem

Embed = Callable[[list[str]], np.ndarray]
log = logging.getLogger(__name__)

# Words that never start or end a topic name: grammar, conversational filler, and blog talk (posts, comments).
# General English; nothing about this corpus' subject.
EDGE_STOP = STOPWORDS | FILLER_WORDS | frozenset(
    """post posts blog blogs blogger comment comments commenter article thank thanks great agree agreed example
    simply continue actually really maybe probably sure right wrong true fact idea ideas first last next little big
    long different same another etc via http https www com org html said says saying talk talking love like feel
    hope glad today year years day days month week always back around come comes coming take takes taking look
    looking give given keep kept call called put seem seems seemed tell told try trying tried however start started
    happen happens happened figure hit lot whole least less without within across though although whether rather
    quite enough either neither instead already anyway else ever hey wow okay nice cool interesting important
    thing things someone somebody everybody nobody people person guy guys folks everything nothing lots plenty able
    doesn didn isn wasn aren don won can't via per vs versus etc including include includes reason reasons stuff
    point question issue issues problem problems part parts case cases side sense term terms kind type types level
    levels number numbers matter fact way ways place places world end top area areas bit real fine hard easy
    true several certain specific sort whatever whoever whenever wherever goes does says makes gets takes gives
    comes helps seems means keeps tries lets sees knows thinks looks feels tells asks""".split()
)
CONNECTORS = frozenset({"of", "on", "for", "in", "with"})
_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9&\-]*(?:['’][A-Za-z]+)?")
_URL = re.compile(r"\bhttps?://\S+|\bwww\.\S+|\S+@\S+\.\w+|@\w+|#\d+")
SIM_POWER = 2.0  # the embedding's say against the counts'
SUBJECT_SHARE = 0.15  # of the other clusters' comments
SYNONYM_COS = 0.6
MAX_TOKENS = 4
MAX_DOCS = 400  # comments read per cluster to name it
MAX_CONTENT = 3


@dataclass(frozen=True)
class Phrase:
    key: tuple[str, ...]  # stems (connectors as they are)
    text: str  # display form
    score: float
    df: int  # comments of the cluster using it
    vec: np.ndarray | None = field(default=None, compare=False, repr=False)  # its embedding, when there is a model


def _is_acronym(tok: str) -> bool:
    return len(tok) >= 2 and tok.isupper() and any(c.isalpha() for c in tok) and tok not in {"OK", "LOL", "OMG"}


@lru_cache(maxsize=100_000)
def word_roles(low: str) -> tuple[bool, bool]:
    """(can end a noun phrase, can modify a noun) from LemmInflect's English dictionary. A word it does not know
    (an acronym, a brand, a product) counts as a noun. "hauled", "took", "twice" end no topic name; "legal" only
    modifies ("legal risk"); "measuring" and "shared" modify as verb forms do ("measuring ROI", "shared drive")."""
    from lemminflect import getAllLemmas

    pos = getAllLemmas(low)
    if not pos:
        return True, True
    noun = "NOUN" in pos or "PROPN" in pos
    return noun, noun or "ADJ" in pos or ("VERB" in pos and low.endswith(("ing", "ed")))


def _content(tok: str, low: str, exclude: frozenset[str]) -> bool:
    if low in exclude or not any(c.isalpha() for c in tok):
        return False
    if _is_acronym(tok):
        return low not in STOPWORDS or tok in {"IT", "US"}
    return len(low) >= 3 and low not in EDGE_STOP and stem(low) not in EDGE_STOP


class _Counts:
    """Per-comment phrase sets, phrase surfaces, and how each word is written in running text (for display)."""

    def __init__(self, exclude: frozenset[str]) -> None:
        self.exclude = exclude
        self.docs: list[set[tuple[str, ...]]] = []
        self.surface: dict[tuple[str, ...], Counter[str]] = defaultdict(Counter)
        self.case: dict[str, Counter[str]] = defaultdict(Counter)

    def add(self, text: str) -> None:
        found: set[tuple[str, ...]] = set()
        for s, e in sentence_spans(text):
            sentence = text[s:e]
            if substance(sentence) == 0.0:  # pleasantries only: "Great post!", "Thanks, Amber."
                continue
            for run in self._runs(_URL.sub(" | ", sentence)):
                self._ngrams(run, found)
        self.docs.append(found)

    def _runs(self, sentence: str) -> list[list[tuple[str, str, bool]]]:
        """Runs of (token, lowercase, is_content) between punctuation marks."""
        runs: list[list[tuple[str, str, bool]]] = [[]]
        last = 0
        for i, m in enumerate(_TOKEN.finditer(sentence)):
            gap = sentence[last:m.start()]
            if gap.strip():
                runs.append([])
            last = m.end()
            tok = m.group().replace("’", "'")
            if tok.lower().endswith("'s"):
                tok = tok[:-2]
            low = tok.lower()
            if i > 0 or not tok[:1].isupper() or _is_acronym(tok):  # a capital at a sentence start says nothing
                self.case[low][tok] += 1
            runs[-1].append((tok, low, _content(tok, low, self.exclude)))
        return [r for r in runs if r]

    def _ngrams(self, run: list[tuple[str, str, bool]], found: set[tuple[str, ...]]) -> None:
        for i, (_, _, ci) in enumerate(run):
            if not ci:
                continue
            n_content = 0
            for j in range(i, min(len(run), i + MAX_TOKENS)):
                tok, low, cj = run[j]
                if cj:
                    n_content += 1
                elif low not in CONNECTORS or run[j - 1][1] in CONNECTORS:
                    break
                if n_content > MAX_CONTENT:
                    break
                if not cj or not word_roles(low)[0]:
                    continue
                span = run[i:j + 1]
                if not all(word_roles(lw)[1] for _, lw, c in span[:-1] if c):
                    break
                key = tuple(stem(lw) if c else lw for _, lw, c in span)
                found.add(key)
                self.surface[key][" ".join(lw for _, lw, _ in span)] += 1

    def display(self, key: tuple[str, ...]) -> str:
        """The phrase as people write it: its commonest form, each word in its commonest case ("ROI", "Twitter")."""
        text = self.surface[key].most_common(1)[0][0]
        return " ".join(self.case[w].most_common(1)[0][0] if w in self.case else w for w in text.split())


def score_phrase(in_cluster: int, size: int, in_corpus: int, n_docs: int) -> float:
    """Class-based TF-IDF on comment counts: the share of the cluster using the phrase times the log of its lift
    over the corpus. A phrase that a good part of the other clusters' comments use too (the corpus' own subject:
    "social media" in a corpus about social media) names nothing, however often this cluster says it."""
    outside = (in_corpus - in_cluster) / max(1, n_docs - size)
    if outside > SUBJECT_SHARE and n_docs - size >= 10:
        return 0.0
    share = in_cluster / size
    lift = share / (in_corpus / n_docs)
    return share * math.log(lift) if lift > 1.0 else 0.0


def _contains(long: tuple[str, ...], short: tuple[str, ...]) -> bool:
    n = len(short)
    return len(long) > n and any(long[i:i + n] == short for i in range(len(long) - n + 1))


def _stems(key: tuple[str, ...]) -> set[str]:
    return {s for s in key if s not in CONNECTORS}


def rank_phrases(
    texts: Sequence[str], labels: np.ndarray, k: int, *, authors: Sequence[str | None] | None = None,
    exclude: frozenset[str] = frozenset(), centres: np.ndarray | None = None, embed: Embed | None = None,
    top: int = 12, max_docs: int = MAX_DOCS,
) -> tuple[list[list[Phrase]], _Counts]:
    """Each cluster's candidate phrases, best first (at most `top`). A cluster larger than `max_docs` is read
    through an evenly spaced sample of that many comments, each standing for size/max_docs of them: shares are
    what names need, and the cost stays flat at 100,000 comments."""
    labels = np.asarray(labels)
    sizes = np.bincount(labels, minlength=k)
    rows: list[int] = []
    weight = np.ones(k)
    for j in range(k):
        idx = np.flatnonzero(labels == j)
        if len(idx) > max_docs:
            idx = idx[np.linspace(0, len(idx) - 1, max_docs).astype(int)]
            weight[j] = sizes[j] / len(idx)
        rows.extend(idx.tolist())
    rows.sort()
    counts = _Counts(exclude)
    for i in rows:
        counts.add(texts[i])
    n_docs = max(1, len(texts))
    df: dict[tuple[str, ...], float] = defaultdict(float)
    per: list[Counter[tuple[str, ...]]] = [Counter() for _ in range(k)]
    who: list[dict[tuple[str, ...], set[str]]] = [defaultdict(set) for _ in range(k)]
    for i, d in zip(rows, counts.docs, strict=True):
        lab = int(labels[i])
        per[lab].update(d)
        a = (authors[i] if authors is not None else None) or f"#{i}"
        for key in d:
            df[key] += weight[lab]
            who[lab][key].add(a.casefold())
    read = np.bincount(labels[rows], minlength=k) if rows else np.zeros(k, dtype=int)
    # the corpus' subject: phrases in more than 30% of all its comments (with few clusters, that could be one
    # cluster's own word, so then it must be in more than 15% of every cluster's comments)
    wide = Counter(key for j in range(k) for key, c in per[j].items() if c > SUBJECT_SHARE * max(1, read[j]))
    heads = {key for key, c in df.items() if c > 2 * SUBJECT_SHARE * n_docs and (k >= 4 or wide[key] == k)}
    subject = _subject_acronyms(heads, counts)
    out: list[list[Phrase]] = []
    for j in range(k):
        size = max(1, int(sizes[j]))
        scored: list[Phrase] = []
        for key, c in per[j].items():
            if c < 2 or len(who[j][key]) < 2 or subject & set(key) or _ends_in(key, heads):
                continue  # one comment, or one person, never names a topic; nor "SM" for "social media", nor
                # "using social media": the subject may qualify a name ("social media policy"), not end it
            sc = score_phrase(c * weight[j], size, df[key], n_docs)
            if sc <= 0.0:
                continue
            scored.append(Phrase(key, "", sc, c))
        scored.sort(key=lambda p: (-p.score, len(p.key), p.key))
        scored = _grow(scored)[: top * 2]
        out.append([Phrase(p.key, counts.display(p.key), p.score, p.df) for p in scored])
    texts_all = list(dict.fromkeys(p.text for ps in out for p in ps))
    vecs = _embeddings(embed, texts_all, centres) if texts_all else None  # one model call for all clusters
    if vecs is not None and centres is not None:
        row = {t: i for i, t in enumerate(texts_all)}
        for j, ps in enumerate(out):
            rescored = [Phrase(p.key, p.text, p.score * max(0.0, float(vecs[row[p.text]] @ centres[j])) ** SIM_POWER,
                               p.df, vecs[row[p.text]]) for p in ps]
            out[j] = sorted(rescored, key=lambda p: (-p.score, len(p.key), p.key))
    return [ps[:top] for ps in out], counts


def _ends_in(key: tuple[str, ...], heads: set[tuple[str, ...]]) -> bool:
    return any(len(key) > n and key[-n:] in heads for n in range(1, len(key)))


def _subject_acronyms(heads: set[tuple[str, ...]], counts: _Counts) -> set[str]:
    """Acronyms of the corpus' subject ("sm" where "social media" is everywhere): the subject by another name."""
    initials = {"".join(w[0] for w in counts.surface[key].most_common(1)[0][0].split())
                for key in heads if len(key) > 1}
    return {key[0] for key in counts.surface if len(key) == 1 and key[0] in initials}


def _embeddings(embed: Embed | None, texts: list[str], centres: np.ndarray | None) -> np.ndarray | None:
    """Unit embeddings of the phrases; None without a model (or if it fails: names then rest on the counts alone,
    which is no reason to fail a build)."""
    if embed is None or centres is None:
        return None
    try:
        vecs = np.asarray(embed(texts), dtype=np.float32)
    except Exception as e:  # noqa: BLE001 - any model failure degrades naming, never the build
        log.warning("topic names without the model (%s: %s)", type(e).__name__, e)
        return None
    if vecs.shape != (len(texts), centres.shape[1]):
        return None
    return vecs / (np.linalg.norm(vecs, axis=1, keepdims=True) + 1e-9)


def _grow(scored: list[Phrase]) -> list[Phrase]:
    """Let a longer phrase stand for a shorter one inside it when most of the shorter one's comments use it
    ("risk" used in 6 comments, "legal risk" in 4 of them: the topic is about legal risk)."""
    out: list[Phrase] = []
    taken: set[tuple[str, ...]] = set()
    for p in scored:
        if p.key in taken:
            continue
        longer = [q for q in scored if _contains(q.key, p.key) and q.df * 2 >= p.df and q.key not in taken]
        best = max(longer, key=lambda q: (q.df, -len(q.key), q.score), default=None)
        if best is not None:
            out.append(Phrase(best.key, "", p.score, best.df))
            taken.update({best.key, p.key})
        else:
            out.append(p)
            taken.add(p.key)
    return out


def _same_thing(a: Phrase, b: Phrase) -> bool:
    """Two names for one thing ("tweet" and "Twitter"): their embeddings are close."""
    return a.vec is not None and b.vec is not None and float(a.vec @ b.vec) > SYNONYM_COS


def compose_name(phrases: Sequence[Phrase], *, second: float = 0.6, max_chars: int = 42) -> tuple[str, list[Phrase]]:
    """One phrase, or two unrelated ones joined by "and" when the second is nearly as good: a name, not a list.
    The second never repeats the first, in its words or (with a model) in its meaning."""
    if not phrases:
        return "", []
    first = phrases[0]
    used = [first]
    for p in phrases[1:]:
        if p.score < second * first.score:
            break
        if _stems(p.key) & _stems(first.key) or _same_thing(p, first):
            continue
        if len(first.text) + len(p.text) + 5 <= max_chars:
            used.append(p)
        break
    text = " and ".join(p.text for p in used)
    return text[:1].upper() + text[1:], used


def _fits(name: str, phrases: Sequence[Phrase], top: int = 8) -> list[Phrase] | None:
    """The phrases that still carry an earlier name, or None: each part of it ("Campaigns and ROI") must still be
    inside one of the cluster's best `top` phrases ("campaign ROI" carries both parts)."""
    best = phrases[:top]
    used: list[Phrase] = []
    for part in name.split(" and "):
        stems = {stem(w) for w in part.lower().split() if w not in CONNECTORS}
        p = next((p for p in best if stems and stems <= _stems(p.key)), None)
        if p is None:
            return None
        if p not in used:
            used.append(p)
    return used


def name_clusters(
    texts: Sequence[str], labels: np.ndarray, k: int, *, authors: Sequence[str | None] | None = None,
    exclude: frozenset[str] = frozenset(), centres: np.ndarray | None = None, embed: Embed | None = None,
    prefer: Sequence[str | None] | None = None,
) -> list[tuple[str, tuple[str, ...]]]:
    """(name, words) for every cluster; names are distinct, words are those its quotes are cut around.

    `prefer` holds each cluster's earlier name (the topic it continues): kept while it still fits, so a rebuild
    does not rename a topic over a slightly different ranking.
    """
    ranked, _ = rank_phrases(texts, labels, k, authors=authors, exclude=exclude, centres=centres, embed=embed)
    claimed: set[tuple[str, ...]] = set()
    result: list[tuple[str, tuple[str, ...]]] = [("", ())] * k
    kept: dict[int, list[Phrase]] = {}
    for j in range(k):
        old = prefer[j] if prefer is not None else None
        used = _fits(old, ranked[j]) if old else None
        if used and not {p.key for p in used} & claimed:
            kept[j] = used
            claimed.update(p.key for p in used)
            result[j] = (str(old), ())
    # distinct names: the cluster whose best phrase scores highest keeps it, the other moves to its next one
    order = sorted(range(k), key=lambda j: -(ranked[j][0].score if ranked[j] else 0.0))
    for j in order:
        if j in kept:
            used = kept[j]
            options = [p for p in ranked[j] if p not in used]
            name = result[j][0]
        else:
            options = [p for p in ranked[j] if p.key not in claimed]
            name, used = compose_name(options)
            claimed.update(p.key for p in used)
        words = tuple(dict.fromkeys(w for p in (used + options)[:6] for w in p.text.lower().split()
                                    if w not in CONNECTORS))[:6]
        result[j] = (name, words)
    return result
