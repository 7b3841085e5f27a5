"""bench/run: a bounded smoke run of the whole suite, and the arithmetic its report rests on."""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
EVAL_KIT = (ROOT.parent / "shared" / "eval" / "score_retrieval.py").is_file()
needs_eval_kit = pytest.mark.skipif(not EVAL_KIT, reason="../shared/eval (the evaluation kit) is not next to this "
                                    "checkout")

from bench.report import exponent, fit_linear, miss, project  # noqa: E402
from bench.suite import rotations, score_run  # noqa: E402


@pytest.mark.integration
@pytest.mark.server
def test_quick_run_writes_results_report_and_plots(tmp_path):
    """`bench/run --quick` runs every section (real model, embedded Chroma and a Chroma server) and writes the
    results, the page and every plot the page links to."""
    out = tmp_path / "out"
    p = subprocess.run([str(ROOT / "bench" / "run"), "--quick", "--out", str(out), "--work", str(tmp_path / "work")],
                       capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert p.returncode == 0, p.stderr[-3000:]
    r = json.loads((out / "latest.json").read_text())
    assert r["quick"] is True
    for key in ("quality", "scale_build", "latency", "indexing", "bot"):
        assert key in r, key
    if EVAL_KIT:
        q = r["quality"]["contenders"]
        assert {"hybrid", "dense", "bm25", "naive"} <= set(q)
        for v in q.values():
            assert 0.0 <= v["ndcg@5"] <= 1.0 and 0.0 <= v["precision@5"] <= 1.0 and v["median_ms"] > 0
        assert q["naive"]["abstain"].startswith("0/"), "the naive peer never refuses"
    else:  # a checkout without the evaluation kit next to it: the section says why it did not run
        assert "skipped" in r["quality"]
    sizes = r["latency"]["sizes"]
    assert [s["label"] for s in sizes] == ["shipped", 1000]
    assert sizes[1]["chunks"] >= 1000
    for s in sizes:
        for c in ("embedded", "server"):
            assert s["contenders"][c]["median_ms"] > 0 and s["contenders"][c]["n"] == s["questions"] * s["rounds"]
    assert r["indexing"]["shipped"]["chunks_per_s"]["torch"] > 0
    assert r["indexing"]["rebuild"]["in_process"]["ratio"] < 1
    shipped = r["bot"]["indexes"]["shipped"]["backends"]["torch"]
    assert shipped["all_ok"] and shipped["median_first_answer_s"] > 0 and shipped["median_peak_rss_mb"] > 50
    doc = (out / "benchmarks.md").read_text()
    for heading in ("## Targets", "## Quality", "## Query latency against corpus size", "## Indexing",
                    "## The bot process", "## How cost grows"):
        assert heading in doc
    images = re.findall(r"!\[[^]]*\]\(([^)]+)\)", doc)
    assert len(images) >= (4 if EVAL_KIT else 3)
    for rel in images:
        png = (out / rel).read_bytes()
        assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 5000, rel


def _rec(cid, text, author="A"):
    return {"post_id": "p1", "comment_id": cid, "kind": "comment", "author": author, "text": text}


@needs_eval_kit
def test_score_run_counts_like_the_scorer():
    """nDCG@5 / success@5 / precision@5 / refusals of a hand-checked case."""
    recs = {"f.txt": [_rec("c1", "Plumbers do well on Yelp."), _rec("c2", "Banks fear Twitter."),
                      _rec("c3", "Nothing relevant here.")]}
    questions = [{"question": "plumbers?", "relevant": [{"file": "f.txt", "anchor": "Plumbers do well", "grade": 2},
                                                        {"file": "f.txt", "anchor": "Banks fear", "grade": 1}]},
                 {"question": "bread?", "relevant": []}]
    answers = [{"answered": True, "quotes": [
        {"text": "Nothing relevant here.", "comment_id": "c3", "post_id": "p1", "author": "A"},
        {"text": "Plumbers do well on Yelp.", "comment_id": "c1", "post_id": "p1", "author": "A"},
        {"text": "Plumbers do well on Yelp.", "comment_id": "c1", "post_id": "p1", "author": "B"}]},
        {"answered": False, "quotes": []}]
    m = score_run(questions, answers, recs)
    # gains [0, 2, 0] (c1 counts once); ideal [2, 1]
    dcg = 3 / math.log2(3)
    idcg = 3 / math.log2(2) + 1 / math.log2(3)
    assert m["ndcg@5"] == round(dcg / idcg, 3)
    assert m["success@5"] == 1.0
    assert m["precision@5"] == round(1 / 5, 3)
    assert m["abstain"] == "1/1" and m["false_abstain"] == 0
    assert m["verbatim"] == 1.0 and m["attributed_as_parsed"] == round(2 / 3, 3)


@needs_eval_kit
def test_score_run_agrees_with_bench_answers():
    """The suite's scorer and bench_answers.score_answer give the same nDCG@5 and success@5."""
    sys.path.insert(0, str(ROOT.parent / "shared" / "eval"))
    import evalkit

    from bench.bench_answers import gold_keys, score_answer

    recs = {"f.txt": [_rec("c1", "Alpha beta."), _rec("c2", "Gamma delta."), _rec("c3", "Epsilon.")]}
    q = {"question": "x", "relevant": [{"file": "f.txt", "anchor": "Gamma", "grade": 2},
                                       {"file": "f.txt", "anchor": "Epsilon", "grade": 1}]}
    quotes = [{"text": t, "comment_id": c, "post_id": "p1", "author": "A"}
              for c, t in (("c3", "Epsilon."), ("c1", "Alpha beta."), ("c2", "Gamma delta."))]
    nd, succ = score_answer(quotes, gold_keys(q, recs, evalkit), 5, evalkit.fold)
    m = score_run([q], [{"answered": True, "quotes": quotes}], recs)
    assert m["ndcg@5"] == round(nd, 3) and m["success@5"] == float(succ)


def test_growth_arithmetic():
    fit = fit_linear([1.0, 2.0, 3.0], [5.0, 7.0, 9.0])
    assert fit["a"] == pytest.approx(3.0) and fit["b"] == pytest.approx(2.0) and fit["r2"] == pytest.approx(1.0)
    assert exponent(1e5, 10.0, 1e6, 10.0 * 10**0.5) == pytest.approx(0.5)
    assert project(1e5, 4.0, 1e6, 8.0, 1e7) == pytest.approx(16.0)
    assert project(1e5, 8.0, 1e6, 4.0, 1e7) == pytest.approx(4.0), "a shrinking step is not projected to vanish"
    assert miss(40.0, 50.0, higher_is_better=False).startswith("**met**")
    assert miss(16.0, 150.0, higher_is_better=True) == "**missed** by 9.38×"


def test_rotations_give_every_contender_every_position():
    names = ["a", "b", "c"]
    firsts = {rotations(names, r)[0] for r in range(3)}
    assert firsts == set(names)
    assert all(sorted(rotations(names, r)) == names for r in range(5))
