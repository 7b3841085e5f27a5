"""Follow-ups in a conversation: the top-5 quotes with the thread's context and without it, graded blind.

    .venv/bin/python bench/followups.py run [--db DIR]   # answer every follow-up both ways; write the blind packet
    .venv/bin/python bench/followups.py score            # judged precision@5 and success@5 per variant

`run` plays each scenario of bench/followups.jsonl as a thread would: the thread's question (5 quotes shown), then
each follow-up through index/conversation.py, exactly the code Discord and the chat use ("conversation"), and the
same follow-up asked alone, as before this feature ("alone"). It writes every quote to grade, once per distinct
(question, context, record, quote text), shuffled and without saying which variant made it, to
bench/judgments/pending/followups.jsonl, and the key (row id -> variant, scenario, rank) to
bench/results/followups_key.json, kept apart so a grader given the packet never sees it.

`score` reads graded rows from bench/judgments/*.jsonl ({"question", "context", "post_id", "comment_id", "quote",
"grade", "grader"}; 2 answers or argues a position on the question in its thread's context, 1 related, 0 irrelevant
or chatter) and reports, per variant: precision@5 (quotes graded >= 1 among the five slots; a slot left empty by a
refusal counts as not useful), success@5 (a grade-2 quote among the first five), refusals, and how many quotes the
"alone" variant repeated from what the thread had already shown. A quote nobody graded is reported, never guessed.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import secrets
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SCENARIOS = ROOT / "bench" / "followups.jsonl"
JUDGMENTS = ROOT / "bench" / "judgments"
PENDING = JUDGMENTS / "pending" / "followups.jsonl"
KEY = ROOT / "bench" / "results" / "followups_key.json"
RESULTS = ROOT / "bench" / "results" / "followups.json"
K = 5
VARIANTS = ("conversation", "alone")


def load_jsonl(path: Path) -> list[dict]:
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]


def context_text(earlier: list[str]) -> str:
    """What the grader reads as the situation: the thread's earlier questions, in order."""
    return "Earlier in this thread: " + " → ".join(f"“{q}”" for q in earlier)


def open_lookup(db: str | None):
    from index.lookup import Lookup

    if db is None:
        from index.build import build_index

        db = tempfile.mkdtemp(prefix="adoptbot-followups-")
        build_index(ROOT / "corpus", Path(db))
    return Lookup.open(Path(db))


def play(lookup, scenario: dict) -> list[dict]:
    """One thread: its question, then each follow-up with the conversation and alone."""
    from index.conversation import Conversation

    conv = Conversation()
    first = conv.ask(lookup, scenario["thread"], K)
    conv.record(first.quotes)  # the thread's first answer: five quotes shown
    out = []
    for i, follow in enumerate(scenario["followups"]):
        earlier = conv.questions()
        shown_before = conv.shown()
        with_conv = conv.ask(lookup, follow, K)
        conv.record(with_conv.quotes)
        alone = lookup.ask(follow, K)
        out.append({
            "scenario": scenario["id"], "index": i, "question": follow, "context": context_text(earlier),
            "read_in_context": conv.turns[-1].in_context,
            "variants": {
                "conversation": [_q(q) for q in with_conv.quotes],
                "alone": [{**_q(q), "repeat": (q.post_id, q.comment_id) in shown_before} for q in alone.quotes],
            },
            "alone_repeats": sum((q.post_id, q.comment_id) in shown_before for q in alone.quotes),
        })
    return out


def _q(q) -> dict:
    return {"post_id": q.post_id, "comment_id": q.comment_id, "quote": q.text, "author": q.author}


