"""Every benchmark in one run, side by side: quality, query latency against corpus size, indexing, the bot process.

    bench/run                  # everything (about 1.5 h the first time: the 1M-chunk index is built once)
    bench/run --quick          # a smoke run in well under a minute (tiny sizes, one round), written to a temp dir
    bench/run --only latency   # some sections, merged into the existing results
    bench/run --report-only    # tables and plots again from bench/results/latest.json

Writes bench/results/latest.json, docs/benchmarks.md and the plots in docs/benchmarks/ (`--out DIR` writes all
three into DIR instead). Each section runs in its own process (so thread settings and memory of one never skew
another); inside a section, contenders run in the same process, alternating, and the figures are medians (with
ratios), never single times. The synthetic indexes and the Chroma server's data live in `--work`
(/tmp/adoptbot-bench) and are reused by later runs (`--rebuild` makes them again).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_answers import EVAL, HELDOUT, gold_hits, gold_keys, load_jsonl, ndcg_success  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "latest.json"
DOC = ROOT / "docs" / "benchmarks.md"
FIGS = ROOT / "docs" / "benchmarks"
DEV = EVAL / "questions_dev.jsonl"
SIZES = (10_000, 100_000, 1_000_000)
QUICK_SIZES = (1_000,)
SECTIONS = ("quality", "scale-build", "latency", "indexing", "bot", "engines")
BACKENDS = ("torch", "onnx", "onnx-int8")
LENGTHS = (16, 32, 64, 128, 254)  # word pieces of text per chunk (254 = all the model reads)
COLD_Q = "How do I prove ROI?"


# --- small helpers ----------------------------------------------------------------------------------------------


def load_avg() -> float:
    return round(os.getloadavg()[0], 2)


def med(xs: list[float], nd: int = 2) -> float | None:
    return round(statistics.median(xs), nd) if xs else None


def pct(xs: list[float], p: float, nd: int = 2) -> float | None:
    if not xs:
        return None
    s = sorted(xs)
    return round(s[min(len(s) - 1, int(p * (len(s) - 1) + 0.5))], nd)


def rotations(items: list[Any], r: int) -> list[Any]:
    """The contenders in round r's order: rotated every round, so none always runs first (or right after a warm
    neighbour)."""
    k = r % len(items)
    return items[k:] + items[:k]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def dir_mb(path: Path) -> float:
    total = 0
    for p in Path(path).rglob("*"):
        try:
            if p.is_file():
                total += p.stat().st_size
        except OSError:
            pass
    return round(total / 2**20, 1)


def rss_mb() -> float:
    """This process's peak RSS (VmHWM). Not getrusage: on Linux a child's ru_maxrss starts at its parent's RSS at
    fork time, so a small process started by a big one would report the big one's memory."""
    return proc_status_mb(os.getpid()).get("VmHWM", 0.0)


def proc_status_mb(pid: int) -> dict[str, float]:
    """VmRSS and VmHWM (peak) of another process, from /proc."""
    out = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            k, _, v = line.partition(":")
            if k in ("VmRSS", "VmHWM"):
                out[k] = round(int(v.split()[0]) / 1024, 1)
    except OSError:
        pass
    return out


def chroma_local():
    from index.settings import ChromaSettings

    return ChromaSettings(host=None)


def chroma_remote(server: dict):
    from index.settings import ChromaSettings

    return ChromaSettings(host=server["host"], port=server["port"], timeout_s=120.0)


def real_embedder(backend: str = "torch"):
    from index.embedding import get_embedder
    from index.settings import EmbedSettings

    return get_embedder(EmbedSettings(backend=backend))


def onnx_available() -> bool:
    try:
        import onnx  # noqa: F401
        import onnxruntime  # noqa: F401
    except ImportError:
        return False
    return True


class HashVectors:
    """Deterministic random unit vectors per text (quick mode only: no model time at all), presenting the real
    embedder's identity so the index is queried by the real model."""

    def __init__(self, real: Any) -> None:
        self.real = real
        self.name, self.dim, self.max_seq_length = real.name, real.dim, real.max_seq_length
        self.count_tokens, self.settings = real.count_tokens, real.settings

    def embed(self, texts: list[str]):
        import hashlib

        import numpy as np

        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, t in enumerate(texts):
            seed = int.from_bytes(hashlib.blake2b(t.encode(), digest_size=8).digest(), "little")
            v = np.random.default_rng(seed).standard_normal(self.dim).astype(np.float32)
            out[i] = v / np.linalg.norm(v)
        return out

    def embed_query(self, text: str):
        return self.real.embed_query(text)


# --- quality ----------------------------------------------------------------------------------------------------


def score_run(questions: list[dict], answers: list[dict], recs: dict[str, list[dict]], k: int = 5) -> dict:
    """The metrics of ../shared/eval/score_retrieval.py, computed the same way from the same inputs (answers in
    the JSON shape of `adoptbot ask --json`, records in the shape of `adoptbot corpus parse --json`)."""
    sys.path.insert(0, str(EVAL))
    import evalkit
    import score_retrieval

    by_comment = {r["comment_id"]: r for rs in recs.values() for r in rs if r.get("comment_id")}
    texts: dict[tuple, str] = {}
    for rs in recs.values():
        for r in rs:
            key = (r.get("post_id"), r.get("comment_id"))
            texts[key] = texts.get(key, "") + " " + evalkit.fold(r.get("text"))
    m: dict[str, Any] = dict(ndcg=0.0, success=0, precision=0.0, on=0, off=0, abstain=0, false_abstain=0, quotes=0,
                             verbatim=0, attributed=0)
    for q, an in zip(questions, answers, strict=True):
        quotes = an.get("quotes") or []
        answered = bool(an.get("answered")) and bool(quotes)
        for qt in quotes:
            m["quotes"] += 1
            src = texts.get((qt.get("post_id"), qt.get("comment_id")), "")
            m["verbatim"] += score_retrieval.verbatim(qt.get("text", ""), src)
            rec = by_comment.get(qt.get("comment_id"))
            want = rec.get("author") if rec else None
            m["attributed"] += evalkit.name_key(qt.get("author") or "") == evalkit.name_key(want or "")
        if not q["relevant"]:
            m["off"] += 1
            m["abstain"] += not answered
            continue
        m["on"] += 1
        m["false_abstain"] += not answered
        gold = gold_keys(q, recs, evalkit)
        hits = gold_hits(quotes, gold, k, evalkit.fold)
        ndcg, success = ndcg_success(hits, gold, k)
        m["ndcg"] += ndcg
        m["success"] += success
        m["precision"] += sum(h is not None for h in hits) / k
    on = max(m["on"], 1)
    return {"ndcg@5": round(m["ndcg"] / on, 3), "success@5": round(m["success"] / on, 3),
            "precision@5": round(m["precision"] / on, 3), "abstain": f"{m['abstain']}/{m['off']}",
            "false_abstain": m["false_abstain"], "verbatim": round(m["verbatim"] / max(m["quotes"], 1), 3),
            "attributed_as_parsed": round(m["attributed"] / max(m["quotes"], 1), 3)}


