"""Judged quality of the answers: every question set we have, every quote scored against the pool of blind judgments.

    .venv/bin/python bench/quality.py                      # the default variant, all sets, table on stdout
    .venv/bin/python bench/quality.py -V hybrid -V dense   # several variants side by side
    .venv/bin/python bench/quality.py --pending out.jsonl  # also write the quotes nobody judged yet (for graders)

Sets: the shared development questions (`questions_dev`, `questions_judged_dev`; their gold anchors are judgments
too), our own (`bench/questions/own.jsonl`, tune and holdout apart; `issue.jsonl`) and the first session's
refusal set. A quote's grade is the blind grade of its record for that question (`bench/judgments/`); a quote no
one judged counts 0 and is counted as `unjudged`, so a variant that brings up new quotes must be graded before its
figures are believed.

Reported per set: nDCG@5 (graded, ideal from every judged record of the question), success@5 (a grade-2 quote in
the first five), precision@5 (share of the five slots holding a quote judged >= 1), precision2@5 (judged 2), the
mean judged relevance of the quotes shown (0-2), refusals (off-topic refused, on-topic refused), unjudged quotes,
and the median answer time.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import statistics
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
EVAL = next((p / "shared" / "eval" for p in ROOT.parents if (p / "shared" / "eval").exists()),
            ROOT.parent / "shared" / "eval")  # ../shared/eval, also from a git worktree further down
JUDGMENTS = ROOT / "bench" / "judgments"
QUESTIONS = ROOT / "bench" / "questions"
SCRATCH = ROOT / "bench" / "results" / "tmp-quality"
K = 5


def qnorm(q: str) -> str:
    return " ".join(q.casefold().split())


@dataclass
class Question:
    text: str
    on_topic: bool
    set: str
    split: str = "tune"
    kind: str = ""


def tnorm(text: str) -> str:
    return " ".join((text or "").split())


@dataclass
class Pool:
    """Grades by (question, post_id, comment_id), and by the exact quote text shown; several judgments of one
    pair are averaged and rounded. `exact` pools answer only for a quote graded as it is cut now."""

    grades: dict[tuple[str, str, str | None], list[int]] = field(default_factory=lambda: defaultdict(list))
    quotes: dict[tuple[str, str, str | None, str], list[int]] = field(default_factory=lambda: defaultdict(list))
    exact: bool = False

    def add(self, question: str, post_id: str, comment_id: str | None, grade: int, quote: str | None = None) -> None:
        self.grades[(qnorm(question), post_id, comment_id)].append(int(grade))
        if quote:
            self.quotes[(qnorm(question), post_id, comment_id, tnorm(quote))].append(int(grade))

    def grade(self, question: str, post_id: str, comment_id: str | None, quote: str | None = None) -> int | None:
        if self.exact:
            g = self.quotes.get((qnorm(question), post_id, comment_id, tnorm(quote or "")))
        else:
            g = self.grades.get((qnorm(question), post_id, comment_id))
        return None if not g else int(round(statistics.mean(g) + 1e-9))

    def judged(self, question: str) -> list[int]:
        if self.exact:
            return self.judged_exact(question)
        qn = qnorm(question)
        return [int(round(statistics.mean(g) + 1e-9)) for (q, _, _), g in self.grades.items() if q == qn]

    def judged_exact(self, question: str) -> list[int]:
        """Every record's best graded quote for the question (an ideal ranking shows each record once)."""
        qn = qnorm(question)
        best: dict[tuple[str, str | None], int] = {}
        for (q, post_id, comment_id, _), g in self.quotes.items():
            if q == qn:
                v = int(round(statistics.mean(g) + 1e-9))
                best[(post_id, comment_id)] = max(v, best.get((post_id, comment_id), 0))
        return list(best.values())


def load_jsonl(path: Path) -> list[dict]:
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]


def question_sets(with_shared: bool = True) -> list[Question]:
    out: list[Question] = []
    if with_shared and EVAL.exists():
        for name in ("questions_dev", "questions_judged_dev"):
            for q in load_jsonl(EVAL / f"{name}.jsonl"):
                out.append(Question(q["question"], bool(q["relevant"]), name))
    for q in load_jsonl(QUESTIONS / "own.jsonl"):
        out.append(Question(q["question"], q["on_topic"], "own", q["split"], q["kind"]))
    for q in load_jsonl(QUESTIONS / "issue.jsonl"):
        out.append(Question(q["question"], q["on_topic"], "issue", q["split"], q["kind"]))
    for q in load_jsonl(ROOT / "bench" / "heldout_questions.jsonl"):
        out.append(Question(q["question"], q["on_topic"], "session1"))
    return out


