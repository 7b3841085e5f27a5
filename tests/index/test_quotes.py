from hypothesis import given, settings
from hypothesis import strategies as st

from index.quotes import ELLIPSIS, content_terms, cut_quote, is_verbatim, sentence_spans, stem

TEXT = (
    "Hi Jim,\n"
    "I did a talk a few months ago with a group of lawyers. When I started talking about caveats, e.g. "
    "proprietary information, one lawyer said \"I use Social Media with my clients all the time.\" "
    "We play Mafia Wars on Facebook. It lets me be not too professional.\n"
    "Some tiny local newsagents (in the U.S. too) may not have the financial backing. Other than that…wow…just "
    "thinking about it. Profound indeed…"
)


def pieces(quote):
    return [p.strip() for p in quote.split(ELLIPSIS) if p.strip()]


def test_sentences_are_exact_spans_and_respect_abbreviations_and_lines():
    spans = sentence_spans(TEXT)
    sents = [TEXT[s:e] for s, e in spans]
    assert sents[0] == "Hi Jim,"  # a line break ends a sentence
    assert any(s.startswith("When I started talking about caveats, e.g. proprietary") for s in sents)
    assert "Some tiny local newsagents (in the U.S. too) may not have the financial backing." in sents
    assert "Other than that…wow…just thinking about it." in sents
    assert all(s == s.strip() and s for s in sents)
    # nothing but whitespace lies between or around the sentences
    covered = "".join(TEXT[a:b] for a, b in spans)
    assert covered.replace(" ", "") == TEXT.replace(" ", "").replace("\n", "")


def test_quote_picks_the_sentences_with_the_question_words_verbatim_with_ellipses():
    w = {t: 1.0 for t in content_terms("Do lawyers use Facebook with their clients?", drop_generic=True)}
    q = cut_quote(TEXT, w)
    assert "one lawyer said" in q and "Mafia Wars on Facebook" in q
    assert "newsagents" not in q
    assert q.startswith(ELLIPSIS + " ")  # the comment starts before the quote
    assert q.endswith(" " + ELLIPSIS)  # and goes on after it
    assert is_verbatim(q, TEXT)
    for p in pieces(q):
        assert p in TEXT  # exact, not just whitespace-folded


def test_skipped_sentences_become_a_gap_and_bounds_hold():
    w = {"lawyer": 1.0, "newsagent": 1.0}
    q = cut_quote(TEXT, w, max_chars=400)
    assert "lawyers" in q and "newsagents" in q
    assert f" {ELLIPSIS} " in q.strip(ELLIPSIS + " ")  # a gap between the two far-apart sentences
    assert all(p in TEXT for p in pieces(q))


def test_no_weights_gives_the_opening_sentences():
    q = cut_quote(TEXT, {})
    assert q.startswith("Hi Jim,")
    assert not q.startswith(ELLIPSIS)
    assert q.endswith(ELLIPSIS)


def test_whole_short_comment_has_no_ellipsis():
    assert cut_quote("Drug traffickers?", {"drug": 1.0}) == "Drug traffickers?"


def test_focus_chooses_when_no_word_matches():
    text = "First point about nothing. Second point about other things. Third is the semantic match here."
    start = text.index("Third")
    q = cut_quote(text, {"zzz": 1.0}, focus=(start, len(text)), min_chars=0)
    assert q == f"{ELLIPSIS} Third is the semantic match here."


def test_an_overlong_sentence_is_trimmed_at_word_bounds_around_the_match():
    text = " ".join(["filler"] * 200) + " the plumber puts his business on yelp " + " ".join(["filler"] * 200) + "."
    q = cut_quote(text, {"plumber": 2.0, "yelp": 2.0}, max_chars=200)
    assert "plumber puts his business on yelp" in q
    assert q.startswith(ELLIPSIS) and q.endswith(ELLIPSIS)
    assert len(q) <= 200 + 4
    assert all(p in text for p in pieces(q))


def test_max_sentences_and_chars():
    text = " ".join(f"Sentence {i} mentions twitter." for i in range(20))
    q = cut_quote(text, {"twitter": 1.0}, max_sentences=3, max_chars=1000)
    assert len(pieces(" ".join(pieces(q)).replace(". ", ".|").replace("|", " " + ELLIPSIS + " "))) <= 3
    assert len(cut_quote(text, {"twitter": 1.0}, max_chars=120)) <= 130


def test_stemming_meets_inflections():
    assert stem("tweets") == stem("tweeting") == stem("tweet")
    assert stem("employees") == stem("employee")
    assert stem("companies") == stem("company")
    assert "social" not in content_terms("social media for plumbers", drop_generic=True)
    assert content_terms("Is Twitter useful for plumbers?") == ["twitter", "useful", "plumber"]


_sentence = st.text(alphabet=st.sampled_from(list("abcdefgh ijk,;’\"()")), min_size=1, max_size=60).map(
    lambda s: s.strip() or "x"
)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(_sentence, st.sampled_from([". ", "! ", "? ", "\n", "… ", ".\n\n"])), min_size=1, max_size=12),
    st.dictionaries(st.sampled_from(["abc", "fed", "ghi", "x"]), st.floats(0.1, 5), max_size=3),
    st.integers(40, 400),
)
def test_quotes_are_always_verbatim(parts, weights, max_chars):
    text = "".join(s + sep for s, sep in parts).strip()
    if not text:
        return
    q = cut_quote(text, weights, max_chars=max_chars)
    assert q
    assert all(p in text for p in pieces(q)), q