class NaivePeer:
    """The plain approach: every record (comment or post) embedded whole (the model truncates it at 256 word
    pieces, as it would), one Chroma collection with Chroma's defaults, the question's embedding as the query,
    top k, the whole record as the quote. No chunks, no BM25, no fusion, no quote cutting, no refusal."""

    def __init__(self, records: list, embedder: Any, path: Path) -> None:
        import chromadb
        from chromadb.config import Settings

        self.embedder = embedder
        self.records = {f"r{i}": r for i, r in enumerate(records)}
        client = chromadb.PersistentClient(path=str(path), settings=Settings(anonymized_telemetry=False))
        self.coll = client.get_or_create_collection("naive-peer", embedding_function=None)
        ids = list(self.records)
        t = time.perf_counter()
        vecs = embedder.embed([self.records[i].text for i in ids])
        self.embed_s = time.perf_counter() - t
        for s in range(0, len(ids), 1000):
            self.coll.add(ids=ids[s:s + 1000], embeddings=vecs[s:s + 1000])

    def ask(self, question: str, k: int = 5) -> dict:
        q = self.embedder.embed_query(question)
        res = self.coll.query(query_embeddings=[q.tolist()], n_results=k, include=["distances"])
        quotes = []
        for i in res["ids"][0]:
            r = self.records[i]
            quotes.append({"text": r.text, "author": r.author, "post_id": r.post_id, "comment_id": r.comment_id})
        return {"answered": bool(quotes), "quotes": quotes}


def section_quality(args: argparse.Namespace) -> dict:
    """hybrid / dense / bm25 (torch, ONNX, int8 query embedders) and the naive peer on the development
    questions, scored as score_retrieval.py scores them; latency per contender, alternating."""
    from index.build import build_index
    from index.corpus import parse_file, read_corpus
    from index.retrieval import Answerer, limit_query_threads
    from index.settings import EmbedSettings
    from index.store import LiveIndex

    if not Path(args.questions).is_file() or not (EVAL / "score_retrieval.py").is_file():
        return {"skipped": f"no development questions and scorer at {args.questions} and {EVAL} (the evaluation "
                "kit lives next to the checkout, in ../shared/eval)"}
    corpus = Path(args.corpus)
    work = Path(tempfile.mkdtemp(prefix="bench-quality-"))
    out: dict[str, Any] = {"load_avg_start": load_avg()}
    try:
        torch_emb = real_embedder("torch")
        db = work / "db"
        t = time.perf_counter()
        rep = build_index(corpus, db, embedder=torch_emb, chroma_settings=chroma_local())
        out["build"] = {"seconds": round(time.perf_counter() - t, 1), "chunks": rep.chunks}
        limit_query_threads()  # as Answerer.open does in the bot and the CLI
        recs = {p.name: [r.to_json() for r in parse_file(p).records] for p in sorted(corpus.iterdir())
                if p.is_file() and p.suffix in (".txt", ".xml", ".json", ".html")}
        records = [r for page in read_corpus(corpus) for r in page.records]
        dev = load_jsonl(Path(args.questions))
        index = LiveIndex.open(db, chroma_local())
        contenders: dict[str, Callable[[str], dict]] = {}
        for mode in ("hybrid", "dense", "bm25"):
            a = Answerer(index, torch_emb)
            contenders[mode] = lambda q, a=a, mode=mode: a.ask(q, k=5, mode=mode).to_json()
        naive = NaivePeer(records, torch_emb, work / "naive")
        out["naive_records"] = len(records)
        contenders["naive"] = naive.ask
        notes = []
        if onnx_available() and not args.quick:  # quick runs smoke-test the default path only
            onnx = real_embedder("onnx")  # fp32: the same vectors as torch, so the same collection
            a = Answerer(index, onnx)
            contenders["hybrid-onnx"] = lambda q, a=a: a.ask(q, k=5).to_json()
            int8 = real_embedder("onnx-int8")  # different vectors: its own index
            db8 = work / "db-int8"
            build_index(corpus, db8, embedder=int8, embed_settings=EmbedSettings(backend="onnx-int8"),
                        chroma_settings=chroma_local())
            a8 = Answerer(LiveIndex.open(db8, chroma_local()), int8)
            contenders["hybrid-onnx-int8"] = lambda q, a=a8: a.ask(q, k=5).to_json()
        else:
            notes.append("ONNX contenders skipped" + (" (quick run)" if args.quick else
                                                       ": onnxruntime/onnx not installed (pip install -e .)"))
        names = list(contenders)
        for q in dev[:3]:
            for n in names:
                contenders[n](q["question"])  # warm every contender
        answers: dict[str, list[dict]] = {n: [] for n in names}
        ms: dict[str, list[float]] = {n: [] for n in names}
        rounds = args.rounds
        for r in range(rounds):
            for i, q in enumerate(dev):
                for n in rotations(names, r + i):
                    t = time.perf_counter()
                    a = contenders[n](q["question"])
                    ms[n].append((time.perf_counter() - t) * 1000)
                    if r == 0:
                        answers[n].append(a)
        out["contenders"] = {n: {**score_run(dev, answers[n], recs), "median_ms": med(ms[n]),
                                 "p90_ms": pct(ms[n], 0.9)} for n in names}
        out["ratio_ms_vs_hybrid"] = {n: round(statistics.median(ms[n]) / statistics.median(ms["hybrid"]), 2)
                                     for n in names}
        out["questions"], out["on_topic"] = len(dev), sum(1 for q in dev if q["relevant"])
        out["rounds"], out["notes"] = rounds, notes
        if not args.quick and Path(args.corpus).resolve() == (ROOT / "corpus").resolve():
            out["scorer"] = run_scorer(args)
            out["scorer_agrees"] = {m: all(out["scorer"][m][k] == out["contenders"][m][k]
                                           for k in ("ndcg@5", "success@5", "precision@5", "abstain",
                                                     "false_abstain"))
                                    for m in ("hybrid", "dense", "bm25")}
        out["load_avg_end"] = load_avg()
        return out
    finally:
        shutil.rmtree(work, ignore_errors=True)


