"""The lexical index on disk: bm25s-compatible CSC memory-mapped (ours) against SQLite FTS5, and bm25s in memory.

    .venv/bin/python bench/bench_lexical.py --docs 1000000 [--out bench/results/lexical.json]

Documents are synthetic comments (bench/synth.py's sentence pool, one chunk each, as in the latency benchmark);
the questions are the development and held-out questions. Each engine is built and queried in its own process
(so its peak RSS is its own), every query for the top 80 (what the answerer asks for):

  ours      index/store/lexical.py: streaming build, memory-mapped CSC, vocabulary in SQLite
  fts5      SQLite FTS5 over the same tokens (each token written as an ASCII id, so FTS5's tokenizer cannot split
            them differently), ranked by FTS5's own bm25()
  bm25s     bm25s in memory (the previous design): the reference for "the same answers"

Reported: build seconds and peak RSS, open seconds and RSS after the queries, median and p90 query ms, disk MB,
and agreement with bm25s (identical top-80 lists, and overlap of the top 10).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
ENGINES = ("bm25s", "ours", "fts5")
K = 80


def texts(n: int) -> list[str]:
    from bench.synth import SEED, comment_text, sentence_pool

    rng = random.Random(SEED)
    pool = sentence_pool(SEED)
    return [comment_text(rng, pool) for _ in range(n)]


def questions() -> list[str]:
    from bench.bench_answers import EVAL, HELDOUT, load_jsonl

    dev = EVAL / "questions_dev.jsonl"
    qs = [q["question"] for q in (load_jsonl(dev) if dev.is_file() else [])] + [q["question"] for q in
                                                                                  load_jsonl(HELDOUT)]
    return qs


def peak_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def dir_mb(path: Path) -> float:
    return round(sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 2**20, 1)


def build(engine: str, n: int, work: Path) -> dict:
    from index.store.lexical import LexicalBuilder, bm25_tokenize

    docs = texts(n)
    t = time.perf_counter()
    if engine == "ours":
        b = LexicalBuilder(work / "ours")
        for s in range(0, n, 5000):
            b.add(docs[s : s + 5000])
        b.finish()
    elif engine == "fts5":
        import sqlite3

        vocab: dict[str, str] = {}
        db = sqlite3.connect(str(work / "fts5.sqlite"))
        db.execute("PRAGMA journal_mode=OFF")
        db.execute("PRAGMA synchronous=OFF")
        db.execute("CREATE VIRTUAL TABLE t USING fts5(body, tokenize='ascii', detail='column')")
        for s in range(0, n, 5000):
            rows = []
            for i, toks in enumerate(bm25_tokenize(docs[s : s + 5000])):
                ids = [vocab.setdefault(tok, f"t{len(vocab):x}") for tok in toks]
                rows.append((s + i + 1, " ".join(ids)))
            db.executemany("INSERT INTO t (rowid, body) VALUES (?, ?)", rows)
        db.execute("INSERT INTO t (t) VALUES ('optimize')")
        db.commit()
        db.close()
        (work / "fts5.vocab.json").write_text(json.dumps(vocab))
    return {"build_s": round(time.perf_counter() - t, 1), "build_peak_mb": peak_mb(),
            "disk_mb": dir_mb(work / "ours") if engine == "ours" else
            round((work / "fts5.sqlite").stat().st_size / 2**20, 1)}


def query(engine: str, n: int, work: Path, qs: list[str]) -> dict:
    import numpy as np

    from index.store.lexical import LexicalIndex, bm25_tokenize

    base = rss_mb()
    t = time.perf_counter()
    if engine == "ours":
        ix = LexicalIndex(work / "ours")

        def top(q: str) -> list[int]:
            return [d for d, _ in ix.top(q, K)]
    elif engine == "fts5":
        import sqlite3

        db = sqlite3.connect(f"file:{work / 'fts5.sqlite'}?mode=ro", uri=True)
        vocab = json.loads((work / "fts5.vocab.json").read_text())

        def top(q: str) -> list[int]:
            ids = [vocab[t] for t in dict.fromkeys(bm25_tokenize([q])[0]) if t in vocab]
            if not ids:
                return []
            rows = db.execute("SELECT rowid FROM t WHERE t MATCH ? ORDER BY rank LIMIT ?",
                              (" OR ".join(ids), K)).fetchall()
            return [r[0] - 1 for r in rows]
    else:
        import bm25s

        ret = bm25s.BM25()
        ret.index(bm25_tokenize(texts(n)), show_progress=False)

        def top(q: str) -> list[int]:
            toks = [t for t in bm25_tokenize([q])[0] if t in ret.vocab_dict]
            if not toks:
                return []
            scores = np.asarray(ret.get_scores(toks))
            hits = np.flatnonzero(scores > 0)
            if len(hits) > K:
                hits = hits[np.argpartition(-scores[hits], K - 1)[:K]]
            return [int(i) for i in hits[np.argsort(-scores[hits], kind="stable")]]
    top(qs[0])
    open_s = time.perf_counter() - t
    ms, lists = [], []
    for r in range(3):
        for q in qs:
            t = time.perf_counter()
            got = top(q)
            ms.append((time.perf_counter() - t) * 1000)
            if r == 0:
                lists.append(got)
    return {"open_s": round(open_s, 2), "median_ms": round(statistics.median(ms), 2),
            "p90_ms": round(sorted(ms)[int(0.9 * (len(ms) - 1))], 2), "rss_after_mb": rss_mb(),
            "rss_growth_mb": round(rss_mb() - base, 1), "peak_mb": peak_mb(), "lists": lists}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--docs", type=int, default=1_000_000)
    ap.add_argument("--out", type=Path)
    ap.add_argument("--engine", choices=ENGINES, help=argparse.SUPPRESS)
    ap.add_argument("--work", type=Path, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.engine:
        out = build(a.engine, a.docs, a.work) if a.engine != "bm25s" else {}
        print(json.dumps(out), flush=True)
        return 0
    work = Path(tempfile.mkdtemp(prefix="bench-lexical-"))
    qs = questions()
    res: dict = {"docs": a.docs, "questions": len(qs), "k": K, "load_avg_start": round(os.getloadavg()[0], 2),
                 "engines": {}}
    try:
        for engine in ENGINES:
            p = subprocess.run([sys.executable, __file__, "--docs", str(a.docs), "--engine", engine, "--work",
                                str(work)], capture_output=True, text=True, check=True)
            row = json.loads(p.stdout.strip().splitlines()[-1])
            code = (f"import json, sys; sys.path.insert(0, {str(ROOT)!r}); from bench.bench_lexical import query; "
                    f"from pathlib import Path; print(json.dumps(query({engine!r}, {a.docs}, Path({str(work)!r}), "
                    f"{qs!r})))")
            p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
            row.update(json.loads(p.stdout.strip().splitlines()[-1]))
            res["engines"][engine] = row
            print(engine, {k: v for k, v in row.items() if k != "lists"}, flush=True)
        ref = res["engines"]["bm25s"]["lists"]
        for row in res["engines"].values():
            lists = row.pop("lists")
            row["same_top80_as_bm25s"] = sum(x == y for x, y in zip(lists, ref, strict=True))
            row["top10_overlap_with_bm25s"] = round(statistics.mean(
                len(set(x[:10]) & set(y[:10])) / min(10, len(y)) if y else float(not x)
                for x, y in zip(lists, ref, strict=True)), 3)
        res["load_avg_end"] = round(os.getloadavg()[0], 2)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(res, indent=1))
    if a.out:
        a.out.write_text(json.dumps(res, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
