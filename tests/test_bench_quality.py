"""bench/quality.py and bench/score_answers.py: the arithmetic of the judged figures docs/retrieval.md reports."""

from __future__ import annotations

import math
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.quality import Pool, add_gains, summary  # noqa: E402
from bench.score_answers import score  # noqa: E402


def test_one_answer_gives_every_figure_of_a_hand_checked_case():
    m: dict = defaultdict(float)
    m["on"] = 1
    add_gains(m, [0, 2, 1, 1], [2, 2, 1, 1, 1])
    got = summary(m)
    dcg = 3 / math.log2(3) + 1 / math.log2(4) + 1 / math.log2(5)
    idcg = 3 + 3 / math.log2(3) + 1 / math.log2(4) + 1 / math.log2(5) + 1 / math.log2(6)
    assert got["ndcg@5"] == round(dcg / idcg, 3)
    assert got["success@5"] == 1.0
    assert got["precision@5"] == 0.6  # three of the five slots hold a quote graded >= 1; the empty slot counts 0
    assert got["precision2@5"] == 0.2
    assert got["relevance"] == 1.0  # (0 + 2 + 1 + 1) / 4 quotes shown


def test_answers_scored_quote_by_quote_with_exact_grades_refusals_and_unjudged():
    pool = Pool(exact=True)
    pool.add("Plumbers?", "p1", "c1", 2, "Plumbers do well on Yelp.")
    pool.add("plumbers?", "p1", "c1", 1, "Plumbers do well on Yelp.")  # two graders: mean 1.5 rounds to 2
    pool.add("Plumbers?", "p1", "c2", 0, "Banks fear Twitter.")
    pool.add("Plumbers?", "p1", "c2", 1, "… Banks fear Twitter. They fear lawsuits.")  # another cut of c2
    questions = [{"question": "Plumbers?", "on_topic": True}, {"question": "Bread?", "on_topic": False},
                 {"question": "Yelp?", "on_topic": True}]
    answers = [
        {"answered": True, "quotes": [
            {"post_id": "p1", "comment_id": "c2", "text": "Banks fear Twitter."},
            {"post_id": "p1", "comment_id": "c1", "text": "Plumbers  do well on Yelp."},  # whitespace differs only
            {"post_id": "p1", "comment_id": "c3", "text": "Nobody graded this."}]},
        {"answered": False, "quotes": []},
        {"answered": False, "quotes": []}]
    got, pending = score(questions, answers, pool)
    assert got["on"] == 2 and got["refused_off"] == "1/1" and got["refused_on"] == 1
    assert got["unjudged"] == 1 and pending[0]["comment_id"] == "c3"
    # the answered question: gains [0, 2, 0] against the ideal [2, 1] (each record's best graded cut)
    assert got["success@5"] == 0.5 and got["precision@5"] == 0.1 and got["precision2@5"] == 0.1
    assert got["ndcg@5"] == round((3 / math.log2(3)) / (3 + 1 / math.log2(3)) / 2, 3)
    assert got["relevance"] == round(2 / 3, 3)
