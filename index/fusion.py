"""Fusing the dense and the lexical rankings into one.

Two methods are kept so they can be compared by measurement (bench/bench_answers.py): reciprocal rank fusion,
which ignores score scales entirely, and a weighted sum of per-list normalised scores, which keeps how far
ahead a strong hit is. Both are pure functions over ids so they are tested without an index.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import TypeVar

K = TypeVar("K", bound=Hashable)


def rrf(
    rankings: Sequence[Sequence[K]], *, k: float = 60.0, weights: Sequence[float] | None = None
) -> list[tuple[K, float]]:
    """Reciprocal rank fusion: score(id) = sum_i w_i / (k + rank_i(id)), rank 1-based; best first.

    Ties keep the order in which ids were first seen, so the result is deterministic.
    """
    if weights is None:
        weights = [1.0] * len(rankings)
    if len(weights) != len(rankings):
        raise ValueError(f"rrf: {len(rankings)} rankings but {len(weights)} weights")
    scores: dict[K, float] = {}
    for ranking, w in zip(rankings, weights, strict=True):
        seen: set[K] = set()
        for rank, key in enumerate(ranking, start=1):
            if key in seen:  # a list may name an id twice (two chunks of one comment): its best rank counts
                continue
            seen.add(key)
            scores[key] = scores.get(key, 0.0) + w / (k + rank)
    return sorted(scores.items(), key=lambda kv: -kv[1])


def normalise(scores: Mapping[K, float], *, floor: float | None = None) -> dict[K, float]:
    """Scale a list's scores to [0, 1] by its best score (and `floor`, when given, as its zero).

    Dividing by the max (not min-max) keeps a lone weak hit weak relative to the list's scale when a floor is
    given, and avoids min-max turning the last of two near-equal hits into a zero.
    """
    if not scores:
        return {}
    top = max(scores.values())
    lo = 0.0 if floor is None else floor
    span = top - lo
    if span <= 0:  # nothing above the floor: no evidence at all
        return {key: 0.0 for key in scores}
    return {key: max(0.0, (v - lo) / span) for key, v in scores.items()}


def weighted_sum(
    score_lists: Sequence[Mapping[K, float]], weights: Sequence[float], *, floors: Sequence[float | None] | None = None
) -> list[tuple[K, float]]:
    """score(id) = sum_i w_i * normalised_i(id) (0 where list i lacks the id); best first, ties stable."""
    if len(weights) != len(score_lists):
        raise ValueError(f"weighted_sum: {len(score_lists)} lists but {len(weights)} weights")
    floors = list(floors) if floors is not None else [None] * len(score_lists)
    out: dict[K, float] = {}
    for scores, w, fl in zip(score_lists, weights, floors, strict=True):
        for key, v in normalise(scores, floor=fl).items():
            out[key] = out.get(key, 0.0) + w * v
    return sorted(out.items(), key=lambda kv: -kv[1])


def best_per_key(hits: Sequence[tuple[K, float]]) -> dict[K, float]:
    """Collapse (id, score) pairs to each id's best score, keeping first-seen order (the ranking's order)."""
    out: dict[K, float] = {}
    for key, s in hits:
        if key not in out or s > out[key]:
            out[key] = s
    return out
