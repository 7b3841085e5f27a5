"""Score answers from any adoptbot's CLI (`ask --json`) against our pool of blind judgments, quote by quote.

    adoptbot ask --db DB --json -k 5 - < questions.txt > answers.jsonl
    .venv/bin/python bench/score_answers.py QUESTIONS.jsonl ANSWERS.jsonl [--pending OUT.jsonl]

Because it reads only the CLI's JSON, it scores an older checkout the same way as this one (the "before" of a
before/after). A quote counts with the grade given to exactly that text for that question; a quote nobody graded
is counted as unjudged (0) and written to --pending for the graders.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.quality import add_gains, load_jsonl, load_pool, summary, write_pending  # noqa: E402


def score(questions: list[dict], answers: list[dict], pool, k: int = 5) -> tuple[dict, list[dict]]:
    m = {"on": 0, "off": 0, "refused_off": 0, "refused_on": 0, "ndcg": 0.0, "success": 0, "precision": 0.0,
         "precision2": 0.0, "grades": 0, "unjudged": 0, "quotes": 0}
    pending = []
    for q, a in zip(questions, answers, strict=True):
        quotes = a.get("quotes") or []
        answered = bool(a.get("answered")) and bool(quotes)
        if not q["on_topic"]:
            m["off"] += 1
            m["refused_off"] += not answered
            continue
        m["on"] += 1
        if not answered:
            m["refused_on"] += 1
            continue
        gains = []
        for qt in quotes[:k]:
            g = pool.grade(q["question"], qt["post_id"], qt.get("comment_id"), qt["text"])
            if g is None:
                m["unjudged"] += 1
                pending.append({"question": q["question"], "post_id": qt["post_id"], "comment_id": qt.get("comment_id"),
                                "quote": qt["text"]})
            gains.append(g or 0)
        ideal = sorted(pool.judged_exact(q["question"]), reverse=True)[:k]
        add_gains(m, gains, ideal, k)
    return summary(m), pending


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("questions", type=Path)
    ap.add_argument("answers", type=Path, nargs="+")
    ap.add_argument("--pending", type=Path)
    a = ap.parse_args()
    from index.corpus import read_corpus

    qs = load_jsonl(a.questions)
    pool = load_pool([r for p in read_corpus(ROOT / "corpus") for r in p.records])
    pool.exact = True
    pending = []
    for path in a.answers:
        res, p = score(qs, load_jsonl(path), pool)
        pending += p
        print(path.name, json.dumps(res))
    if a.pending:
        write_pending(pending, a.pending)


if __name__ == "__main__":
    main()