def run_scorer(args: argparse.Namespace) -> dict:
    """The project's scorer itself, as its docstring says to run it: the judge of record for the three modes."""
    p = subprocess.run([sys.executable, str(EVAL / "score_retrieval.py"), "--questions", str(args.questions),
                        "--corpus", "corpus", "--json", "--cli", str(adoptbot_cmd())], cwd=ROOT,
                       capture_output=True, text=True, timeout=1800)
    if p.returncode != 0:
        return {"error": p.stderr[-2000:]}
    return json.loads(p.stdout.strip().splitlines()[-1])


def adoptbot_cmd() -> Path:
    exe = Path(sys.executable).parent / "adoptbot"
    return exe if exe.exists() else Path(shutil.which("adoptbot") or "adoptbot")


# --- synthetic indexes at scale ---------------------------------------------------------------------------------


def scale_dir(args: argparse.Namespace, n: int) -> Path:
    return Path(args.work) / f"synth-{n}"


def server_collection_count(server: dict, db: Path) -> int:
    """Chunks the Chroma server holds for this data folder's live collection (0 when it has none)."""
    import chromadb

    from index.store import LiveIndex

    try:
        m = LiveIndex.open(db, chroma_local()).manifest
        c = chromadb.HttpClient(host=server["host"], port=server["port"])
        return int(c.get_collection(m["collection"], embedding_function=None).count())
    except Exception:
        return 0


def section_scale_build(args: argparse.Namespace) -> dict:
    """One synthetic index of about N chunks (deterministic corpus from bench/synth.py, vectors without the
    model's cost), built by the real build into the embedded store, then copied into the Chroma server the way
    the README's migration does it (`index build` with CHROMA_HOST: vectors from the embedding cache)."""
    from bench.synth import SentenceTableEmbedder, sentence_pool, write_corpus
    from index.build import build_index
    from index.store import LiveIndex

    n = int(args.size)
    base = scale_dir(args, n)
    meta_path = base / "scale.json"
    meta = json.loads(meta_path.read_text()) if meta_path.exists() and not args.rebuild else {}
    real = real_embedder("torch")
    cheap: Any = None

    def vectors() -> Any:
        nonlocal cheap
        if cheap is None:
            if args.quick:
                cheap = HashVectors(real)
            else:
                cheap = SentenceTableEmbedder(real)
                t = time.perf_counter()
                topical, filler, products = sentence_pool()
                cheap.preload(topical + filler + products)
                meta["pool_embed_s"] = round(time.perf_counter() - t, 1)
        return cheap

    corpus, db = base / "corpus", base / "db"
    if not meta.get("embedded"):
        shutil.rmtree(base, ignore_errors=True)
        base.mkdir(parents=True)
        t = time.perf_counter()
        write_corpus(corpus, n)
        meta["generate_s"] = round(time.perf_counter() - t, 1)
        emb = vectors()
        la = load_avg()
        t = time.perf_counter()
        rep = build_index(corpus, db, embedder=emb, chroma_settings=chroma_local())
        meta["embedded"] = {"seconds": round(time.perf_counter() - t, 1), "stages": rep.to_json()["stages"],
                            "chunks": rep.chunks, "records": rep.added, "load_avg_start": la,
                            "load_avg_end": load_avg(), "peak_rss_mb": rss_mb(), "vectors": type(emb).__name__}
        meta_path.write_text(json.dumps(meta, indent=1))
        print(f"[scale {n}] first build {meta['embedded']}", flush=True)
    if not meta.get("full_cached"):
        # `adoptbot index build` into a fresh data folder whose embedding cache holds every vector: a full build
        # without the model (chunking, store, lexical index, Chroma, topics, swap), then the same build again,
        # which finds nothing changed
        full = base / "db-full"
        shutil.rmtree(full, ignore_errors=True)
        full.mkdir()
        shutil.copy(db / "embeddings.sqlite", full / "embeddings.sqlite")
        meta["full_cached"] = cli_build(corpus, full)
        meta["noop"] = cli_build(corpus, full)
        meta["disk_mb"] = {"chroma": dir_mb(full / "chroma"), "embedding_cache": file_mb(full / "embeddings.sqlite"),
                           "generation": dir_mb(full / "generations"), "corpus": dir_mb(corpus)}
        meta_path.write_text(json.dumps(meta, indent=1))
        print(f"[scale {n}] full build, vectors cached {meta['full_cached']}; no-op {meta['noop']}", flush=True)
    server = json.loads(args.server) if args.server else None
    if server:
        chunks = int(LiveIndex.open(db, chroma_local()).manifest["counts"]["chunks"])
        if server_collection_count(server, db) != chunks:
            # the README's migration: `index build` with CHROMA_HOST, every vector from the embedding cache
            meta["server_copy"] = cli_build(corpus, db, server)
            meta_path.write_text(json.dumps(meta, indent=1))
            print(f"[scale {n}] server copy {meta['server_copy']}", flush=True)
    return meta