def cmd_run(args: argparse.Namespace) -> int:
    lookup = open_lookup(args.db)
    played = [row for s in load_jsonl(SCENARIOS) for row in play(lookup, s)]
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(played, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    rows: dict[tuple, dict] = {}
    key: dict[str, list[dict]] = {}
    for f in played:
        for variant, quotes in f["variants"].items():
            for rank, q in enumerate(quotes, 1):
                ident = (f["question"], f["context"], q["post_id"], q["comment_id"], q["quote"])
                if ident not in rows:
                    rows[ident] = {"id": secrets.token_hex(6), "question": f["question"], "context": f["context"],
                                   "post_id": q["post_id"], "comment_id": q["comment_id"], "quote": q["quote"]}
                key.setdefault(rows[ident]["id"], []).append(
                    {"variant": variant, "scenario": f["scenario"], "index": f["index"], "rank": rank})
    packet = list(rows.values())
    random.Random(args.seed).shuffle(packet)
    PENDING.parent.mkdir(parents=True, exist_ok=True)
    PENDING.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in packet), encoding="utf-8")
    KEY.write_text(json.dumps(key, indent=1) + "\n", encoding="utf-8")
    print(f"{len(played)} follow-ups, {len(packet)} distinct quotes to grade: {PENDING.relative_to(ROOT)} "
          f"(key: {KEY.relative_to(ROOT)})")
    return 0


def graded() -> dict[tuple, int]:
    """Grades by (question, context, post_id, comment_id, quote) from every judgments file (pending/ excluded)."""
    out: dict[tuple, int] = {}
    for path in sorted(JUDGMENTS.glob("*.jsonl")):
        for r in load_jsonl(path):
            if "grade" in r and "context" in r:
                out[(r["question"], r["context"], r["post_id"], r["comment_id"], r["quote"])] = int(r["grade"])
    return out


def score(played: list[dict], grades: dict[tuple, int]) -> dict:
    report: dict = {}
    for variant in VARIANTS:
        p5, s5, refused, missing, in_context = [], [], 0, 0, []
        p5_new: list[float] = []
        s5_new: list[bool] = []
        for f in played:
            quotes = f["variants"][variant][:K]
            gs, fresh = [], []
            for q in quotes:
                g = grades.get((f["question"], f["context"], q["post_id"], q["comment_id"], q["quote"]))
                if g is None:
                    missing += 1
                gs.append(g or 0)
                fresh.append(0 if q.get("repeat") else g or 0)  # shown earlier in the thread: nothing new
            refused += not quotes
            p5.append(sum(g >= 1 for g in gs) / K)
            s5.append(any(g == 2 for g in gs))
            p5_new.append(sum(g >= 1 for g in fresh) / K)
            s5_new.append(any(g == 2 for g in fresh))
            in_context.append(f["read_in_context"])
        report[variant] = {
            "followups": len(played), "refused": refused, "ungraded_quotes": missing,
            # with quotes ungraded the figures would count them as useless: not reported until the grading is done
            "precision@5": round(sum(p5) / len(p5), 3) if not missing else None,
            "success@5": round(sum(s5) / len(s5), 3) if not missing else None,
            # the same with a quote the thread already showed counted as not useful (the reader has seen it)
            "precision@5_new": round(sum(p5_new) / len(p5_new), 3) if not missing else None,
            "success@5_new": round(sum(s5_new) / len(s5_new), 3) if not missing else None,
        }
    report["alone_repeats_of_quotes_already_shown"] = sum(f["alone_repeats"] for f in played)
    report["read_in_context"] = sum(f["read_in_context"] for f in played)
    return report


def cmd_score(args: argparse.Namespace) -> int:
    played = json.loads(RESULTS.read_text(encoding="utf-8"))
    print(json.dumps(score(played, graded()), indent=1))
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("run")
    p.add_argument("--db", help="an index of the shipped corpus (default: build one in a temporary folder)")
    p.add_argument("--seed", type=int, default=14, help="shuffle of the packet")
    p.set_defaults(fn=cmd_run)
    p = sub.add_parser("score")
    p.set_defaults(fn=cmd_score)
    args = ap.parse_args(argv)
    return args.fn(args)


if __name__ == "__main__":
    sys.exit(main())