def load_pool(records: list, with_shared: bool = True) -> Pool:
    """Our blind judgments, plus the shared gold anchors turned into record grades."""
    pool = Pool()
    for p in sorted(JUDGMENTS.glob("*.jsonl")):
        for j in load_jsonl(p):
            if j.get("grade") is not None and not j.get("context"):
                pool.add(j["question"], j["post_id"], j.get("comment_id"), j["grade"], j.get("quote"))
    if with_shared and EVAL.exists():
        sys.path.insert(0, str(EVAL))
        import evalkit

        by_file: dict[str, list] = defaultdict(list)
        for r in records:
            by_file[r.source_file].append(r)
        for name in ("questions_dev", "questions_judged_dev"):
            for q in load_jsonl(EVAL / f"{name}.jsonl"):
                for g in q["relevant"]:
                    a = evalkit.fold(g["anchor"])
                    hit = next((r for r in by_file.get(g["file"], []) if a in evalkit.fold(r.text)), None)
                    if hit is not None:
                        pool.add(q["question"], hit.post_id, hit.comment_id, g["grade"])
    return pool


def answerer(db: Path | None = None, corpus: Path | None = None, **kw):
    """An Answerer over a scratch index of the corpus (built once; rebuilt only when the corpus or code changed)."""
    from index.build import build_index
    from index.embedding import get_query_embedder
    from index.retrieval import Answerer, limit_query_threads
    from index.store import LiveIndex

    db = db or SCRATCH / "db"
    build_index(corpus or ROOT / "corpus", db)
    limit_query_threads()
    return Answerer(LiveIndex.open(db), get_query_embedder(), **kw)  # as the CLI and the bot embed questions


def add_gains(m: dict, gains: list[int], ideal: list[int], k: int = K) -> None:
    """Adds one answered question's nDCG@k, success@k (a grade 2 in the first k), precision@k (slots graded >= 1),
    precision2@k (slots graded 2) and its quotes' grades (for the mean judged relevance, the issue's "mean
    relevance") to the running sums in `m`: one definition for every bench that scores answers against blind grades."""
    dcg = sum((2 ** g - 1) / math.log2(i + 2) for i, g in enumerate(gains))
    idcg = sum((2 ** g - 1) / math.log2(i + 2) for i, g in enumerate(ideal))
    m["ndcg"] += dcg / idcg if idcg else 0.0
    m["success"] += any(g == 2 for g in gains)
    m["precision"] += sum(g >= 1 for g in gains) / k
    m["precision2"] += sum(g == 2 for g in gains) / k
    m["grades"] += sum(gains)
    m["quotes"] += len(gains)


def summary(m: dict) -> dict:
    """The figures of one set from the sums `add_gains` and the refusal counts left in `m`."""
    on = max(m["on"], 1)
    return {"on": int(m["on"]), "ndcg@5": round(m["ndcg"] / on, 3), "success@5": round(m["success"] / on, 3),
            "precision@5": round(m["precision"] / on, 3), "precision2@5": round(m["precision2"] / on, 3),
            "relevance": round(m["grades"] / m["quotes"], 3) if m["quotes"] else 0.0,
            "refused_on": int(m["refused_on"]), "refused_off": f"{int(m['refused_off'])}/{int(m['off'])}",
            "unjudged": int(m["unjudged"])}


def score(ans, questions: list[Question], pool: Pool, mode: str = "hybrid") -> tuple[dict, list[dict]]:
    """Per set (and split): the judged metrics; and the quotes no one judged yet."""
    rows: dict[str, dict] = defaultdict(lambda: defaultdict(float))
    pending: list[dict] = []
    times: list[float] = []
    for q in questions:
        a = ans.ask(q.text, k=K, mode=mode)
        times.append(a.timings_ms.get("total", 0.0))
        name = q.set if q.split == "tune" or q.set != "own" else f"{q.set}-{q.split}"
        m = rows[name]
        if not q.on_topic:
            m["off"] += 1
            m["refused_off"] += not a.answered
            continue
        m["on"] += 1
        if not a.answered:
            m["refused_on"] += 1
            continue
        gains = []
        for qt in a.quotes[:K]:
            g = pool.grade(q.text, qt.post_id, qt.comment_id, qt.text)
            if g is None:
                m["unjudged"] += 1
                pending.append({"question": q.text, "post_id": qt.post_id, "comment_id": qt.comment_id,
                                "quote": qt.text, "author": qt.author, "kind": qt.kind, "set": q.set})
            gains.append(g or 0)
        ideal = sorted(pool.judged(q.text), reverse=True)[:K]
        add_gains(m, gains, ideal, K)
    out = {name: summary(m) for name, m in sorted(rows.items())}
    out["_median_ms"] = round(statistics.median(times), 1) if times else None
    return out, pending