def launched(cmd: list[str], env: dict[str, str]) -> tuple[str, dict[str, float]]:
    """Run a command under the small launcher: its stdout, and its wall seconds, CPU seconds and peak RSS (MB)."""
    p = subprocess.run([sys.executable, "-c", LAUNCHER, *cmd], capture_output=True, text=True, env=env)
    lines = p.stdout.splitlines()
    info = dict(kv.split("=") for kv in lines[-1].split()[1:]) if lines and lines[-1].startswith("@@launcher") \
        else {}
    if info.get("rc") != "0":
        raise SystemExit(f"{' '.join(cmd)} failed: {p.stderr[-2000:]}")
    # the process tree's peak (sampled every 0.2 s) when it is larger: a build's writer process counts too
    peak_kb = max(int(info["rss_kb"]), int(info.get("tree_kb", 0)))
    return "\n".join(lines[:-1]), {"seconds": round(float(info["wall"]), 1), "cpu_s": round(float(info["cpu"]), 1),
                                   "peak_rss_mb": round(peak_kb / 1024, 1),
                                   "peak_rss_largest_process_mb": round(int(info["rss_kb"]) / 1024, 1)}


def cli_build(corpus: Path, db: Path, server: dict | None = None) -> dict[str, Any]:
    """`adoptbot index build --json` as its own process (the embedded store, or the server when given)."""
    env = dict(os.environ, ADOPTBOT_LOG_LEVEL="WARNING")
    env.pop("CHROMA_HOST", None)
    if server:
        env.update(CHROMA_HOST=server["host"], CHROMA_PORT=str(server["port"]), CHROMA_TIMEOUT_S="120")
    la = load_avg()
    out, info = launched([str(adoptbot_cmd()), "index", "build", "--corpus", str(corpus), "--db", str(db), "--json"],
                         env)
    rep = json.loads(out.strip().splitlines()[-1])
    return {**info, "stages": rep.get("stages", {}), "chunks": rep["chunks"], "embedded": rep["embedded"],
            "swapped": rep["swapped"], "load_avg_start": la, "load_avg_end": load_avg()}


def file_mb(path: Path) -> float:
    try:
        return round(path.stat().st_size / 2**20, 1)
    except OSError:
        return 0.0


# --- latency against corpus size --------------------------------------------------------------------------------


def shipped_db(args: argparse.Namespace, work: Path, server: dict | None = None, backend: str = "torch") -> Path:
    """The shipped corpus indexed with the real model (and copied into the server when one is given)."""
    from index.build import build_index
    from index.settings import EmbedSettings

    db = work / f"shipped-{backend}"
    emb = real_embedder(backend)
    build_index(Path(args.corpus), db, embedder=emb, embed_settings=EmbedSettings(backend=backend),
                chroma_settings=chroma_local())
    if server:
        build_index(Path(args.corpus), db, embedder=emb, embed_settings=EmbedSettings(backend=backend),
                    chroma_settings=chroma_remote(server))
    return db


def section_latency(args: argparse.Namespace) -> dict:
    """Warm in-process answers (embed + dense + BM25 + quotes) on one index, embedded Chroma and the Chroma
    server alternating question by question."""
    from index.retrieval import Answerer, limit_query_threads
    from index.store import LiveIndex

    server = json.loads(args.server) if args.server else None  # None: the embedded store alone
    work = Path(tempfile.mkdtemp(prefix="bench-latency-"))
    try:
        if args.size == "shipped":
            db, label = shipped_db(args, work, server), "shipped"
        else:
            db, label = scale_dir(args, int(args.size)) / "db", int(args.size)
            if not (db / "LIVE").exists():
                raise SystemExit(f"no synthetic index in {db}: run the scale-build section first")
        real = real_embedder("torch")
        limit_query_threads()  # as Answerer.open does in the bot
        la = load_avg()
        t = time.perf_counter()
        idx_e = LiveIndex.open(db, chroma_local())
        a_e = Answerer(idx_e, real)
        a_e.warm()
        open_s = time.perf_counter() - t
        contenders = {"embedded": a_e}
        open_server_s = None
        if server:
            t = time.perf_counter()
            idx_s = LiveIndex.open(db, chroma_remote(server))  # the same generation files (the OS shares pages)
            contenders["server"] = Answerer(idx_s, real)
            contenders["server"].warm()
            open_server_s = round(time.perf_counter() - t, 2)
        dev = load_jsonl(Path(args.questions)) if Path(args.questions).is_file() else []
        qs = [q["question"] for q in dev + load_jsonl(HELDOUT)]
        if args.quick:
            qs = qs[:10]
        names = list(contenders)
        for q in qs[:3]:
            for n in names:
                contenders[n].ask(q)
        parts = ("total", "embed", "dense", "lexical", "quotes")
        tm: dict[str, dict[str, list[float]]] = {n: {p: [] for p in parts} for n in names}
        answered: dict[str, int] = dict.fromkeys(names, 0)
        for r in range(args.rounds):
            for i, q in enumerate(qs):
                for n in rotations(names, r + i):
                    a = contenders[n].ask(q)
                    for p in parts:
                        tm[n][p].append(a.timings_ms.get(p, 0.0))
                    answered[n] += a.answered
        m = idx_e.manifest["counts"]
        row: dict[str, Any] = {"label": label, "chunks": m["chunks"], "records": m["records"], "questions": len(qs),
                               "rounds": args.rounds, "open_s": round(open_s, 2),
                               "open_server_s": open_server_s, "load_avg_start": la,
                               "load_avg_end": load_avg(), "contenders": {}}
        for n in names:
            row["contenders"][n] = {"n": len(tm[n]["total"]), "median_ms": med(tm[n]["total"]),
                                    "p90_ms": pct(tm[n]["total"], 0.9),
                                    **{f"median_{p}_ms": med(tm[n][p]) for p in parts[1:]},
                                    "answered": round(answered[n] / len(tm[n]["total"]), 3)}
        if server:
            row["ratio_server_vs_embedded"] = round(
                statistics.median(tm["server"]["total"]) / statistics.median(tm["embedded"]["total"]), 2)
        row["peak_rss_mb"] = rss_mb()
        print(f"[latency {label}] {json.dumps(row['contenders'])}", flush=True)
        return row
    finally:
        shutil.rmtree(work, ignore_errors=True)


# --- indexing ---------------------------------------------------------------------------------------------------


