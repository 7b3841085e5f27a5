"""What Chroma's HNSW insert costs, and what its parameters trade: add time and recall against exact search.

    .venv/bin/python bench/bench_hnsw.py --cache DB/embeddings.sqlite --n 200000 \
        --config '{}' --config '{"hnsw:construction_ef": 40}'

Vectors come from an index's embedding cache (`embeddings.sqlite`: real or synthetic chunk vectors), the first `n`
as the collection and `queries` further ones as questions. Each configuration gets a fresh embedded collection,
filled at Chroma's batch limit as `adoptbot index build` fills it; then every query asks for 80 neighbours (what a
question asks the dense side for) and is compared with the exact top 80 by cosine. Prints one JSON line per
configuration: add seconds, CPU seconds, recall@80 and how many of the exact top 10 are in the 80.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import sqlite3
import tempfile
import time
from pathlib import Path

import numpy as np

K = 80


def load_vectors(cache: Path, n: int, offset: int = 0) -> np.ndarray:
    con = sqlite3.connect(f"file:{cache}?mode=ro", uri=True)
    try:
        rows = con.execute("SELECT vec FROM vectors LIMIT ? OFFSET ?", (n, offset)).fetchall()
    finally:
        con.close()
    return np.stack([np.frombuffer(r[0], dtype=np.float32) for r in rows])


def cpu_s() -> float:
    u = resource.getrusage(resource.RUSAGE_SELF)
    return u.ru_utime + u.ru_stime


def run(vectors: np.ndarray, queries: np.ndarray, config: dict, work: Path) -> dict:
    import chromadb

    path = Path(tempfile.mkdtemp(prefix="hnsw-", dir=work))
    try:
        client = chromadb.PersistentClient(str(path))
        coll = client.get_or_create_collection("bench-hnsw", embedding_function=None,
                                               metadata={"hnsw:space": "cosine", **config})
        batch = int(client.get_max_batch_size())
        t, c = time.perf_counter(), cpu_s()
        for i in range(0, len(vectors), batch):
            coll.add(ids=[str(j) for j in range(i, min(len(vectors), i + batch))], embeddings=vectors[i:i + batch])
        add_s, add_cpu = time.perf_counter() - t, cpu_s() - c
        unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
        qs = queries / np.linalg.norm(queries, axis=1, keepdims=True)
        exact = np.argsort(-(qs @ unit.T), axis=1)[:, :K]
        rec, rec10, times = [], [], []
        for i in range(len(qs)):
            t = time.perf_counter()
            got = {int(x) for x in coll.query(query_embeddings=queries[i:i + 1], n_results=K, include=[])["ids"][0]}
            times.append(time.perf_counter() - t)
            rec.append(len(got & set(exact[i].tolist())) / K)
            rec10.append(len(got & set(exact[i, :10].tolist())) / 10)
        return {"n": len(vectors), "config": config, "batch": batch, "add_s": round(add_s, 1),
                "add_cpu_s": round(add_cpu, 1), "ms_per_vector": round(add_s / len(vectors) * 1000, 3),
                f"recall@{K}": round(float(np.mean(rec)), 4), f"top10_in_{K}": round(float(np.mean(rec10)), 4),
                "query_ms_median": round(float(np.median(times)) * 1000, 2), "load_avg": round(os.getloadavg()[0], 2)}
    finally:
        shutil.rmtree(path, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cache", type=Path, required=True, help="an index's embeddings.sqlite")
    ap.add_argument("--n", type=int, default=200_000)
    ap.add_argument("--queries", type=int, default=300)
    ap.add_argument("--config", action="append", help="collection metadata as JSON, e.g. '{\"hnsw:M\": 8}'")
    ap.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()))
    a = ap.parse_args()
    vectors = load_vectors(a.cache, a.n)
    queries = load_vectors(a.cache, a.queries, offset=a.n)
    for cfg in a.config or ["{}"]:
        print(json.dumps(run(vectors, queries, json.loads(cfg), a.work)), flush=True)


if __name__ == "__main__":
    main()
