"""bench/followups.py: the blind packet hides the variant, and the scores count what the grader said."""

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

import followups  # noqa: E402


def played():
    q = lambda c: {"post_id": "p", "comment_id": c, "quote": f"quote {c}", "author": None}  # noqa: E731
    return [{"scenario": "s", "index": 0, "question": "and for nonprofits?", "context": "Earlier: “roi?”",
             "read_in_context": True, "alone_repeats": 1,
             "variants": {"conversation": [q("a"), q("b")], "alone": []}}]


def test_score_counts_grades_and_empty_slots_and_withholds_figures_while_ungraded():
    grades = {("and for nonprofits?", "Earlier: “roi?”", "p", "a", "quote a"): 2,
              ("and for nonprofits?", "Earlier: “roi?”", "p", "b", "quote b"): 0}
    r = followups.score(played(), grades)
    assert r["conversation"]["precision@5"] == 0.2 and r["conversation"]["success@5"] == 1.0
    assert r["alone"]["refused"] == 1 and r["alone"]["precision@5"] == 0.0  # a refusal fills no slot
    assert r["alone_repeats_of_quotes_already_shown"] == 1
    r = followups.score(played(), {})
    assert r["conversation"]["precision@5"] is None and r["conversation"]["ungraded_quotes"] == 2


def test_a_quote_the_thread_already_showed_counts_as_nothing_new():
    rows = played()
    rows[0]["variants"]["alone"] = [{"post_id": "p", "comment_id": "a", "quote": "quote a", "author": None,
                                     "repeat": True}]
    grades = {("and for nonprofits?", "Earlier: “roi?”", "p", "a", "quote a"): 2,
              ("and for nonprofits?", "Earlier: “roi?”", "p", "b", "quote b"): 0}
    r = followups.score(rows, grades)["alone"]
    assert r["precision@5"] == 0.2 and r["success@5"] == 1.0
    assert r["precision@5_new"] == 0.0 and r["success@5_new"] == 0.0


def test_the_shipped_packet_names_no_variant_and_its_key_covers_every_row():
    pending = ROOT / "bench" / "judgments" / "pending" / "followups.jsonl"
    rows = [json.loads(x) for x in pending.read_text().splitlines() if x.strip()]
    key = json.loads((ROOT / "bench" / "results" / "followups_key.json").read_text())
    assert rows and all(set(r) == {"id", "question", "context", "post_id", "comment_id", "quote"} for r in rows)
    assert {r["id"] for r in rows} == set(key)
    assert {v["variant"] for vs in key.values() for v in vs} == {"conversation", "alone"}
    scenarios = [json.loads(x) for x in (ROOT / "bench" / "followups.jsonl").read_text().splitlines() if x.strip()]
    assert len(scenarios) >= 12 and sum(len(s["followups"]) for s in scenarios) >= 24