def texts_of_length(n_pieces: int, count: int, corpus: Path) -> list[str]:
    """`count` verbatim windows of the shipped corpus, each exactly `n_pieces` word pieces of the model."""
    from tokenizers import Tokenizer

    from index.corpus import read_corpus
    from index.embedding import resolve_model
    from index.settings import EmbedSettings

    path, _ = resolve_model(EmbedSettings().model)
    tok = Tokenizer.from_file(str(Path(path) / "tokenizer.json"))
    tok.no_truncation()
    big = " ".join(r.text.replace("\n", " ") for p in read_corpus(corpus) for r in p.records)
    enc = tok.encode(big, add_special_tokens=False)
    offs = enc.offsets
    step = max(1, (len(offs) - n_pieces) // count)
    return [big[offs[s][0]:offs[s + n_pieces - 1][1]] for s in range(0, step * count, step)]


def model_flops(n_pieces: int) -> float:
    """FLOPs of one forward pass of the packaged model over n word pieces (+[CLS]/[SEP]): per layer, the Q/K/V/O
    projections (4·h² per token), the feed-forward (2·h·i per token), the attention products (2·L·h per token),
    two FLOPs per multiply-add."""
    from index.embedding import resolve_model
    from index.settings import EmbedSettings

    path, _ = resolve_model(EmbedSettings().model)
    cfg = json.loads((Path(path) / "config.json").read_text())
    h, i, layers = cfg["hidden_size"], cfg["intermediate_size"], cfg["num_hidden_layers"]
    n = n_pieces + 2
    return layers * 2 * (n * (4 * h * h + 2 * h * i) + 2 * n * n * h)


def matmul_gflops(threads: int, reps: int = 20) -> float:
    import torch

    torch.set_num_threads(threads)
    a, b = torch.randn(1024, 1024), torch.randn(1024, 1024)
    for _ in range(3):
        a @ b
    ts = []
    for _ in range(reps):
        t = time.perf_counter()
        a @ b
        ts.append(time.perf_counter() - t)
    return round(2 * 1024**3 / statistics.median(ts) / 1e9, 1)


def section_indexing(args: argparse.Namespace) -> dict:
    """Chunks embedded per second: torch vs ONNX vs ONNX int8 on the shipped corpus's chunks and against chunk
    length (alternating backends every round); the compute ceiling; a no-op rebuild against a full one."""
    import torch

    from bench.bench_index import corpus_texts

    corpus = Path(args.corpus)
    out: dict[str, Any] = {"load_avg_start": load_avg(), "rounds": args.rounds}
    cpus = os.cpu_count() or 1
    reps = 5 if args.quick else 20
    out["matmul_gflops"] = {"1_thread": matmul_gflops(1, reps), f"{cpus}_threads": matmul_gflops(cpus, reps)}
    torch.set_num_threads(cpus)  # `adoptbot index build` leaves torch's default: every core
    backends = [b for b in BACKENDS if b == "torch" or (onnx_available() and not args.quick)]
    embs = {b: real_embedder(b) for b in backends}
    texts = corpus_texts(corpus)
    if args.quick:
        texts = texts[:8]
    pieces = [embs["torch"].count_tokens(t) for t in texts]
    for e in embs.values():
        e.embed(texts[:8])  # warm-up
    rates: dict[str, list[float]] = {b: [] for b in backends}
    for r in range(args.rounds):
        for b in rotations(backends, r):
            t = time.perf_counter()
            embs[b].embed(texts)
            rates[b].append(len(texts) / (time.perf_counter() - t))
    out["shipped"] = {"chunks": len(texts), "mean_pieces": round(statistics.mean(pieces), 1),
                      "median_pieces": statistics.median(pieces), "batch_size": embs["torch"].settings.batch_size,
                      "chunks_per_s": {b: med(v, 1) for b, v in rates.items()},
                      "runs": {b: [round(x, 1) for x in v] for b, v in rates.items()},
                      "ratio_vs_torch": {b: round(statistics.median(v) / statistics.median(rates["torch"]), 2)
                                         for b, v in rates.items()}}
    print(f"[indexing] shipped {out['shipped']['chunks_per_s']}", flush=True)
    lengths = (16, 64) if args.quick else LENGTHS
    per_len = 4 if args.quick else 48
    by_len: dict[str, dict[str, Any]] = {b: {} for b in backends}
    for n in lengths:
        sample = texts_of_length(n, per_len, corpus)
        got: dict[str, list[float]] = {b: [] for b in backends}
        for r in range(args.rounds):
            for b in rotations(backends, r):
                t = time.perf_counter()
                embs[b].embed(sample)
                got[b].append(len(sample) / (time.perf_counter() - t))
        for b in backends:
            by_len[b][str(n)] = med(got[b], 1)
    # the most generous ceiling: every core at the one-thread matmul peak (two threads measure lower when shared)
    out["peak_gflops"] = round(max(out["matmul_gflops"]["1_thread"] * cpus, out["matmul_gflops"][f"{cpus}_threads"]), 1)
    ceiling = out["peak_gflops"] * 1e9
    out["by_length"] = {"pieces": list(lengths), "texts_per_length": per_len, "chunks_per_s": by_len,
                        "gflop_per_chunk": {str(n): round(model_flops(n) / 1e9, 3) for n in lengths},
                        "ceiling_chunks_per_s": {str(n): round(ceiling / model_flops(n), 1) for n in lengths}}
    mp = out["shipped"]["mean_pieces"]
    out["shipped"]["gflop_per_chunk"] = round(model_flops(round(mp)) / 1e9, 3)
    out["shipped"]["ceiling_chunks_per_s"] = round(ceiling / model_flops(round(mp)), 1)
    out["shipped"]["effective_gflops"] = {b: round(v * model_flops(round(mp)) / 1e9, 1)
                                          for b, v in out["shipped"]["chunks_per_s"].items()}
    print(f"[indexing] by length {by_len}", flush=True)
    out["rebuild"] = rebuild_ratio(args, embs["torch"])
    out["load_avg_end"] = load_avg()
    return out


def rebuild_ratio(args: argparse.Namespace, emb: Any) -> dict:
    """A full build of a fresh data folder against a no-op rebuild of the same folder, in process (the model
    already loaded) and as `adoptbot index build` processes; alternating, medians."""
    from index.build import build_index

    corpus = Path(args.corpus)
    full, noop, cfull, cnoop = [], [], [], []
    for _ in range(args.rounds):
        with tempfile.TemporaryDirectory() as d:
            t = time.perf_counter()
            build_index(corpus, Path(d) / "db", embedder=emb, chroma_settings=chroma_local())
            full.append(time.perf_counter() - t)
            t = time.perf_counter()
            rep = build_index(corpus, Path(d) / "db", embedder=emb, chroma_settings=chroma_local())
            noop.append(time.perf_counter() - t)
            assert rep.embedded == 0 and not rep.swapped, "the second build was not a no-op"
    out = {"in_process": {"full_s": med(full), "noop_s": med(noop, 3),
                          "ratio": round(statistics.median(noop) / statistics.median(full), 4)}}
    if not args.quick:
        env = dict(os.environ, ADOPTBOT_LOG_LEVEL="WARNING")
        env.pop("CHROMA_HOST", None)
        for _ in range(args.rounds):
            with tempfile.TemporaryDirectory() as d:
                cmd = [str(adoptbot_cmd()), "index", "build", "--corpus", str(corpus), "--db", str(Path(d) / "db")]
                for bucket in (cfull, cnoop):
                    t = time.perf_counter()
                    subprocess.run(cmd, check=True, capture_output=True, env=env)
                    bucket.append(time.perf_counter() - t)
        out["processes"] = {"full_s": med(cfull), "noop_s": med(cnoop),
                            "ratio": round(statistics.median(cnoop) / statistics.median(cfull), 4)}
    print(f"[indexing] rebuild {out}", flush=True)
    return out


# --- storage engines ----------------------------------------------------------------------------------------------


def section_engines(args: argparse.Namespace) -> dict:
    """The storage choices measured on their own: Chroma writes the old way and the new way (bench/bench_store.py,
    100k vectors) and the lexical index, ours against SQLite FTS5 and bm25s in memory (bench/bench_lexical.py, 1M
    documents); each engine in its own process."""
    n_store, n_lex = (2000, 5000) if args.quick else (100_000, 1_000_000)
    out: dict[str, Any] = {}
    for name, script, n in (("store", "bench_store.py", n_store), ("lexical", "bench_lexical.py", n_lex)):
        fd, tmp = tempfile.mkstemp(suffix=".json")
        os.close(fd)
        try:
            flag = "--n" if name == "store" else "--docs"
            subprocess.run([sys.executable, str(ROOT / "bench" / script), flag, str(n), "--out", tmp], check=True,
                           cwd=ROOT, stdout=subprocess.DEVNULL)
            out[name] = json.loads(Path(tmp).read_text())
        finally:
            Path(tmp).unlink(missing_ok=True)
    return out


# --- the bot process --------------------------------------------------------------------------------------------


# Starts the measured command and reports its peak RSS from wait4(). The launcher is small on purpose: a child's
# ru_maxrss starts at its parent's RSS at fork time, so the command must not be forked from a process holding a model.
LAUNCHER = r"""
import os, subprocess, sys, threading, time
def tree_kb(pid):  # RSS of a process and all its descendants (a build's vector writer is a second process)
    total, todo = 0, [pid]
    while todo:
        q = todo.pop()
        try:
            with open(f"/proc/{q}/status") as f:
                total += next((int(l.split()[1]) for l in f if l.startswith("VmRSS:")), 0)
            for tid in os.listdir(f"/proc/{q}/task"):
                with open(f"/proc/{q}/task/{tid}/children") as f:
                    todo += [int(c) for c in f.read().split()]
        except (OSError, ValueError):
            pass
    return total
t = time.perf_counter()
p = subprocess.Popen(sys.argv[1:])
peak = [0]
def sample():
    while p.poll() is None:
        peak[0] = max(peak[0], tree_kb(p.pid))
        time.sleep(0.2)
threading.Thread(target=sample, daemon=True).start()
_, status, usage = os.wait4(p.pid, 0)
print(f"\n@@launcher rss_kb={usage.ru_maxrss} tree_kb={peak[0]} rc={os.waitstatus_to_exitcode(status)} "
      f"wall={time.perf_counter() - t:.3f} cpu={usage.ru_utime + usage.ru_stime:.2f}", flush=True)
"""


def cold_start(db: Path, corpus: Path, backend: str, server: dict | None = None) -> dict:
    """`adoptbot chat QUESTION` from process start to the first answer line on its stdout, and its peak RSS; with
    `server`, the vectors are the Chroma server's (CHROMA_HOST), as a bot of a several-bots deployment runs."""
    env = dict(os.environ, PYTHONUNBUFFERED="1", ADOPTBOT_EMBED_BACKEND=backend, ADOPTBOT_LOG_LEVEL="WARNING")
    env.pop("CHROMA_HOST", None)
    if server:
        env.update(CHROMA_HOST=server["host"], CHROMA_PORT=str(server["port"]), CHROMA_TIMEOUT_S="120")
    cmd = [sys.executable, "-c", LAUNCHER, str(adoptbot_cmd()), "chat", "--db", str(db), "--corpus", str(corpus),
           COLD_Q]
    t = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
    first, lines, info = None, [], {}
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.startswith("@@launcher "):
            info = dict(kv.split("=") for kv in line.split()[1:])
            continue
        if first is None and line.strip():
            first = time.perf_counter() - t
        lines.append(line)
    proc.wait()
    text = "".join(lines)
    ok = info.get("rc") == "0" and COLD_Q in text and ("> " in text or "nothing" in text)
    return {"first_answer_s": round(first or float("nan"), 2), "exit_s": round(float(info.get("wall", "nan")), 2),
            "peak_rss_mb": round(int(info.get("rss_kb", 0)) / 1024, 1), "ok": ok}


ANATOMY = r"""
import json, os, sys, time
t0 = time.perf_counter()
sys.path.insert(0, os.environ["ROOT"])
import torch; t1 = time.perf_counter()
import sentence_transformers; t2 = time.perf_counter()
import chromadb; t3 = time.perf_counter()
import discord; t4 = time.perf_counter()
from bot.service import Answers; t5 = time.perf_counter()
from pathlib import Path
a = Answers.open(Path(os.environ["CORPUS"]), Path(os.environ["DB"])); t6 = time.perf_counter()
a.ask(os.environ["Q"]); t7 = time.perf_counter()
print(json.dumps({"import torch": t1 - t0, "import sentence_transformers (+transformers, sklearn)": t2 - t1,
                  "import chromadb": t3 - t2, "import discord": t4 - t3, "import adoptbot (bot.service)": t5 - t4,
                  "load model, open index, warm-up answer": t6 - t5, "first answer": t7 - t6}))
"""


def section_bot(args: argparse.Namespace) -> dict:
    """Cold start to the first answer and peak memory of the bot process (`adoptbot chat`: the bot's Answers,
    model and index, rendering to the terminal instead of Discord), torch and ONNX alternating, and torch against
    the Chroma server (the synthetic indexes the server holds a copy of)."""
    work = Path(tempfile.mkdtemp(prefix="bench-bot-"))
    try:
        corpus = Path(args.corpus)
        out: dict[str, Any] = {"load_avg_start": load_avg(), "question": COLD_Q, "indexes": {}}
        backends = [b for b in ("torch", "onnx") if b == "torch" or (onnx_available() and not args.quick)]
        targets = [("shipped", shipped_db(args, work), corpus)]
        for n in (int(s) for s in (args.sizes or "").split(",") if s and not args.quick):
            base = scale_dir(args, n)
            if (base / "db" / "LIVE").exists():
                targets.append((f"synthetic {n}", base / "db", base / "corpus"))
        for label, db, c in targets:
            runs = args.rounds + (2 if not args.quick else 0)
            if label != "shipped" and int(label.split()[1]) > 100_000:
                runs = 1  # one run of the biggest: memory and start-up, not a distribution
            server = json.loads(args.server) if args.server and label != "shipped" else None
            variants = backends + (["torch+server"] if server else [])
            got: dict[str, list[dict]] = {b: [] for b in variants}
            for r in range(runs):
                for b in rotations(variants, r):
                    got[b].append(cold_start(db, c, b.split("+")[0], server if b.endswith("+server") else None))
            from index.store import LiveIndex

            m = LiveIndex.open(db, chroma_local()).manifest["counts"]
            out["indexes"][label] = {"chunks": m["chunks"], "records": m["records"], "runs": runs, "backends": {
                b: {"median_first_answer_s": med([x["first_answer_s"] for x in v]),
                    "median_peak_rss_mb": med([x["peak_rss_mb"] for x in v], 1),
                    "max_peak_rss_mb": max(x["peak_rss_mb"] for x in v), "all_ok": all(x["ok"] for x in v),
                    "first_answer_runs_s": [x["first_answer_s"] for x in v]} for b, v in got.items()}}
            print(f"[bot] {label} {out['indexes'][label]}", flush=True)
        anat = []
        env = dict(os.environ, ROOT=str(ROOT), CORPUS=str(corpus), DB=str(targets[0][1]), Q=COLD_Q,
                   ADOPTBOT_LOG_LEVEL="WARNING", ADOPTBOT_EMBED_BACKEND="torch")
        for _ in range(0 if args.quick else 3):
            p = subprocess.run([sys.executable, "-c", ANATOMY], capture_output=True, text=True, env=env, cwd=ROOT,
                               check=True)
            anat.append(json.loads(p.stdout.strip().splitlines()[-1]))
        if anat:
            out["anatomy_s"] = {k: med([a[k] for a in anat]) for k in anat[0]}
        out["load_avg_end"] = load_avg()
        return out
    finally:
        shutil.rmtree(work, ignore_errors=True)


# --- orchestration ----------------------------------------------------------------------------------------------


@contextmanager
def chroma_server(args: argparse.Namespace) -> Iterator[dict]:
    """`chroma run` on 127.0.0.1 with its own path in the work folder (kept, so copies are reused); stopped after."""
    exe = shutil.which("chroma", path=str(Path(sys.executable).parent)) or shutil.which("chroma")
    if exe is None:
        raise SystemExit("the chroma command is missing (it comes with the chromadb package)")
    path = Path(args.work) / "chroma-server"
    path.mkdir(parents=True, exist_ok=True)
    port = free_port()
    log = open(path / "server.log", "ab")
    proc = subprocess.Popen([exe, "run", "--path", str(path / "data"), "--host", "127.0.0.1", "--port", str(port)],
                            stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=2).read()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"chroma server did not start; see {path / 'server.log'}") from None
                time.sleep(0.2)
        yield {"host": "127.0.0.1", "port": port, "pid": proc.pid}
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def run_section(name: str, args: argparse.Namespace, extra: list[str] | None = None) -> dict:
    """One section in a child process (its own threads and memory); returns its JSON. Quick runs stay in this
    process (one model load instead of one per section: a smoke test of the same code, not a measurement)."""
    if args.quick:
        ns = argparse.Namespace(**vars(args))
        for flag, value in zip((extra or [])[::2], (extra or [])[1::2], strict=True):
            setattr(ns, flag.lstrip("-").replace("-", "_"), value)
        t = time.perf_counter()
        out = SECTION_FUNCS[name](ns)
        out["_process"] = {"seconds": round(time.perf_counter() - t, 1), "in_process": True}
        return out
    fd, tmp = tempfile.mkstemp(suffix=".json", prefix="bench-section-")
    os.close(fd)
    cmd = [sys.executable, str(Path(__file__).resolve()), "--section", name, "--section-out", tmp,
           "--work", str(args.work), "--corpus", str(args.corpus), "--questions", str(args.questions),
           "--rounds", str(args.rounds), *(["--quick"] if args.quick else []),
           *(["--rebuild"] if args.rebuild else []), *(extra or [])]
    t = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT)
    try:
        if proc.returncode != 0:
            raise SystemExit(f"section {name} failed (exit {proc.returncode}): {' '.join(cmd)}")
        out = json.loads(Path(tmp).read_text())
    finally:
        Path(tmp).unlink(missing_ok=True)
    out["_process"] = {"seconds": round(time.perf_counter() - t, 1)}
    return out


