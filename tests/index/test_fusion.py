import pytest
from hypothesis import given
from hypothesis import strategies as st

from index.fusion import best_per_key, normalise, rrf, weighted_sum


def test_rrf_rewards_agreement_over_a_single_first_place():
    dense = ["a", "b", "c"]
    lexical = ["c", "b", "d"]
    out = dict(rrf([dense, lexical], k=60))
    assert out["b"] > out["a"]  # second in both beats first in one
    assert out["c"] > out["a"]
    assert out["a"] == pytest.approx(1 / 61)
    assert set(out) == {"a", "b", "c", "d"}


def test_rrf_is_best_first_and_counts_an_id_once_per_list():
    out = rrf([["x", "x", "y"]], k=1)
    assert out == [("x", 0.5), ("y", pytest.approx(1 / 4))]


def test_rrf_weights_tilt_the_ranking():
    out = rrf([["a", "b"], ["b", "a"]], k=1, weights=[2.0, 1.0])
    assert [k for k, _ in out] == ["a", "b"]
    with pytest.raises(ValueError, match="2 rankings but 1 weights"):
        rrf([["a"], ["b"]], weights=[1.0])


def test_normalise_by_best_with_floor():
    assert normalise({"a": 4.0, "b": 2.0}) == {"a": 1.0, "b": 0.5}
    assert normalise({"a": 0.6, "b": 0.4}, floor=0.2) == {"a": 1.0, "b": pytest.approx(0.5)}
    assert normalise({"a": 0.1}, floor=0.2) == {"a": 0.0}  # at or below the floor is no evidence
    assert normalise({}) == {}


def test_weighted_sum_scales_lists_before_adding():
    dense = {"a": 0.9, "b": 0.8}
    bm25 = {"b": 30.0, "c": 15.0}  # a different scale entirely
    out = dict(weighted_sum([dense, bm25], [1.0, 1.0]))
    assert out["b"] == pytest.approx(0.8 / 0.9 + 1.0)
    assert out["c"] == pytest.approx(0.5)
    assert max(out, key=out.get) == "b"


def test_best_per_key_keeps_each_ids_best_score_in_first_seen_order():
    assert list(best_per_key([("a", 0.2), ("b", 0.5), ("a", 0.7)]).items()) == [("a", 0.7), ("b", 0.5)]


@given(st.lists(st.lists(st.integers(0, 20), max_size=15), min_size=1, max_size=4))
def test_rrf_properties(rankings):
    out = rrf(rankings)
    scores = [s for _, s in out]
    assert scores == sorted(scores, reverse=True)
    assert {k for k, _ in out} == {x for r in rankings for x in r}
    assert all(0 < s <= len(rankings) / 61 + 1e-12 for s in scores)
