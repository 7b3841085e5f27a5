import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from index.chunking import chunk_record, chunk_spans, sentence_spans, token_counter
from index.embedding import model_token_counter
from index.models import Record
from index.settings import ChunkSettings

COUNT = token_counter()


def rec(text: str, post_id: str = "p1", comment_id: str | None = "c1") -> Record:
    return Record(post_id=post_id, comment_id=comment_id, kind="comment" if comment_id else "post",
                  author="Ann", date="2009-05-01", text=text, post_title="Is SM for B2B?", source_file="f.txt")


def squash(s: str) -> str:
    return re.sub(r"\s+", "", s)


def check_invariants(r: Record, chunks, max_tokens: int) -> None:
    for c in chunks:
        assert r.text[c.start : c.end] == c.text
        assert c.text == c.text.strip() and c.text
        assert COUNT(c.text) <= max_tokens, (COUNT(c.text), c.text[:80])
    # nothing is lost: chunks in order cover every non-space character of the record exactly once
    assert "".join(squash(c.text) for c in chunks) == squash(r.text)
    assert all(a.end <= b.start for a, b in zip(chunks, chunks[1:], strict=False))


def test_short_comment_is_one_chunk_with_the_records_attribution():
    r = rec("  Great point, Ann! We saw the same with our B2B clients.  ")
    [c] = chunk_record(r, 180)
    assert c.text == "Great point, Ann! We saw the same with our B2B clients."
    assert (c.post_id, c.comment_id, c.author, c.date, c.post_title, c.kind) == (
        "p1", "c1", "Ann", "2009-05-01", "Is SM for B2B?", "comment")
    assert r.text[c.start : c.end] == c.text


def test_empty_record_has_no_chunks():
    assert chunk_record(rec("   \n "), 50) == []


def test_max_tokens_must_be_positive():
    with pytest.raises(ValueError, match="max_tokens"):
        chunk_record(rec("x"), 3)


def test_long_text_is_cut_on_sentence_boundaries_within_the_bound():
    sentences = [f"Sentence number {i} talks about social media adoption in company {i}." for i in range(60)]
    r = rec(" ".join(sentences))
    chunks = chunk_record(r, 50)
    assert len(chunks) > 5
    check_invariants(r, chunks, 50)
    for c in chunks:  # every chunk is whole sentences: starts at "Sentence", ends with a full stop
        assert c.text.startswith("Sentence") and c.text.endswith(".")


def test_line_breaks_end_sentences():
    assert [(s, e) for s, e in sentence_spans("one\ntwo three\n\nfour")] == [(0, 3), (4, 13), (15, 19)]


def test_a_sentence_longer_than_the_bound_is_split_on_words():
    r = rec("word " * 400 + "end.")
    chunks = chunk_record(r, 30)
    check_invariants(r, chunks, 30)
    assert all(not c.text.startswith(" ") for c in chunks)


def test_a_giant_token_is_split_by_characters():
    r = rec("See http://example.com/" + "a1b2c3" * 300 + " for details.")
    chunks = chunk_record(r, 40)
    check_invariants(r, chunks, 40)


def test_model_reach_is_enforced_with_the_model_tokenizer():
    """Punctuation runs and Cyrillic take ~2x more word pieces than cl100k tokens: the model check splits them."""
    count_wp, limit = model_token_counter()
    assert limit == 254
    text = ("?!" * 120 + " ") * 3 + "Социальные сети в бизнесе работают. " * 40
    r = rec(text)
    unchecked = chunk_record(r, 180)
    assert max(count_wp(c.text) for c in unchecked) > limit  # the test can fail: cl100k alone is not enough
    checked = chunk_record(r, 180, model_tokens=count_wp, model_limit=limit)
    check_invariants(r, checked, 180)
    assert max(count_wp(c.text) for c in checked) <= limit


def test_default_max_tokens_keeps_the_shipped_corpus_within_the_models_reach():
    from index.corpus import read_corpus
    from tests.conftest import SHIPPED_CORPUS

    count_wp, limit = model_token_counter()
    n = ChunkSettings().max_tokens
    records = [r for p in read_corpus(SHIPPED_CORPUS) for r in p.records]
    assert records
    worst = 0
    for r in records:
        chunks = chunk_record(r, n)  # no model check: the default alone must already fit
        check_invariants(r, chunks, n)
        worst = max(worst, max((count_wp(c.text) for c in chunks), default=0))
    assert worst <= limit


def test_chunk_ids_are_stable_and_local():
    base = [f"Point {i}: engagement beats broadcasting, every single time we tried it." for i in range(40)]
    r1 = rec(" ".join(base))
    a = chunk_record(r1, 60)
    assert [c.chunk_id for c in a] == [c.chunk_id for c in chunk_record(r1, 60)]  # same input, same ids
    r2 = rec(" ".join(base[:-1] + ["A different ending."]))
    b = chunk_record(r2, 60)
    assert [c.chunk_id for c in a[:-1]] == [c.chunk_id for c in b[:-1]]  # editing the end keeps earlier ids
    assert a[-1].chunk_id != b[-1].chunk_id
    other = chunk_record(rec(" ".join(base), comment_id="c2"), 60)
    assert {c.chunk_id for c in other}.isdisjoint(c.chunk_id for c in a)  # ids are per record...
    assert [c.content_hash for c in other] == [c.content_hash for c in a]  # ...content hashes are per text


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), min_size=0, max_size=40),
            st.sampled_from([". ", "! ", "?\n", "\n\n", "  ", "Mr. Smith said \"yes.\" ", "http://x.io/a?b=c "]),
        ),
        max_size=40,
    ),
    st.integers(min_value=4, max_value=60),
)
def test_chunks_are_always_verbatim_bounded_and_lossless(parts, max_tokens):
    r = rec("".join(parts))
    check_invariants(r, chunk_record(r, max_tokens), max_tokens)


def test_chunk_spans_match_chunk_record():
    r = rec("One. Two! Three? Four.")
    assert chunk_spans(r.text, 4) == [(c.start, c.end) for c in chunk_record(r, 4)]
