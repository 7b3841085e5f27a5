"""Topics benchmark: are the names ones a person would use, is chatter kept out, do keys survive adding a page?

    .venv/bin/python bench/bench_topics.py [shipped] [varied] [synth] [--comments 3000] [--no-embed]

Corpora: the shipped pages; the shipped pages plus the hand-written pages in bench/topics_pages/ (other subjects,
other voices, chatter included); the synthetic WordPress corpus of bench/synth.py (one post per file, so a file is
a page). Key survival: derive topics on a base set of pages, add one page, derive again with the first topics as
the previous generation (as `adoptbot index build` does), and count the first generation's keys still present;
"fresh" is the same without the previous generation (keys from names alone), to show what the matching buys.
Name quality, measured without a judge: how many names are word lists or hold a person's name, how many of a
topic's comments use its name's words (coverage), and how many of the comments using them are in the topic
(precision). Chunk vectors are cached in --cache by text hash (the real model; synthetic chunks via
SentenceTableEmbedder). Results go to bench/results/topics.json.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from index.chatter import is_chatter  # noqa: E402
from index.chunking import chunk_record  # noqa: E402
from index.corpus import read_corpus  # noqa: E402
from index.quotes import content_terms  # noqa: E402
from index.topics import derive_topics  # noqa: E402

PAGES = ROOT / "bench" / "topics_pages"
RESULTS = ROOT / "bench" / "results" / "topics.json"


class Vectors:
    """Chunk vectors by content hash, computed once per text and kept on disk between runs."""

    def __init__(self, embedder: object, cache: Path) -> None:
        self.embedder = embedder
        self.path = cache
        self.table: dict[str, np.ndarray] = {}
        if cache.exists():
            data = np.load(cache)
            self.table = dict(zip(data["keys"].tolist(), data["vecs"], strict=True))

    def __call__(self, chunks: list) -> np.ndarray:
        todo = {c.content_hash: c.text for c in chunks if c.content_hash not in self.table}
        if todo:
            hashes = list(todo)
            vecs = self.embedder.embed([todo[h] for h in hashes])
            self.table.update(zip(hashes, np.asarray(vecs, dtype=np.float32), strict=True))
            self.path.parent.mkdir(parents=True, exist_ok=True)
            np.savez(self.path, keys=np.array(list(self.table)), vecs=np.stack(list(self.table.values())))
        return np.stack([self.table[c.content_hash] for c in chunks])


def records_and_chunks(pages: list) -> tuple[list, list]:
    records, seen = [], set()
    for p in pages:
        for r in p.records:
            if (r.post_id, r.comment_id) not in seen:
                seen.add((r.post_id, r.comment_id))
                records.append(r)
    chunks = [c for r in records for c in chunk_record(r, 180)]
    return records, chunks


def derive(pages: list, vectors: Vectors, embed: object, previous: list | None = None) -> tuple[list, list]:
    records, chunks = records_and_chunks(pages)
    return derive_topics(records, chunks, vectors(chunks), previous=previous, embed=embed), records


def quality(topics: list, records: list) -> dict:
    """Judge-free figures on names and members (see the module docstring)."""
    text = {(r.post_id, r.comment_id): r.text for r in records}
    people = {w.lower() for r in records if r.author for w in re.findall(r"[A-Za-z]+", r.author) if len(w) > 2}
    clustered = {(m[0], m[1]) for t in topics for m in t.members}
    terms = {k: set(content_terms(text[k])) for k in clustered}
    cov, prec, rows = [], [], []
    for t in topics:
        parts = [set(content_terms(p)) for p in t.name.split(" and ")]
        mine = [(m[0], m[1]) for m in t.members]
        using = [k for k in clustered if any(p and p <= terms[k] for p in parts)]
        inside = sum(1 for k in mine if any(p and p <= terms[k] for p in parts))
        cov.append(inside / max(1, len(mine)))
        prec.append(inside / max(1, len(using)))
        rows.append({"key": t.key, "name": t.name, "size": t.size, "coverage": round(cov[-1], 2),
                     "precision": round(prec[-1], 2),
                     "sample": [text[k][:90] for k in mine[:3]]})
    chatter = sum(1 for k in clustered if is_chatter(text[k]))
    return {
        "topics": len(topics),
        "list_like_names": sum(1 for t in topics if "," in t.name),
        "names_with_a_person": sum(1 for t in topics if set(re.findall(r"[a-z]+", t.name.lower())) & people),
        "chatter_members": chatter,
        "chatter_in_corpus": sum(1 for r in records if r.kind == "comment" and is_chatter(r.text)),
        "median_coverage": round(statistics.median(cov), 2) if cov else None,
        "median_precision": round(statistics.median(prec), 2) if prec else None,
        "names": rows,
    }


def survival(base: list, extras: list, vectors: Vectors, embed: object) -> dict:
    """Add each extra page to the base on its own; keys of the base's topics still there after the rebuild."""
    t0, _ = derive(base, vectors, embed)
    keys0 = {t.key for t in t0}
    runs = []
    for page in extras:
        t1, _ = derive(base + [page], vectors, embed, previous=t0)
        fresh, _ = derive(base + [page], vectors, embed)
        names0 = {t.key: t.name for t in t0}
        runs.append({
            "page": Path(page.file).name,
            "records": len(page.records),
            "kept": round(len(keys0 & {t.key for t in t1}) / max(1, len(keys0)), 3),
            "names_kept": round(sum(1 for t in t1 if names0.get(t.key) == t.name) / max(1, len(keys0)), 3),
            "fresh_kept": round(len(keys0 & {t.key for t in fresh}) / max(1, len(keys0)), 3),
            "topics": [len(t0), len(t1)],
        })
    kept = [r["kept"] for r in runs]
    return {"base_topics": len(t0), "runs": runs, "min_kept": min(kept), "median_kept": statistics.median(kept),
            "min_fresh_kept": min(r["fresh_kept"] for r in runs),
            "median_fresh_kept": statistics.median(r["fresh_kept"] for r in runs)}


