"""Where a build's "store" time goes: writing N vectors into embedded Chroma, the old way and the new way.

    .venv/bin/python bench/bench_store.py --n 100000 [--out bench/results/store.json]

Variants, each into a fresh collection, on the same vectors (clustered unit vectors, like text embeddings):
  old      upsert with the chunk text as `documents` and four metadata fields, 1,000 per call (the build until now)
  no-docs  upsert, ids and vectors only, 1,000 per call
  add      add (the build checked the ids are new), ids and vectors only, Chroma's own batch limit per call
  add-sync add as above, HNSW persisted every 100,000 writes instead of every 1,000 (hnsw sync_threshold)
Wall and CPU seconds per variant, the data folder's size, and the process's peak RSS. Run them one at a time (each
in its own process) so one variant's memory never counts in another's: `--variant` picks one.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
VARIANTS = ("old", "no-docs", "add", "add-sync")
DIM = 384


def cpu_s() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def vectors(n: int, seed: int = 0):
    import numpy as np

    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((200, DIM)).astype(np.float32)
    v = centres[rng.integers(0, 200, n)] + 0.6 * rng.standard_normal((n, DIM)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def run_variant(name: str, n: int, path: Path) -> dict:
    import chromadb
    from chromadb.config import Settings

    client = chromadb.PersistentClient(path=str(path), settings=Settings(anonymized_telemetry=False))
    config = {"hnsw": {"sync_threshold": 100_000, "batch_size": client.get_max_batch_size()}} \
        if name == "add-sync" else None
    coll = client.get_or_create_collection("bench-store", embedding_function=None,
                                           metadata={"hnsw:space": "cosine"}, configuration=config)
    vecs = vectors(n)
    ids = [f"chunk-{i:09d}" for i in range(n)]
    step = client.get_max_batch_size() if name.startswith("add") else 1000
    t, c = time.perf_counter(), cpu_s()
    for s in range(0, n, step):
        part = slice(s, s + step)
        if name == "old":
            coll.upsert(ids=ids[part], embeddings=vecs[part],
                        documents=[f"Comment {i}: our agency tried blogging for clients and measured the leads."
                                   for i in range(s, min(n, s + step))],
                        metadatas=[{"post_id": f"p{i // 100}", "comment_id": f"c{i}", "kind": "comment",
                                    "content_hash": f"{i:040x}"} for i in range(s, min(n, s + step))])
        elif name == "no-docs":
            coll.upsert(ids=ids[part], embeddings=vecs[part])
        else:
            coll.add(ids=ids[part], embeddings=vecs[part])
    wall, cpu = time.perf_counter() - t, cpu_s() - c
    size = sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    return {"variant": name, "n": n, "per_call": step, "wall_s": round(wall, 1), "cpu_s": round(cpu, 1),
            "per_s": round(n / wall, 1), "disk_mb": round(size / 2**20, 1),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            "load_avg": round(os.getloadavg()[0], 2)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--variant", choices=VARIANTS)
    ap.add_argument("--out", type=Path)
    a = ap.parse_args()
    if a.variant:
        with tempfile.TemporaryDirectory(prefix="bench-store-") as d:
            print(json.dumps(run_variant(a.variant, a.n, Path(d) / "chroma")), flush=True)
        return 0
    rows = []
    for v in VARIANTS:
        p = subprocess.run([sys.executable, __file__, "--n", str(a.n), "--variant", v], capture_output=True,
                           text=True, check=True)
        rows.append(json.loads(p.stdout.strip().splitlines()[-1]))
        print(json.dumps(rows[-1]), flush=True)
    base = rows[0]
    for r in rows:
        r["wall_vs_old"] = round(r["wall_s"] / base["wall_s"], 2)
        r["cpu_vs_old"] = round(r["cpu_s"] / base["cpu_s"], 2)
    if a.out:
        a.out.write_text(json.dumps({"store": rows}, indent=1) + "\n")
    shutil.rmtree(Path(tempfile.gettempdir()) / "bench-store", ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
