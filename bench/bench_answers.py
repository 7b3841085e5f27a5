"""Benchmarks of the answers: quality per mode and fusion method, refusal, warm latency (shipped and synthetic).

    .venv/bin/python bench/bench_answers.py shipped  # metrics per mode and fusion variant + latency, shipped corpus
    .venv/bin/python bench/bench_answers.py synth        # build (once) and time a 100,000-comment synthetic index
    .venv/bin/python bench/bench_answers.py all          # both, written to bench/results/answers.json

Quality is computed in process the way ../shared/eval/score_retrieval.py computes it (same gold format, same
nDCG@5 and success@5 definitions, helpers imported from its evalkit), so fusion variants can be compared
without rebuilding; the scorer itself remains the judge of record. Latency is the Answer's own timings_ms.total
after a warm-up, one question at a time, in this process.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
EVAL = ROOT.parent / "shared" / "eval"
RESULTS = ROOT / "bench" / "results" / "answers.json"
HELDOUT = ROOT / "bench" / "heldout_questions.jsonl"

VARIANTS = {
    "dense": ("dense", {}),
    "bm25": ("bm25", {}),
    # the default: dense, sentence, BM25 and coverage signals, each scaled by its best candidate (index/ranking.py)
    "hybrid": ("hybrid", {}),
    "hybrid-no-sentence": ("hybrid", {"weights": {"dense": 1.0, "sentence": 0.0, "bm25": 1.0, "coverage": 1.0}}),
    "hybrid-no-coverage": ("hybrid", {"weights": {"dense": 1.0, "sentence": 1.0, "bm25": 1.0, "coverage": 0.0}}),
    "hybrid-posts-full": ("hybrid", {"post_weight": 1.0}),
    "hybrid-cand40": ("hybrid", {"candidates": 40}),
}


def load_jsonl(path: Path) -> list[dict]:
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]


def gold_keys(q: dict, records_by_file: dict, evalkit) -> list[tuple[tuple, int]]:
    out = []
    for g in q["relevant"]:
        hs = evalkit.holding(records_by_file.get(g["file"], []), g["anchor"])
        r = hs[0] if hs else None
        key = ("c", r["comment_id"]) if r and r.get("comment_id") else ("p", g["file"], evalkit.fold(g["anchor"]))
        out.append((key, g["grade"]))
    return out


def gold_hits(quotes: list[dict], gold: list[tuple[tuple, int]], k: int, fold) -> list[int | None]:
    """Per quote of the first k, the grade of the gold source it is (each source counted once), or None."""
    hits, seen = [], set()
    for qt in quotes[:k]:
        hit = None
        for key, grade in gold:
            if key in seen:
                continue
            if key[0] == "c" and qt.get("comment_id") == key[1]:
                hit = (key, grade)
            elif key[0] == "p" and key[2] in fold(qt.get("text")):
                hit = (key, grade)
            if hit:
                break
        if hit:
            seen.add(hit[0])
        hits.append(hit[1] if hit else None)
    return hits


def ndcg_success(hits: list[int | None], gold: list[tuple[tuple, int]], k: int) -> tuple[float, bool]:
    """nDCG@k and "a grade-2 source in the first k", exactly as score_retrieval.py counts them."""
    gains = [g or 0 for g in hits]
    dcg = sum((2 ** g - 1) / math.log2(i + 2) for i, g in enumerate(gains))
    ideal = sorted((g for _, g in gold), reverse=True)[:k]
    idcg = sum((2 ** g - 1) / math.log2(i + 2) for i, g in enumerate(ideal))
    return (dcg / idcg if idcg else 0.0), any(g == 2 for g in gains)


def score_answer(quotes: list[dict], gold: list[tuple[tuple, int]], k: int, fold) -> tuple[float, bool]:
    """nDCG@k and success@k of one answer."""
    return ndcg_success(gold_hits(quotes, gold, k, fold), gold, k)


def build(corpus: Path, db: Path, embedder=None) -> dict:
    from index.build import build_index

    t = time.perf_counter()
    rep = build_index(corpus, db, embedder=embedder)
    return {"seconds": round(time.perf_counter() - t, 1), "chunks": rep.chunks, "files": rep.files}


def latency(answerer, questions: list[str], mode: str = "hybrid", rounds: int = 1) -> dict:
    for q in questions[:3]:
        answerer.ask(q, mode=mode)  # warm: BM25 loaded, Chroma opened, model caches hot
    totals, parts = [], {"embed": [], "dense": [], "lexical": [], "quotes": []}
    for _ in range(rounds):
        for q in questions:
            a = answerer.ask(q, mode=mode)
            totals.append(a.timings_ms["total"])
            for k in parts:
                parts[k].append(a.timings_ms.get(k, 0.0))
    totals.sort()
    return {"n": len(totals), "median_ms": round(statistics.median(totals), 2),
            "p90_ms": round(totals[int(0.9 * (len(totals) - 1))], 2), "max_ms": round(totals[-1], 2),
            **{f"median_{k}_ms": round(statistics.median(v), 2) for k, v in parts.items()}}


def shipped(args: argparse.Namespace) -> dict:
    sys.path.insert(0, str(EVAL))
    import evalkit

    from index.corpus import parse_file
    from index.embedding import get_query_embedder
    from index.retrieval import Answerer, limit_query_threads
    from index.store import LiveIndex

    work = Path(tempfile.mkdtemp(prefix="bench-answers-"))
    try:
        db = work / "db"
        info = build(ROOT / "corpus", db)
        recs = {}
        for p in sorted((ROOT / "corpus").iterdir()):
            if p.is_file():
                recs[p.name] = [r.to_json() for r in parse_file(p).records]
        dev = load_jsonl(Path(args.questions))
        held = load_jsonl(HELDOUT)
        index = LiveIndex.open(db)
        emb = get_query_embedder()  # as Answerer.open does in the CLI and the bot: ONNX questions, torch index
        limit_query_threads()  # likewise
        out: dict = {"build": info, "questions": len(dev), "heldout": len(held), "variants": {}}
        for name, (mode, kw) in VARIANTS.items():
            ans = Answerer(index, emb, **kw)
            nd, succ, on, false_abs, off, abstain = 0.0, 0, 0, 0, 0, 0
            for q in dev:
                a = ans.ask(q["question"], k=5, mode=mode).to_json()
                if not q["relevant"]:
                    off += 1
                    abstain += not a["answered"]
                    continue
                on += 1
                false_abs += not a["answered"]
                n, s = score_answer(a["quotes"], gold_keys(q, recs, evalkit), 5, evalkit.fold)
                nd += n
                succ += s
            h_on = [q for q in held if q["on_topic"]]
            h_off = [q for q in held if not q["on_topic"]]
            out["variants"][name] = {
                "ndcg@5": round(nd / max(on, 1), 3), "success@5": round(succ / max(on, 1), 3),
                "abstain": f"{abstain}/{off}", "false_abstain": false_abs,
                "heldout_refused_off": f"{sum(not ans.ask(q['question'], mode=mode).answered for q in h_off)}"
                f"/{len(h_off)}",
                "heldout_false_abstain": sum(not ans.ask(q["question"], mode=mode).answered for q in h_on),
            }
            print(name, out["variants"][name], flush=True)
        ans = Answerer(index, emb)
        allq = [q["question"] for q in dev + held]
        out["latency"] = {m: latency(ans, allq, mode=m, rounds=3) for m in ("hybrid", "dense", "bm25")}
        print("latency", out["latency"], flush=True)
        # refusal evidence per question, for calibrating the thresholds (docs/retrieval.md)
        out["refusal_evidence"] = [evidence(ans, q["question"], bool(q.get("relevant") or q.get("on_topic")))
                                   for q in dev + held]
        return out
    finally:
        shutil.rmtree(work, ignore_errors=True)


def evidence(ans, question: str, on_topic: bool) -> dict:
    """The refusal's inputs for one question (index/refusal.py), as the answer reports them."""
    a = ans.ask(question, k=1)
    return {"q": question, "on_topic": on_topic, **a.evidence, "answered": a.answered}