def write_pending(pending: list[dict], path: Path, seed: int = 0) -> None:
    """Unique (question, quote) pairs, shuffled, without any hint of the variant that produced them."""
    seen, rows = set(), []
    for p in pending:
        key = (qnorm(p["question"]), p["post_id"], p["comment_id"], tnorm(p["quote"]))
        if key not in seen:
            seen.add(key)
            rows.append(p)
    random.Random(seed).shuffle(rows)
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    print(f"{len(rows)} unjudged (question, quote) pairs -> {path}")


def table(results: dict[str, dict]) -> str:
    sets = sorted({s for r in results.values() for s in r if not s.startswith("_")})
    lines = []
    for s in sets:
        lines.append(f"## {s}")
        lines.append("variant".ljust(28) + "  ndcg@5  succ@5  prec@5  prec2@5  rel  ref_on  ref_off  unjudged")
        for v, r in results.items():
            x = r.get(s)
            if x:
                lines.append(f"{v:<28}  {x['ndcg@5']:6.3f}  {x['success@5']:6.3f}  {x['precision@5']:6.3f}  "
                             f"{x['precision2@5']:7.3f}  {x['relevance']:4.2f}  "
                             f"{x['refused_on']:6d}  {x['refused_off']:>7}  {x['unjudged']:8d}")
    lines.append("median ms: " + ", ".join(f"{v} {r['_median_ms']}" for v, r in results.items()))
    return "\n".join(lines)


VARIANTS: dict[str, tuple[str, dict]] = {
    "hybrid": ("hybrid", {}),
    "dense": ("dense", {}),
    "bm25": ("bm25", {}),
    "no-sentence": ("hybrid", {"weights": {"dense": 1.0, "sentence": 0.0, "bm25": 1.0, "coverage": 1.0}}),
    "no-dense": ("hybrid", {"weights": {"dense": 0.0, "sentence": 1.0, "bm25": 1.0, "coverage": 1.0}}),
    "no-bm25": ("hybrid", {"weights": {"dense": 1.0, "sentence": 1.0, "bm25": 0.0, "coverage": 1.0}}),
    "no-coverage": ("hybrid", {"weights": {"dense": 1.0, "sentence": 1.0, "bm25": 1.0, "coverage": 0.0}}),
    "posts-full": ("hybrid", {"post_weight": 1.0}),
    "posts-half": ("hybrid", {"post_weight": 0.5}),
    "sentence-2": ("hybrid", {"weights": {"dense": 1.0, "sentence": 2.0, "bm25": 1.0, "coverage": 1.0}}),
    "no-spelling": ("hybrid", {"spelling": False}),
    "chatter-kept": ("hybrid", {"drop_chatter": False}),
    "cut-120": ("hybrid", {"min_chars": 120}),  # quotes read on to 120 characters only (before 2026-12-02)
    "cut-260": ("hybrid", {"min_chars": 260}),
    "coverage-2": ("hybrid", {"weights": {"dense": 1.0, "sentence": 1.0, "bm25": 1.0, "coverage": 2.0}}),
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-V", "--variant", action="append", help=f"one of {', '.join(VARIANTS)} (default: hybrid)")
    ap.add_argument("--pending", type=Path, help="write the unjudged quotes here")
    ap.add_argument("--json", type=Path, help="write the figures here")
    ap.add_argument("--set", action="append", help="only these sets")
    ap.add_argument("--exact", action="store_true",
                    help="count only grades given to the quote exactly as it is cut now (the figures we report)")
    ap.add_argument("--holdout", action="store_true",
                    help="also score the held-out questions (only for reporting: never tune on what this shows)")
    a = ap.parse_args()
    import logging

    logging.basicConfig(level=logging.WARNING)
    qs = question_sets()
    if a.set:
        qs = [q for q in qs if q.set in a.set]
    if not a.holdout:
        qs = [q for q in qs if q.split != "holdout"]
    ans = answerer()
    pool = load_pool(list(ans.index.records()))
    pool.exact = a.exact
    results, pending = {}, []
    for v in a.variant or ["hybrid"]:
        mode, kw = VARIANTS[v]
        run = answerer(**kw) if kw else ans
        results[v], p = score(run, qs, pool, mode)
        pending += p
    print(table(results))
    if a.pending:
        write_pending(pending, a.pending)
    if a.json:
        a.json.write_text(json.dumps(results, indent=1) + "\n")


if __name__ == "__main__":
    main()
