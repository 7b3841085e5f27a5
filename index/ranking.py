"""Ranking candidate records: which comments answer the question, as one score from several signals.

Signals of one candidate record (a comment or a post), each scaled by the best candidate's value:
  dense     best cosine of the record's chunks with the question (Chroma's answer);
  sentence  best cosine of one of its sentences that is not itself a question (index.sentences): a comment whose
            one sentence makes the point is not diluted by the rest of its chunk, and a sentence that only asks
            ("Why bother?") is no evidence that the comment answers;
  bm25      best BM25 score of its chunks (stemmed: index.text);
  coverage  share of the question's idf-weighted stems that the whole record uses.
Priors: a post mostly asks the question its comments answer, so it counts `post_weight` of its score; chatter
(greetings, thanks, "great post", bare quips: index.chatter) is never a candidate at all.

Weights were chosen on judged tuning questions (bench/quality.py) and are plain settings; see docs/retrieval.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

RecKey = tuple[str, "str | None"]

# Chosen on the tuning questions (docs/retrieval.md, "What each change bought").
WEIGHTS = {"dense": 1.0, "sentence": 1.0, "bm25": 1.0, "coverage": 1.0}
POST_WEIGHT = 0.75


@dataclass
class Candidate:
    key: RecKey
    kind: str = "comment"
    dense: float = 0.0
    sentence: float = 0.0
    bm25: float = 0.0
    coverage: float = 0.0
    chunk_span: tuple[int, int] | None = None  # the best-matching chunk's span, when one was retrieved
    score: float = 0.0
    parts: dict[str, float] = field(default_factory=dict)


def _scaled(values: list[float]) -> list[float]:
    top = max(values, default=0.0)
    return [max(0.0, v) / top if top > 0 else 0.0 for v in values]


def fuse(cands: list[Candidate], mode: str = "hybrid", weights: Mapping[str, float] | None = None,
         post_weight: float = POST_WEIGHT) -> list[Candidate]:
    """Scores every candidate and returns them best first (ties keep retrieval order)."""
    if not cands:
        return []
    if mode == "dense":
        for c in cands:
            c.score = c.dense
        ranked = [c for c in cands if c.dense > 0]
    elif mode == "bm25":
        for c in cands:
            c.score = c.bm25
        ranked = [c for c in cands if c.bm25 > 0]
    else:
        w = dict(WEIGHTS if weights is None else weights)
        cols = {name: _scaled([getattr(c, name) for c in cands]) for name in w}
        for i, c in enumerate(cands):
            c.parts = {name: w[name] * cols[name][i] for name in w}
            c.score = sum(c.parts.values()) * (post_weight if c.kind == "post" else 1.0)
        ranked = list(cands)
    order = sorted(range(len(ranked)), key=lambda i: (-ranked[i].score, i))
    return [ranked[i] for i in order]


def coverage(weights: Mapping[str, float], terms: frozenset[str] | set[str]) -> float:
    """Share of the question's weight held by a record's stems."""
    total = sum(weights.values())
    return sum(w for t, w in weights.items() if t in terms) / total if total > 0 else 0.0
