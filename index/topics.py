"""Topics: clusters of the comment vectors, named by their distinctive words, plus the admins' overrides.

Derived once per index build (index/build.py calls `derive_topics` before a generation goes live) so a topic
lookup at question time is a dictionary read. Names come from the corpus itself (class-based TF-IDF over each
cluster's comments) because nobody curates a taxonomy for a scraped corpus; admins fix what reads badly in
prompts/topics.toml (rename, merge, add) without rebuilding anything.
"""

from __future__ import annotations

import json
import logging
import math
import re
import tomllib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from index.errors import UserError
from index.models import Chunk, Record
from index.quotes import content_terms

log = logging.getLogger(__name__)

TOPICS_FILE = "topics.json"
FORMAT = 1


@dataclass(frozen=True)
class Topic:
    """One topic as listed to users: a stable key, a display name, how many records it holds, its words."""

    key: str
    name: str
    size: int
    words: tuple[str, ...] = ()
    # (post_id, comment_id, similarity to the topic's centre), best first; empty for a query-defined topic
    members: tuple[tuple[str, str | None, float], ...] = field(default=(), repr=False, compare=False)
    query: str | None = None  # an admin-added topic is answered as this question

    def to_json(self) -> dict[str, Any]:
        return {"key": self.key, "name": self.name, "size": self.size, "words": list(self.words)}


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.casefold()).strip("-")


