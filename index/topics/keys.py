"""Topic keys that survive a rebuild: each new cluster inherits the key of the previous generation's topic whose
comments it mostly holds, so `prompts/topics.toml` lines (renames, merges) and bookmarked keys keep working when a
page is added. Only a cluster that holds no earlier topic gets a new key, made from its name."""

from __future__ import annotations

from collections.abc import Sequence

from index.topics.model import Topic, slug

RecKey = tuple[str, str | None]


def match_previous(
    groups: Sequence[set[RecKey]], previous: Sequence[Topic], present: set[RecKey], *, share: float = 0.5
) -> list[Topic | None]:
    """For each new group, the previous topic it continues, or None.

    Pairs are taken greedily by how many comments they share; a pair counts when the shared comments are at least
    `share` of the smaller side (the old topic's comments still in the corpus, or the new group). So a topic that
    gains a page keeps its key, the larger half of a split keeps it, and of two merged topics the larger one's
    key survives. Each previous topic continues at most once.
    """
    olds = [{(m[0], m[1]) for m in t.members} & present for t in previous]
    pairs = []
    for i, old in enumerate(olds):
        if not old:
            continue
        for j, new in enumerate(groups):
            o = len(old & new)
            if o and o >= share * min(len(old), len(new)):
                pairs.append((o, -i, -j))
    out: list[Topic | None] = [None] * len(groups)
    taken: set[int] = set()
    for _, mi, mj in sorted(pairs, reverse=True):
        i, j = -mi, -mj
        if i in taken or out[j] is not None:
            continue
        out[j] = previous[i]
        taken.add(i)
    return out


def assign_keys(names: Sequence[str], inherited: Sequence[Topic | None], previous: Sequence[Topic] = ()) -> list[str]:
    """Inherited keys first; a new topic's key is its name's slug, never one in use or one an earlier topic had
    (an admin's line about a retired topic must not silently apply to a different one)."""
    keys: list[str | None] = [t.key if t is not None else None for t in inherited]
    used = {k for k in keys if k} | {t.key for t in previous}
    for j, name in enumerate(names):
        if keys[j] is not None:
            continue
        base = slug(name) or f"topic-{j + 1}"
        key, n = base, 2
        while key in used:
            key, n = f"{base}-{n}", n + 1
        used.add(key)
        keys[j] = key
    return [k or "" for k in keys]
