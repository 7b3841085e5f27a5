"""Reading a question: spelling against the corpus's words, idf weights, relatives, scope and plain-fact forms."""

import numpy as np
import pytest

from index.errors import UserError
from index.models import Record
from index.query import QueryAnalyzer
from index.scope import Scope, asks_for_fact, asks_for_no_opinion, asks_for_writing
from index.sentences import SentenceVectors, plan, sentence_hash, write
from index.spelling import Speller
from index.terms import TermStats
from index.text import stem


def rec(i, text):
    return Record(post_id="p", comment_id=f"c{i}", kind="comment", author=None, date=None, text=text)


RECS = [rec(i, t) for i, t in enumerate([
    "Social media helps companies reach customers.", "Companies measure social media by leads.",
    "A plumber can use Twitter for local customers.", "Twitter works for companies that listen.",
    "Measure what matters to the business, not followers.", "Social media is a conversation with customers.",
])]


@pytest.fixture(scope="module")
def analyzer():
    return QueryAnalyzer(TermStats.from_records(RECS))


def test_typos_are_corrected_towards_corpus_words_only(analyzer):
    q = analyzer.analyze("is socail media worth it for compnaies")
    assert q.search == "is social media worth it for companies" and q.corrected == q.search
    assert q.fixes == {"socail": "social", "compnaies": "companies"}
    assert analyzer.analyze("best pizza recipe").fixes == {}  # English words are never "corrected"
    assert analyzer.analyze("How do I mesure it?").search == "How do I measure it?"
    assert analyzer.analyze("Socail media").search == "Social media"  # the case of the first letter is kept


def test_weights_are_idf_numbers_weigh_nothing_unknown_words_apart(analyzer):
    q = analyzer.analyze("Does Twitter help plumbers in 2024 with pizza?")
    assert stem("twitter") in q.weights and "2024" not in q.weights and "2024" not in q.unknown
    assert stem("pizza") in q.unknown and stem("pizza") not in q.weights
    assert q.weights[stem("plumber")] > analyzer.analyze("companies").weights[stem("companies")]
    assert "b2b" in analyzer.analyze("is it worth it for B2B in the 1990s?").unknown  # a word with a digit is a word


def test_derived_forms_meet_at_half_weight(analyzer):
    q = analyzer.analyze("is plumbing a good trade for Twitter")
    assert q.related.get(stem("plumber")) == stem("plumbing")
    assert q.weights[stem("plumber")] == pytest.approx(0.5 * q.unknown.get(stem("plumbing"), 0)
                                                       or 0.5 * q.weights.get(stem("plumbing"), 0))


def test_speller_keeps_short_and_known_words():
    sp = Speller({"twitter": 5, "social": 9})
    assert sp.correct_word("twiter") == "twitter"
    assert sp.correct_word("tw") is None and sp.correct_word("social") is None
    assert sp.correct_word("zzzzzz") is None


def test_plain_fact_questions_are_recognised_by_their_form():
    for q in ("What year was LinkedIn launched?", "Who is the CEO of Snap?", "How many users does Reddit have?",
              "How much does a Google ad cost right now?", "What time does the bakery open?",
              "When was YouTube founded?"):
        assert asks_for_fact(q), q
    for q in ("How much time should we spend on social media?", "Who should run our Twitter account?",
              "What is the biggest risk of social media?", "When should a company start blogging?",
              "How many people should we hire for social media?"):
        assert not asks_for_fact(q), q


def test_platform_specifications_are_facts():
    for q in ("what is the character limit for an Instagram caption", "How many hashtags can I use on Instagram?",
              "how long can a TikTok video be", "What is the maximum file size for a LinkedIn upload?",
              "What's the best size for a Facebook cover photo?"):
        assert asks_for_fact(q), q
    for q in ("What size should our social media team be?", "Is there a limit to how often we should post?",
              "How long can a company ignore social media?", "How many people should we hire for social media?"):
        assert not asks_for_fact(q), q


def test_requests_to_write_something_are_recognised_and_questions_about_writing_are_not():
    for q in ("Write me a tweet about my new cafe", "can you draft 3 LinkedIn posts for our launch",
              "Please compose an Instagram caption for my photo", "Generate ten hashtags for a gym",
              "come up with a slogan for my shop", "Could you write a reply to this review?"):
        assert asks_for_writing(q) and asks_for_no_opinion(q), q
    for q in ("Should we write a social media policy?", "Who should write our company's tweets?",
              "How do I write posts people actually read?", "Can you suggest a way to handle angry comments?",
              "Should we let interns create content for our accounts?", "Is it worth it for B2B?"):
        assert not asks_for_writing(q) and not asks_for_no_opinion(q), q


def test_scope_file_is_read_and_a_broken_one_is_named(tmp_path):
    p = tmp_path / "scope.toml"
    p.write_text('[[out_of_scope]]\nwhat = "x"\nexamples = ["a", "b"]\n[in_scope]\nexamples = ["c"]\n')
    s = Scope.load(p)
    assert s.out_examples == ["a", "b"] and s.in_examples == ["c"]
    p.write_text('[[out_of_scope]]\nwhat = "x"\nexamples = "not a list"\n')
    with pytest.raises(UserError, match="scope.toml.*out_of_scope"):
        Scope.load(p)
    p.write_text("[[out_of_scope]\n")
    with pytest.raises(UserError, match="scope.toml"):
        Scope.load(p)
    assert Scope.load(tmp_path / "missing.toml").out_examples == []


def test_shipped_scope_file_is_valid():
    from index.settings import paths

    s = Scope.load(paths().prompts_dir / "scope.toml")
    assert len(s.out_examples) >= 20 and len(s.in_examples) >= 8


def test_sentence_vectors_round_trip_by_record(tmp_path):
    dim = 4
    rng = np.random.default_rng(0)
    table = {}

    def vectors_for(texts):
        out = {}
        for t in texts:
            v = table.setdefault(t, rng.normal(size=dim).astype(np.float32))
            out[sentence_hash(t)] = v / np.linalg.norm(v)
        return out

    n = write(tmp_path, RECS, vectors_for, dim)
    spans, rows = plan(RECS)
    assert n == len(spans) == rows[-1]
    sv = SentenceVectors.open(tmp_path)
    for i, r in enumerate(RECS):
        sp, vecs = sv.of(i)
        assert [r.text[s:e] for s, e in sp] == [r.text[s:e] for s, e in spans[rows[i]:rows[i + 1]]]
        assert np.allclose(vecs[0], vectors_for([r.text[sp[0][0]:sp[0][1]]])[sentence_hash(
            r.text[sp[0][0]:sp[0][1]])], atol=1e-2)  # float16 on disk
    assert SentenceVectors.open(tmp_path / "none") is None


def test_term_stats_round_trip(tmp_path):
    st = TermStats.from_records(RECS)
    st.save(tmp_path)
    back = TermStats.load(tmp_path)
    assert back.df == st.df and back.records == len(RECS) and "companies" in back.words
    assert back.idf(stem("plumber")) > back.idf(stem("companies")) > 0
    assert TermStats.load(tmp_path / "none") is None