def _record_vectors(
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


def _kmeans_once(x: np.ndarray, k: int, iters: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    n = len(x)
    centres = np.empty((k, x.shape[1]), dtype=np.float32)
    centres[0] = x[rng.integers(n)]
    d2 = np.maximum(0.0, 2.0 - 2.0 * (x @ centres[0]))
    for j in range(1, k):
        p = d2 / d2.sum() if d2.sum() > 0 else np.full(n, 1.0 / n)
        centres[j] = x[rng.choice(n, p=p)]
        d2 = np.minimum(d2, np.maximum(0.0, 2.0 - 2.0 * (x @ centres[j])))
    labels = np.full(n, -1)
    for _ in range(iters):
        new = np.argmax(x @ centres.T, axis=1)
        if np.array_equal(new, labels):
            break
        labels = new
        for j in range(k):
            m = labels == j
            if m.any():
                c = x[m].sum(axis=0)
                centres[j] = c / (np.linalg.norm(c) or 1.0)
    return labels, centres


def kmeans(
    x: np.ndarray, k: int, *, iters: int = 25, seed: int = 0, n_init: int = 4, sample: int = 20000
) -> tuple[np.ndarray, np.ndarray]:
    """Spherical k-means, k-means++ seeding, best of n_init runs; deterministic for a seed. Large inputs are fitted
    on a fixed random sample and then all assigned (topics need the big picture, not every point's vote)."""
    rng = np.random.default_rng(seed)
    fit = x if len(x) <= sample else x[np.sort(rng.choice(len(x), sample, replace=False))]
    best: tuple[float, np.ndarray] | None = None
    for _ in range(max(1, n_init)):
        labels, centres = _kmeans_once(fit, k, iters, rng)
        score = float((fit @ centres.T)[np.arange(len(fit)), labels].sum())
        if best is None or score > best[0] + 1e-6:
            best = (score, centres)
    assert best is not None
    centres = best[1]
    return np.argmax(x @ centres.T, axis=1), centres


# Words that say nothing about what a cluster is about: blog-conversation filler that only looks distinctive
# because one thread's commenters happen to use it more.
NAMING_STOP = frozenset(
    """post posts blog comment comments thank thanks great agree agreed point points time times see example simply
    continue read reading write wrote written article question questions answer answers actually really maybe
    probably sure right wrong true fact idea ideas part first last next still little big long different same
    another etc via http https www com org html said says saying talk talking love like feel felt hope glad
    today year years day days month week always back around come comes coming take takes taking look looking
    give given keep kept call called put seem seems seemed tell told mean means meant try trying tried however
    start started happen happens happened figure hit thing things lot whole least less without within across
    though although whether rather quite enough either neither instead already yet anyway else ever every
    hey yes yeah wow okay nice cool interesting important good bad better best great""".split()
)


def _name_clusters(
    texts: Sequence[str], labels: np.ndarray, k: int, n_words: int = 3, exclude: frozenset[str] = frozenset()
) -> list[list[str]]:
    """Each cluster's distinctive words: class-based TF-IDF (share of the cluster's records holding the word, times
    the log of how much likelier it is there than in the whole corpus), preferring words in at least two of the
    cluster's records (so one chatty comment cannot name a topic). People's names (`exclude`) and conversational
    filler never name a topic."""
    surface: dict[str, Counter[str]] = {}
    per_cluster: list[Counter[str]] = [Counter() for _ in range(k)]
    overall: Counter[str] = Counter()
    term_of: dict[str, str | None] = {}  # word -> its naming stem, or None when it cannot name a topic
    for text, lab in zip(texts, labels, strict=True):
        terms = set()
        for w in set(re.findall(r"[A-Za-z][A-Za-z'’\-]+", text.lower())):
            if w not in term_of:
                ts = [] if len(w) < 3 or w in NAMING_STOP or w in exclude else content_terms(w, drop_generic=True)
                term_of[w] = ts[0] if ts and ts[0] not in NAMING_STOP and ts[0] not in exclude else None
            t = term_of[w]
            if t is not None:
                terms.add(t)
                surface.setdefault(t, Counter())[w] += 1
        per_cluster[lab].update(terms)
        overall.update(terms)
    n_docs = len(texts)
    names: list[list[str]] = []
    for j in range(k):
        size = max(1, int((labels == j).sum()))
        scored = []
        for t, c in per_cluster[j].items():
            tf = c / size
            lift = tf / (overall[t] / n_docs)  # how much more common in this cluster than in the corpus
            scored.append((c >= 2 or size <= 2, tf * math.log(1 + lift), t))
        scored.sort(key=lambda p: (not p[0], -p[1], p[2]))
        names.append([surface[t].most_common(1)[0][0] for _, _, t in scored[:n_words]])
    return names


def derive_topics(
    records: Sequence[Record], chunks: Sequence[Chunk], vectors: Any, out_dir: Path | None = None, *,
    k: int | None = None, min_size: int = 3, seed: int = 0,
) -> list[Topic]:
    """Cluster the comments (posts only when there are no comments) and write `out_dir/topics.json`.

    k defaults to about sqrt(n/2), kept within 2..24: enough topics to browse, few enough to read as a list.
    Clusters smaller than `min_size` are folded into their nearest neighbour.
    """
    recs, x = _record_vectors(records, chunks, vectors)
    subject = x.mean(axis=0) if len(x) else None
    if subject is not None:
        subject = subject / (np.linalg.norm(subject) or 1.0)
    comments = [i for i, r in enumerate(recs) if r.kind == "comment"]
    if len(comments) >= 4:
        recs = [recs[i] for i in comments]
        x = x[comments]
    topics: list[Topic] = []
    if len(recs) >= 2:
        k = k or int(round(math.sqrt(len(recs) / 2)))
        k = max(2, min(24, k, len(recs)))
        labels, centres = kmeans(x, k, seed=seed)
        for _ in range(k):  # fold tiny clusters into the nearest big one, smallest first
            sizes = np.bincount(labels, minlength=k)
            live = [j for j in range(k) if sizes[j] > 0]
            small = [j for j in live if sizes[j] < min_size]
            if not small or len(live) <= 2:
                break
            j = min(small, key=lambda j: sizes[j])
            others = [o for o in live if o != j]
            m = labels == j
            nearest = np.asarray(others)[np.argmax(x[m] @ centres[others].T, axis=1)]
            labels[m] = nearest
        ids = sorted(set(labels.tolist()))
        remap = {old: new for new, old in enumerate(ids)}
        labels = np.array([remap[v] for v in labels.tolist()])
        k = len(ids)
        centres = np.stack([x[labels == j].sum(axis=0) for j in range(k)])
        centres /= np.linalg.norm(centres, axis=1, keepdims=True)
        people = frozenset(w.lower() for r in records if r.author for w in re.findall(r"[A-Za-z]+", r.author))
        names = _name_clusters([r.text for r in recs], labels, k, exclude=people)
        used: set[str] = set()
        for j in range(k):
            m = np.flatnonzero(labels == j)
            sims = x[m] @ centres[j]
            order = np.argsort(-sims, kind="stable")
            members = tuple((recs[m[i]].post_id, recs[m[i]].comment_id, round(float(sims[i]), 4)) for i in order)
            words = tuple(names[j]) or (f"topic {j + 1}",)
            key = slug("-".join(words)) or f"topic-{j + 1}"
            while key in used:
                key += "-x"
            used.add(key)
            topics.append(Topic(key=key, name=", ".join(words), size=len(m), words=words, members=members))
        topics.sort(key=lambda t: (-t.size, t.key))
    if out_dir is not None:
        save_topics(topics, Path(out_dir), subject=subject)
    log.info("derived %d topics from %d records", len(topics), len(recs))
    return topics


def save_topics(topics: Sequence[Topic], out_dir: Path, *, subject: np.ndarray | None = None) -> Path:
    """Write topics.json; `subject` (the corpus' mean record vector) rides along for the refusal gate."""
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / TOPICS_FILE
    data: dict[str, Any] = {
        "format": FORMAT,
        "topics": [
            {**t.to_json(), "members": [list(m) for m in t.members]} for t in topics
        ],
    }
    if subject is not None:
        data["subject"] = [round(float(v), 6) for v in subject]
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    tmp.replace(path)
    return path


def load_topics(out_dir: Path) -> list[Topic] | None:
    """The derived topics of a generation, or None when it has none (built before topics existed)."""
    path = Path(out_dir) / TOPICS_FILE
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return [
            Topic(key=t["key"], name=t["name"], size=int(t["size"]), words=tuple(t.get("words") or ()),
                  members=tuple((m[0], m[1], float(m[2])) for m in t.get("members") or ()))
            for t in data.get("topics", [])
        ]
    except (OSError, ValueError, KeyError, TypeError, IndexError, AttributeError) as e:
        raise _damaged(path, e) from None


def _damaged(path: Path, e: Exception) -> Exception:
    from index.errors import UserError

    return UserError(f"the topics file {path} is damaged ({type(e).__name__}: {e}); run `adoptbot index build`")


def load_subject(out_dir: Path) -> np.ndarray | None:
    """The corpus' subject direction saved with the topics, or None (older generation, or no topics.json)."""
    path = Path(out_dir) / TOPICS_FILE
    if not path.exists():
        return None
    try:
        v = json.loads(path.read_text(encoding="utf-8")).get("subject")
        return np.asarray(v, dtype=np.float32) if v else None
    except (OSError, ValueError, TypeError, AttributeError) as e:
        raise _damaged(path, e) from None


def load_overrides(path: Path | None) -> dict[str, Any]:
    """Read prompts/topics.toml; a broken file is a UserError naming the file and the problem."""
    if path is None or not Path(path).exists():
        return {}
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise UserError(f"{path}: not valid TOML ({e})") from e
    rename = data.get("rename", {})
    merge = data.get("merge", [])
    add = data.get("add", [])
    if not isinstance(rename, dict) or not all(isinstance(v, str) for v in rename.values()):
        raise UserError(f"{path}: [rename] must map a topic key or name to a new name (strings)")
    if not isinstance(merge, list) or not all(
        isinstance(m, dict) and isinstance(m.get("into"), str) and isinstance(m.get("topics"), list) for m in merge
    ):
        raise UserError(f'{path}: each [[merge]] needs into = "New name" and topics = ["key or name", ...]')
    if not isinstance(add, list) or not all(
        isinstance(a, dict) and isinstance(a.get("name"), str) and (a.get("query") or a.get("words")) for a in add
    ):
        raise UserError(f'{path}: each [[add]] needs name = "..." and a query = "..." or words = [...]')
    return {"rename": rename, "merge": merge, "add": add}


def _find(topics: Sequence[Topic], ref: str) -> Topic | None:
    r = ref.strip().casefold()
    for t in topics:
        if t.key.casefold() == r or t.name.casefold() == r or slug(t.name) == slug(ref):
            return t
    return None


def apply_overrides(topics: Sequence[Topic], overrides: dict[str, Any]) -> list[Topic]:
    """Merge first (by key or name), then rename, then add; unknown references are logged, never fatal, because
    keys of derived topics change when the corpus does and a stale line must not take the bot down."""
    out = list(topics)
    for m in overrides.get("merge", []):
        parts = [t for ref in m["topics"] if (t := _find(out, str(ref)))]
        missing = [ref for ref in m["topics"] if not _find(out, str(ref))]
        if missing:
            log.warning("topics.toml: merge into %r: no topic %s", m["into"], ", ".join(map(repr, missing)))
        if not parts:
            continue
        members = sorted({mm for t in parts for mm in t.members}, key=lambda mm: -mm[2])
        words = tuple(dict.fromkeys(w for t in parts for w in t.words))[:5]
        merged = Topic(key=slug(m["into"]), name=m["into"], size=sum(t.size for t in parts), words=words,
                       members=tuple(members))
        first = out.index(parts[0])
        out = [t for t in out if t not in parts]
        out.insert(min(first, len(out)), merged)
    for ref, new in overrides.get("rename", {}).items():
        t = _find(out, ref)
        if t is None:
            log.warning("topics.toml: rename: no topic %r", ref)
            continue
        out[out.index(t)] = Topic(key=t.key, name=new, size=t.size, words=t.words, members=t.members, query=t.query)
    for a in overrides.get("add", []):
        words = tuple(str(w) for w in a.get("words") or ())
        query = str(a.get("query") or " ".join(words))
        out.append(Topic(key=slug(a["name"]), name=a["name"], size=int(a.get("size", 0)), words=words, query=query))
    return out