def small_corpus(corpus: Path, out: Path, min_records: int = 5) -> Path:
    """The smallest page of the corpus with at least `min_records` records (and its sidecar): quick runs only."""
    from index.corpus import parse_file

    pages = sorted((p for p in corpus.iterdir() if p.suffix in (".txt", ".xml", ".html")),
                   key=lambda p: p.stat().st_size)
    page = next((p for p in pages if len(parse_file(p).records) >= min_records), pages[0])
    out.mkdir(parents=True, exist_ok=True)
    for p in corpus.glob(page.stem + ".*"):
        shutil.copy(p, out / p.name)
    return out


def machine() -> dict:
    from importlib.metadata import PackageNotFoundError, version

    def ver(name: str) -> str | None:
        try:
            return version(name)
        except PackageNotFoundError:
            return None

    cpu = ""
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                   if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    mem = 0.0
    try:
        mem = int(Path("/proc/meminfo").read_text().split()[1]) / 2**20
    except (OSError, ValueError, IndexError):
        pass
    return {"cpus": os.cpu_count(), "cpu": cpu, "mem_gb": round(mem, 1), "python": platform.python_version(),
            "torch": ver("torch"), "chromadb": ver("chromadb"), "onnxruntime": ver("onnxruntime"),
            "load_avg_at_start": load_avg()}