def synth(args: argparse.Namespace) -> dict:
    from bench.synth import SentenceTableEmbedder, sentence_pool, write_corpus
    from index.embedding import get_embedder
    from index.retrieval import Answerer

    base = Path(args.synth_dir)
    corpus, db = base / "corpus", base / "db"
    out: dict = {"comments": args.comments}
    real = get_embedder()
    if not (db / "LIVE").exists() or args.rebuild:
        shutil.rmtree(base, ignore_errors=True)
        t = time.perf_counter()
        files = write_corpus(corpus, args.comments)
        out["generate_seconds"] = round(time.perf_counter() - t, 1)
        cheap = SentenceTableEmbedder(real)
        t = time.perf_counter()
        topical, filler, products = sentence_pool()
        cheap.preload(topical + filler + products)
        out["sentence_pool"] = len(cheap.table)
        out["pool_embed_seconds"] = round(time.perf_counter() - t, 1)
        print(f"corpus: {files} files; pool {len(cheap.table)} sentences; building…", flush=True)
        out["build"] = build(corpus, db, embedder=cheap)
        print("built", out["build"], flush=True)
    t = time.perf_counter()
    ans = Answerer.open(db)
    out["open_seconds"] = round(time.perf_counter() - t, 1)
    qs = [q["question"] for q in load_jsonl(HELDOUT)] + [q["question"] for q in load_jsonl(Path(args.questions))]
    out["records"] = len(ans._records)
    out["latency"] = {m: latency(ans, qs, mode=m) for m in ("hybrid", "dense", "bm25")}
    print("synthetic", out, flush=True)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("what", choices=["shipped", "synth", "all"])
    ap.add_argument("--questions", default=str(EVAL / "questions_dev.jsonl"))
    ap.add_argument("--comments", type=int, default=100_000)
    ap.add_argument("--synth-dir", default="/tmp/adoptbot-synth")
    ap.add_argument("--rebuild", action="store_true")
    ap.add_argument("--no-save", action="store_true")
    a = ap.parse_args()
    import logging

    logging.basicConfig(level=logging.WARNING)
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    import platform

    results["machine"] = {"cpus": os.cpu_count(), "python": platform.python_version()}
    if a.what in ("shipped", "all"):
        results["shipped"] = shipped(a)
    if a.what in ("synth", "all"):
        key = f"synthetic_{a.comments}"
        results[key] = {**results.get(key, {}), **synth(a)}  # keeps the build figures when not rebuilt
    if not a.no_save:
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n")
        print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
