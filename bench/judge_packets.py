"""Blind grading packets: the quotes no one judged, shuffled, with no trace of the variant that produced them.

    .venv/bin/python bench/judge_packets.py make PENDING.jsonl [...] --out DIR --batch NAME [--per 250] [--calib 0.1]
    .venv/bin/python bench/judge_packets.py merge DIR --batch NAME    # DIR/grades_*.txt -> bench/judgments/NAME.jsonl

`make` groups the pairs by question (a grader sees every quote of a question together, in random order), mixes in
a share of pairs already judged (from `bench/judgments/` and the shared gold) to measure agreement, and writes
`packet_N.md` (what the grader reads: ids, questions, quotes) and `key_N.jsonl` (what the ids stand for, never shown
to the grader). A grader answers in `grades_N.txt`, one `ID GRADE` per line. `merge` writes the new grades to
`bench/judgments/NAME.jsonl` and prints the agreement on the calibration pairs.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.quality import JUDGMENTS, load_jsonl, load_pool, qnorm, tnorm  # noqa: E402

GUIDE = """Grade each quote for the question above it, on its own merits, 0, 1 or 2:
- 2: the quote answers the question, or argues a clear position on it (a practitioner's view someone asking would
  want to read);
- 1: related to the question and somewhat useful, but does not really answer it;
- 0: irrelevant to the question, or chatter (greetings, thanks, "great post", jokes, fragments with no claim).
Judge the quote text only (it may start or end with "…" where the comment goes on). Do not guess which system
produced it. Answer with one line per quote: `ID GRADE`.
"""


def make(a: argparse.Namespace) -> None:
    from index.corpus import read_corpus

    pending: list[dict] = []
    for p in a.pending:
        pending += load_jsonl(Path(p))
    seen, uniq = set(), []
    for p in pending:
        key = (qnorm(p["question"]), p["post_id"], p.get("comment_id"), tnorm(p["quote"]))
        if key not in seen:
            seen.add(key)
            uniq.append(p)
    seen = {k[:3] for k in seen}
    rng = random.Random(a.seed)
    # calibration: pairs already judged, for questions in this packet, quote text re-cut from the record's start
    records = [r for page in read_corpus(ROOT / "corpus") for r in page.records]
    by_key = {(r.post_id, r.comment_id): r for r in records}
    pool = load_pool(records)
    questions = {qnorm(p["question"]): p["question"] for p in uniq}
    calib = []
    for (qn, post_id, comment_id), grades in pool.grades.items():
        if qn in questions and (qn, post_id, comment_id) not in seen and (post_id, comment_id) in by_key:
            calib.append({"question": questions[qn], "post_id": post_id, "comment_id": comment_id,
                          "quote": _opening(by_key[(post_id, comment_id)].text), "calibration": round(
                              sum(grades) / len(grades), 2)})
    rng.shuffle(calib)
    uniq += calib[: int(len(uniq) * a.calib)]
    by_q: dict[str, list[dict]] = defaultdict(list)
    for p in uniq:
        by_q[p["question"]].append(p)
    qs = list(by_q)
    rng.shuffle(qs)
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    packets: list[list[str]] = [[]]
    for q in qs:
        if packets[-1] and sum(len(by_q[x]) for x in packets[-1]) + len(by_q[q]) > a.per:
            packets.append([])
        packets[-1].append(q)
    n = 0
    for i, group in enumerate(packets, 1):
        md = [f"# Grading packet {i}\n", GUIDE]
        key = []
        for q in group:
            items = by_q[q]
            rng.shuffle(items)
            md.append(f"\n## Question: {q}\n")
            for it in items:
                n += 1
                gid = f"{a.batch}-{n:04d}"
                md.append(f"[{gid}]\n> " + it["quote"].replace("\n", "\n> ") + "\n")
                key.append({**it, "id": gid})
        (out / f"packet_{i}.md").write_text("\n".join(md), encoding="utf-8")
        (out / f"key_{i}.jsonl").write_text("".join(json.dumps(k, ensure_ascii=False) + "\n" for k in key))
    print(f"{n} quotes ({min(len(calib), int(len(uniq) * a.calib))} calibration) in {len(packets)} packets -> {out}")


def _opening(text: str, limit: int = 360) -> str:
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + " …"


def merge(a: argparse.Namespace) -> None:
    d = Path(a.dir)
    keys = {}
    for p in sorted(d.glob("key_*.jsonl")):
        for k in load_jsonl(p):
            keys[k["id"]] = k
    rows, agree, calib_n, off_by_one = [], 0, 0, 0
    for p in sorted(d.glob("grades_*.txt")):
        grader = p.stem.replace("grades_", "grader-")
        for line in p.read_text().splitlines():
            parts = line.replace(":", " ").split()
            if len(parts) < 2 or parts[0] not in keys or parts[1] not in ("0", "1", "2"):
                continue
            k, g = keys[parts[0]], int(parts[1])
            if "calibration" in k:
                calib_n += 1
                agree += round(k["calibration"]) == g
                off_by_one += abs(round(k["calibration"]) - g) <= 1
                continue
            rows.append({"question": k["question"], "post_id": k["post_id"], "comment_id": k.get("comment_id"),
                         "quote": k["quote"], "grade": g, "grader": f"blind-{a.batch}-{grader}", "batch": a.batch})
    missing = len([k for k in keys.values() if "calibration" not in k]) - len(rows)
    out = JUDGMENTS / f"{a.batch}.jsonl"
    JUDGMENTS.mkdir(parents=True, exist_ok=True)
    out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    print(f"{len(rows)} grades -> {out} ({missing} missing); calibration: {agree}/{calib_n} exact, "
          f"{off_by_one}/{calib_n} within one grade")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    m = sub.add_parser("make")
    m.add_argument("pending", nargs="+")
    m.add_argument("--out", required=True)
    m.add_argument("--batch", required=True)
    m.add_argument("--per", type=int, default=250)
    m.add_argument("--calib", type=float, default=0.1)
    m.add_argument("--seed", type=int, default=0)
    g = sub.add_parser("merge")
    g.add_argument("dir")
    g.add_argument("--batch", required=True)
    a = ap.parse_args()
    make(a) if a.cmd == "make" else merge(a)


if __name__ == "__main__":
    main()