def wait_quiet(args: argparse.Namespace) -> None:
    """Optionally wait (bounded) for the machine's 1-minute load to drop before a timed section."""
    if not args.quiet_load:
        return
    deadline = time.monotonic() + args.quiet_wait
    while load_avg() > args.quiet_load and time.monotonic() < deadline:
        print(f"load average {load_avg()} > {args.quiet_load}: waiting", flush=True)
        time.sleep(15)


def orchestrate(args: argparse.Namespace) -> int:
    out_dir = Path(args.out) if args.out else None
    results_path = (out_dir / "latest.json") if out_dir else RESULTS
    if args.quick and not out_dir:
        out_dir = Path(tempfile.mkdtemp(prefix="bench-quick-"))
        results_path = out_dir / "latest.json"
    results = json.loads(results_path.read_text()) if results_path.exists() else {}
    if args.quick and Path(args.corpus).resolve() == (ROOT / "corpus").resolve():
        args.corpus = str(small_corpus(Path(args.corpus), Path(tempfile.mkdtemp(prefix="bench-corpus-"))))
    if not args.report_only:
        only = args.only.split(",") if args.only else list(SECTIONS)
        sizes = [int(s) for s in args.sizes.split(",")] if args.sizes else list(QUICK_SIZES if args.quick else SIZES)
        results.update({"generated_at": time.strftime("%Y-%m-%d %H:%M:%S"), "quick": bool(args.quick),
                        "machine": machine(), "command": " ".join(["bench/run", *sys.argv[1:]])})

        def save() -> None:
            results_path.parent.mkdir(parents=True, exist_ok=True)
            results_path.write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n")

        if "quality" in only:
            wait_quiet(args)
            results["quality"] = run_section("quality", args)
            save()
        needs_server = {"scale-build", "latency"} & set(only)
        if needs_server:
            with chroma_server(args) as server:
                srv = ["--server", json.dumps(server)]
                builds = results.get("scale_build", {}) if "scale-build" not in only else {}
                for n in sizes:
                    builds[str(n)] = run_section("scale-build", args, ["--size", str(n), *srv])
                    results["scale_build"] = builds
                    save()
                if "latency" in only:
                    lat = []
                    for n in ["shipped", *sizes]:
                        wait_quiet(args)
                        row = run_section("latency", args, ["--size", str(n), *srv])
                        row["server_mem_mb"] = proc_status_mb(server["pid"])
                        lat.append(row)
                        results["latency"] = {"sizes": lat}
                        save()
        if "engines" in only:
            wait_quiet(args)
            results["engines"] = run_section("engines", args)
            save()
        if "indexing" in only:
            wait_quiet(args)
            results["indexing"] = run_section("indexing", args)
            save()
        if "bot" in only:
            wait_quiet(args)
            with chroma_server(args) as server:  # the synthetic indexes' server copies, for the server variant
                results["bot"] = run_section("bot", args, ["--sizes", ",".join(str(s) for s in sizes),
                                                           "--server", json.dumps(server)])
            save()
        save()
    from bench.report import write_report

    doc = (out_dir / "benchmarks.md") if out_dir else DOC
    figs = (out_dir / "benchmarks") if out_dir else FIGS
    write_report(results, doc, figs, results_path)
    print(f"wrote {results_path}, {doc} and {figs}/")
    return 0


