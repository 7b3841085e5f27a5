"""Index benchmark: chunks embedded per second (torch vs ONNX vs ONNX int8), their retrieval agreement, and the
time of a no-op rebuild as a ratio of a full one.

    .venv/bin/python bench/bench_index.py [--corpus DIR] [--batch 16,32,64] [--skip-build] [--json]

Run it alone: it measures CPU time on a shared 2-core box, so other load skews it.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

QUERIES = [
    "Is social media worth it for B2B companies?",
    "How do I prove the ROI of social media?",
    "What are the legal risks of employees tweeting?",
    "Which industries would not benefit from social media?",
    "How should a small business start with Twitter?",
    "Does blogging generate leads?",
    "Who should own social media in a company, marketing or PR?",
    "How much time does community management take?",
    "Are banks and regulated industries allowed to use Facebook?",
    "What metrics matter for engagement?",
]


def corpus_texts(corpus: Path) -> list[str]:
    from index.chunking import chunk_record
    from index.corpus import read_corpus
    from index.embedding import model_token_counter
    from index.settings import ChunkSettings

    count, limit = model_token_counter()
    n = ChunkSettings().max_tokens
    return [c.text for p in read_corpus(corpus) for r in p.records
            for c in chunk_record(r, n, model_tokens=count, model_limit=limit)]


def bench_backend(backend: str, texts: list[str], batches: list[int]) -> dict:
    from index.embedding import Embedder
    from index.settings import EmbedSettings

    t = time.perf_counter()
    emb = Embedder(EmbedSettings(backend=backend, batch_size=batches[0]))
    load_s = time.perf_counter() - t
    emb.embed(texts[:8])  # warm-up
    rates = {}
    vecs = None
    for b in batches:
        emb.settings = EmbedSettings(backend=backend, batch_size=b)
        t = time.perf_counter()
        vecs = emb.embed(texts)
        rates[b] = len(texts) / (time.perf_counter() - t)
    q = emb.embed(QUERIES)
    return {"backend": backend, "load_s": round(load_s, 2), "chunks_per_s": {k: round(v, 1) for k, v in rates.items()},
            "vectors": vecs, "queries": q}


def agreement(ref: dict, other: dict, k: int = 5) -> dict:
    """Top-k cosine scores per query: the largest score difference and how many top-k chunks are shared."""
    s_ref, s_oth = ref["queries"] @ ref["vectors"].T, other["queries"] @ other["vectors"].T
    max_diff, overlap = 0.0, []
    for a, b in zip(s_ref, s_oth, strict=True):
        ta, tb = np.argsort(-a)[:k], np.argsort(-b)[:k]
        max_diff = max(max_diff, float(np.max(np.abs(np.sort(a)[::-1][:k] - np.sort(b)[::-1][:k]))))
        overlap.append(len(set(ta) & set(tb)) / k)
    vec_diff = float(np.max(np.abs(ref["vectors"] - other["vectors"])))
    return {"max_topk_score_diff": round(max_diff, 5), "topk_overlap": round(float(np.mean(overlap)), 3),
            "max_vector_diff": round(vec_diff, 6)}


def bench_rebuild(corpus: Path) -> dict:
    from index.build import build_index

    with tempfile.TemporaryDirectory() as d:
        os.environ.pop("CHROMA_HOST", None)
        full = build_index(corpus, Path(d) / "db")  # loads the model (as a fresh `adoptbot index build` would)
        noop = build_index(corpus, Path(d) / "db")
    return {"full_s": round(full.seconds, 2), "noop_s": round(noop.seconds, 3),
            "noop_ratio": round(noop.seconds / full.seconds, 4), "chunks": full.chunks, "embedded": full.embedded,
            "noop_embedded": noop.embedded}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", default=str(ROOT / "corpus"))
    ap.add_argument("--batch", default="16,32,64", help="batch sizes to try (comma separated)")
    ap.add_argument("--backends", default="torch,onnx,onnx-int8")
    ap.add_argument("--skip-build", action="store_true", help="skip the full vs no-op rebuild timing")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    texts = corpus_texts(Path(args.corpus))
    batches = [int(b) for b in args.batch.split(",")]
    runs = [bench_backend(b, texts, batches) for b in args.backends.split(",")]
    out = {"chunks": len(texts), "cpus": os.cpu_count(), "backends": []}
    for r in runs:
        row = {k: r[k] for k in ("backend", "load_s", "chunks_per_s")}
        if r is not runs[0]:
            row["vs_" + runs[0]["backend"]] = agreement(runs[0], r)
        out["backends"].append(row)
    if not args.skip_build:
        out["rebuild"] = bench_rebuild(Path(args.corpus))
    if args.json:
        print(json.dumps(out))
        return 0
    print(f"{out['chunks']} chunks of the corpus, {out['cpus']} CPUs")
    for row in out["backends"]:
        rates = ", ".join(f"batch {b}: {v}/s" for b, v in row["chunks_per_s"].items())
        extra = ""
        for k, v in row.items():
            if k.startswith("vs_"):
                extra = (f"  | top-5 score diff {v['max_topk_score_diff']}, top-5 overlap {v['topk_overlap']}, "
                         f"max vector diff {v['max_vector_diff']}")
        print(f"{row['backend']:10s} load {row['load_s']} s; {rates}{extra}")
    if "rebuild" in out:
        rb = out["rebuild"]
        print(f"full build {rb['full_s']} s ({rb['embedded']} embedded), no-op rebuild {rb['noop_s']} s "
              f"(ratio {rb['noop_ratio']}, embedded {rb['noop_embedded']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
