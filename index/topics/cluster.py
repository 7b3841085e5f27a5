"""Grouping the comments: one vector per comment, spherical k-means (optionally warm-started from the previous
build's topics, so one new page moves few comments), tiny clusters folded into their neighbours."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from index.models import Chunk, Record


def record_vectors(
    records: Sequence[Record], chunks: Sequence[Chunk], vectors: Any
) -> tuple[list[Record], np.ndarray]:
    """Mean chunk vector per record (re-normalised): a comment is one voice, however many chunks it spans."""
    if isinstance(vectors, tuple):  # LiveIndex.vectors(): (chunk ids, array)
        ids, arr = vectors
        by_id = {c.chunk_id: c for c in chunks}
        chunks = [by_id[i] for i in ids if i in by_id]
        arr = np.asarray(arr, dtype=np.float32)[[k for k, i in enumerate(ids) if i in by_id]]
    else:
        arr = np.asarray(vectors, dtype=np.float32)
    if len(chunks) != len(arr):
        raise ValueError(f"derive_topics: {len(chunks)} chunks but {len(arr)} vectors")
    index = {(r.post_id, r.comment_id): n for n, r in enumerate(records)}
    rows = np.array([index.get((c.post_id, c.comment_id), -1) for c in chunks], dtype=np.int64)
    keep = rows >= 0
    sums = np.zeros((len(records), arr.shape[1] if arr.ndim == 2 else 0), dtype=np.float32)
    if keep.any():
        np.add.at(sums, rows[keep], arr[keep])
    norms = np.linalg.norm(sums, axis=1)
    has = norms > 0
    recs = [r for r, h in zip(records, has, strict=True) if h]
    return recs, sums[has] / norms[has, None]


def centred(x: np.ndarray) -> np.ndarray:
    """The vectors less their mean, re-normalised. Every comment of a corpus leans the same way (its subject); what
    tells one group from another is the rest, and k-means on raw vectors makes one huge "about the subject" cluster.
    """
    if len(x) < 2:
        return x
    z = x - x.mean(axis=0)
    n = np.linalg.norm(z, axis=1, keepdims=True)
    return z / np.where(n > 0, n, 1.0)


def _seed_more(x: np.ndarray, centres: list[np.ndarray], k: int, rng: np.random.Generator) -> np.ndarray:
    """k-means++: add centres, each drawn in proportion to its squared distance from the nearest one so far."""
    n = len(x)
    if not centres:
        centres = [x[rng.integers(n)]]
    d2 = np.min(np.maximum(0.0, 2.0 - 2.0 * (x @ np.stack(centres).T)), axis=1)
    while len(centres) < k:
        p = d2 / d2.sum() if d2.sum() > 0 else np.full(n, 1.0 / n)
        c = x[rng.choice(n, p=p)]
        centres.append(c)
        d2 = np.minimum(d2, np.maximum(0.0, 2.0 - 2.0 * (x @ c)))
    return np.stack(centres).astype(np.float32)


def _lloyd(x: np.ndarray, centres: np.ndarray, iters: int) -> tuple[np.ndarray, np.ndarray]:
    centres = centres.copy()
    labels = np.full(len(x), -1)
    for _ in range(iters):
        new = np.argmax(x @ centres.T, axis=1)
        if np.array_equal(new, labels):
            break
        labels = new
        for j in range(len(centres)):
            m = labels == j
            if m.any():
                c = x[m].sum(axis=0)
                centres[j] = c / (np.linalg.norm(c) or 1.0)
    return labels, centres


def kmeans(
    x: np.ndarray, k: int, *, iters: int = 25, seed: int = 0, n_init: int = 4, sample: int = 20000,
    init: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Spherical k-means, deterministic for a seed. Without `init`: k-means++ seeding, best of n_init runs. With
    `init` (earlier centres, at most k): one run from them, k-means++ only for the centres still missing, so the
    clusters of a rebuild stay where they were unless the data moved them. Large inputs are fitted on a fixed
    random sample and then all assigned (topics need the big picture, not every point's vote)."""
    rng = np.random.default_rng(seed)
    fit = x if len(x) <= sample else x[np.sort(rng.choice(len(x), sample, replace=False))]
    if init is not None and len(init):
        start = _seed_more(fit, [np.asarray(c, dtype=np.float32) for c in init[:k]], k, rng)
        _, centres = _lloyd(fit, start, iters)
        return np.argmax(x @ centres.T, axis=1), centres
    best: tuple[float, np.ndarray] | None = None
    for _ in range(max(1, n_init)):
        labels, centres = _lloyd(fit, _seed_more(fit, [], k, rng), iters)
        score = float((fit @ centres.T)[np.arange(len(fit)), labels].sum())
        if best is None or score > best[0] + 1e-6:
            best = (score, centres)
    assert best is not None
    centres = best[1]
    return np.argmax(x @ centres.T, axis=1), centres


def fold_small(x: np.ndarray, labels: np.ndarray, centres: np.ndarray, min_size: int) -> tuple[np.ndarray, np.ndarray]:
    """Fold clusters under `min_size` into their nearest live neighbour (smallest first), then number the rest
    0..k'-1 and recompute their centres."""
    labels = labels.copy()
    k = len(centres)
    for _ in range(k):
        sizes = np.bincount(labels, minlength=k)
        live = [j for j in range(k) if sizes[j] > 0]
        small = [j for j in live if sizes[j] < min_size]
        if not small or len(live) <= 2:
            break
        j = min(small, key=lambda j: (sizes[j], j))
        others = [o for o in live if o != j]
        m = labels == j
        labels[m] = np.asarray(others)[np.argmax(x[m] @ centres[others].T, axis=1)]
    ids = sorted(set(labels.tolist()))
    remap = np.full(k, -1)
    remap[ids] = np.arange(len(ids))
    labels = remap[labels]
    new = np.stack([x[labels == j].sum(axis=0) for j in range(len(ids))])
    new /= np.linalg.norm(new, axis=1, keepdims=True)
    return labels, new


def default_k(n: int) -> int:
    """About sqrt(n/2), within 2..24: enough topics to browse, few enough to read as a list."""
    return max(2, min(24, int(round(np.sqrt(n / 2))), n))