SECTION_FUNCS: dict[str, Callable[[argparse.Namespace], dict]] = {}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="a smoke run: tiny sizes, one round, written to a temp dir")
    ap.add_argument("--only", help="comma-separated sections: " + ", ".join(SECTIONS))
    ap.add_argument("--sizes", help="synthetic sizes in chunks (default 10000,100000,1000000; quick: 2000)")
    ap.add_argument("--rounds", type=int, help="rounds of alternating contenders (default 3; quick: 1)")
    ap.add_argument("--out", help="write latest.json, benchmarks.md and the plots into this folder instead")
    ap.add_argument("--work", default=os.environ.get("ADOPTBOT_BENCH_WORK", "/tmp/adoptbot-bench"),
                    help="where synthetic corpora, their indexes and the Chroma server's data are kept")
    ap.add_argument("--corpus", default=str(ROOT / "corpus"))
    ap.add_argument("--questions", default=str(DEV))
    ap.add_argument("--rebuild", action="store_true", help="make the synthetic indexes again")
    ap.add_argument("--report-only", action="store_true", help="only regenerate the report from the results")
    ap.add_argument("--quiet-load", type=float, default=0.0,
                    help="before each timed section, wait until the 1-minute load average is below this")
    ap.add_argument("--quiet-wait", type=float, default=600.0, help="longest wait for --quiet-load, in seconds")
    ap.add_argument("--section", help=argparse.SUPPRESS)
    ap.add_argument("--section-out", help=argparse.SUPPRESS)
    ap.add_argument("--size", help=argparse.SUPPRESS)
    ap.add_argument("--server", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.rounds is None:
        args.rounds = 1 if args.quick else 3
    if args.section:
        import logging

        logging.basicConfig(level=logging.WARNING)
        out = SECTION_FUNCS[args.section](args)
        Path(args.section_out).write_text(json.dumps(out, ensure_ascii=False))
        return 0
    return orchestrate(args)


SECTION_FUNCS.update({"engines": section_engines, "quality": section_quality, "scale-build": section_scale_build,
                      "latency": section_latency, "indexing": section_indexing, "bot": section_bot})

if __name__ == "__main__":
    sys.exit(main())
