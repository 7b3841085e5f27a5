"""Deriving a generation's topics: comments (never chatter) clustered, named, and keyed against the previous
generation's topics so a rebuild keeps what admins and users refer to."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from index.chatter import is_chatter
from index.models import Chunk, Record
from index.topics.cluster import centred, default_k, fold_small, kmeans, record_vectors
from index.topics.keys import assign_keys, match_previous
from index.topics.model import Topic, save_topics
from index.topics.naming import Embed, name_clusters

log = logging.getLogger(__name__)


def _previous_centres(previous: Sequence[Topic], recs: Sequence[Record], x: np.ndarray) -> np.ndarray | None:
    """Where the previous topics sit in today's vectors: the mean of their members that are still here."""
    row = {(r.post_id, r.comment_id): i for i, r in enumerate(recs)}
    centres = []
    for t in previous:
        rows = [row[(m[0], m[1])] for m in t.members if (m[0], m[1]) in row]
        if rows:
            c = x[rows].sum(axis=0)
            centres.append(c / (np.linalg.norm(c) or 1.0))
    return np.stack(centres) if centres else None


def derive_topics(
    records: Sequence[Record], chunks: Sequence[Chunk], vectors: Any, out_dir: Path | None = None, *,
    k: int | None = None, min_size: int = 3, seed: int = 0, previous: Sequence[Topic] | None = None,
    embed: Embed | None = None,
) -> list[Topic]:
    """Cluster the comments (posts only when there are no comments) and write `out_dir/topics.json`.

    Chatter ("Great post!", "Waste management.") joins no topic. With `previous` (the live generation's topics)
    the clustering starts from where those topics were and each cluster inherits the key of the topic it
    continues. `embed` (texts -> vectors, the index's model) lets names prefer phrases close to a cluster's centre.
    Clusters smaller than `min_size` are folded into their nearest neighbour.
    """
    previous = list(previous or ())
    recs, x = record_vectors(records, chunks, vectors)
    subject = x.mean(axis=0) if len(x) else None
    if subject is not None:
        subject = subject / (np.linalg.norm(subject) or 1.0)
    comments = [i for i, r in enumerate(recs) if r.kind == "comment"]
    if len(comments) >= 4:
        recs, x = [recs[i] for i in comments], x[comments]
    said = [i for i, r in enumerate(recs) if not is_chatter(r.text)]
    dropped = len(recs) - len(said)
    recs, x = [recs[i] for i in said], x[said]
    topics: list[Topic] = []
    if len(recs) >= 2:
        z = centred(x)
        k = max(2, min(k or default_k(len(recs)), len(recs)))
        init = _previous_centres(previous, recs, z) if previous else None
        labels, centres = kmeans(z, k, seed=seed, init=init)
        labels, centres = fold_small(z, labels, centres, min_size)
        k = len(centres)
        keys_of = [(r.post_id, r.comment_id) for r in recs]
        groups = [{keys_of[i] for i in np.flatnonzero(labels == j)} for j in range(k)]
        inherited = match_previous(groups, previous, set(keys_of)) if previous else [None] * k
        people = frozenset(w.lower() for r in records if r.author for w in re.findall(r"[A-Za-z]+", r.author))
        raw = np.stack([x[labels == j].sum(axis=0) for j in range(k)])
        raw /= np.linalg.norm(raw, axis=1, keepdims=True)
        named = name_clusters([r.text for r in recs], labels, k, authors=[r.author for r in recs], exclude=people,
                              centres=raw, embed=embed, prefer=[t.name if t else None for t in inherited])
        keys = assign_keys([n or "" for n, _ in named], inherited, previous)
        for j in range(k):
            m = np.flatnonzero(labels == j)
            sims = z[m] @ centres[j]
            order = np.argsort(-sims, kind="stable")
            members = tuple((recs[m[i]].post_id, recs[m[i]].comment_id, round(float(sims[i]), 4)) for i in order)
            name, words = named[j]
            topics.append(Topic(key=keys[j], name=name or f"Topic {j + 1}", size=len(m), words=words,
                                members=members))
        topics.sort(key=lambda t: (-t.size, t.key))
    if out_dir is not None:
        save_topics(topics, Path(out_dir), subject=subject)
    kept = sum(1 for t in topics if t.key in {p.key for p in previous})
    log.info("derived %d topics from %d comments (%d chatter left out; %d of %d earlier keys kept)",
             len(topics), len(recs), dropped, kept, len(previous))
    return topics