def leave_one_out(pages: list, vectors: Vectors, embed: object) -> dict:
    """Each page in turn is the one added to all the others."""
    runs = []
    for i in range(len(pages)):
        r = survival(pages[:i] + pages[i + 1:], [pages[i]], vectors, embed)
        runs.extend(r["runs"])
    kept = [r["kept"] for r in runs]
    return {"runs": runs, "min_kept": min(kept), "median_kept": statistics.median(kept),
            "min_fresh_kept": min(r["fresh_kept"] for r in runs),
            "median_fresh_kept": statistics.median(r["fresh_kept"] for r in runs)}


def show(label: str, q: dict) -> None:
    print(f"\n{label}: {q['topics']} topics, chatter members {q['chatter_members']} "
          f"(corpus has {q['chatter_in_corpus']} chatter comments), list-like names {q['list_like_names']}, "
          f"with a person {q['names_with_a_person']}, coverage {q['median_coverage']}, "
          f"precision {q['median_precision']}")
    for row in q["names"]:
        print(f"  {row['size']:4d}  {row['name']:<44} cov {row['coverage']:.2f} prec {row['precision']:.2f}"
              f"  [{row['key']}]")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("what", nargs="*", default=["shipped", "varied", "synth"])
    ap.add_argument("--comments", type=int, default=3000)
    ap.add_argument("--cache", type=Path, default=Path("/tmp/adoptbot-topics-bench"))
    ap.add_argument("--no-embed", action="store_true", help="name without the phrase embeddings")
    ap.add_argument("--no-save", action="store_true")
    a = ap.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from index.embedding import get_embedder

    real = get_embedder()
    phrases: dict[str, np.ndarray] = {}

    def embed(texts: list[str]) -> np.ndarray:  # the build embeds a generation's phrases once; here many times
        todo = [t for t in dict.fromkeys(texts) if t not in phrases]
        if todo:
            phrases.update(zip(todo, real.embed(todo), strict=True))
        return np.stack([phrases[t] for t in texts])

    embed = None if a.no_embed else embed
    vectors = Vectors(real, a.cache / "vectors.npz")
    shipped = read_corpus(ROOT / "corpus")
    mine = read_corpus(PAGES)
    out: dict = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    variant = "lexical" if a.no_embed else "embedded"
    t = time.perf_counter()
    if "shipped" in a.what:
        topics, records = derive(shipped, vectors, embed)
        q = quality(topics, records)
        show("shipped", q)
        s = survival(shipped, mine, vectors, embed)
        loo = leave_one_out(shipped, vectors, embed)
        print(f"  add one page: kept min {s['min_kept']} median {s['median_kept']} (fresh keys: min "
              f"{s['min_fresh_kept']} median {s['median_fresh_kept']}); leave-one-out min {loo['min_kept']} "
              f"median {loo['median_kept']} (fresh {loo['min_fresh_kept']}/{loo['median_fresh_kept']})")
        out.setdefault(variant, {})["shipped"] = {"quality": q, "add_one_page": s, "leave_one_out": loo}
    if "varied" in a.what:
        pages = shipped + mine
        topics, records = derive(pages, vectors, embed)
        q = quality(topics, records)
        show("shipped + bench/topics_pages", q)
        loo = leave_one_out(pages, vectors, embed)
        print(f"  leave-one-out (13 pages): kept min {loo['min_kept']} median {loo['median_kept']} "
              f"(fresh keys: min {loo['min_fresh_kept']} median {loo['median_fresh_kept']})")
        out.setdefault(variant, {})["varied"] = {"quality": q, "leave_one_out": loo}
    if "synth" in a.what:
        from bench.synth import SentenceTableEmbedder, write_corpus

        d = a.cache / f"synth_{a.comments}"
        if not d.exists():
            write_corpus(d, a.comments, posts_per_file=1)
        pages = read_corpus(d)
        svec = Vectors(SentenceTableEmbedder(real), a.cache / f"synth_{a.comments}.npz")
        topics, records = derive(pages, svec, embed)
        q = quality(topics, records)
        show(f"synthetic, {a.comments} comments", q)
        s = survival(pages[:-6], pages[-6:], svec, embed)
        print(f"  add one page (100 comments) to {len(pages) - 6}: kept min {s['min_kept']} median "
              f"{s['median_kept']} (fresh keys: min {s['min_fresh_kept']} median {s['median_fresh_kept']})")
        out.setdefault(variant, {})[f"synthetic_{a.comments}"] = {"quality": q, "add_one_page": s}
        if a.cache.name.startswith("adoptbot-topics-bench-tmp"):
            shutil.rmtree(a.cache, ignore_errors=True)
    print(f"\n{time.perf_counter() - t:.0f} s")
    if not a.no_save:
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(json.dumps(out, indent=1, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
