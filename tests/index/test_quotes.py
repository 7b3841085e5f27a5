from hypothesis import given, settings
from hypothesis import strategies as st

from index.quotes import ELLIPSIS, LONG_SENTENCE, content_terms, cut_quote, is_verbatim, sentence_spans, stem

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
    w = {stem("lawyer"): 1.0, stem("newsagent"): 1.0}
    q = cut_quote(TEXT, w, max_chars=400)
    assert "lawyer" in q and "newsagents" in q
    assert f" {ELLIPSIS} " in q.strip(ELLIPSIS + " ")  # a gap between the two far-apart sentences
    assert all(p in TEXT for p in pieces(q))


def test_no_weights_gives_the_opening_sentences():
    q = cut_quote(TEXT, {})
    assert q.startswith("Hi Jim,")
    assert not q.startswith(ELLIPSIS)
    assert q.endswith(ELLIPSIS)


def test_whole_short_comment_has_no_ellipsis():
    assert cut_quote("Drug traffickers?", {stem("drug"): 1.0}) == "Drug traffickers?"


def test_focus_chooses_when_no_word_matches():
    text = "First point about nothing. Second point about other things. Third is the semantic match here."
    start = text.index("Third")
    q = cut_quote(text, {stem("zzz"): 1.0}, focus=(start, len(text)), min_chars=0)
    assert q == f"{ELLIPSIS} Third is the semantic match here."


def test_only_a_run_on_sentence_is_shown_in_part_around_the_match():
    text = " ".join(["filler"] * 200) + " the plumber puts his business on yelp " + " ".join(["filler"] * 200) + "."
    q = cut_quote(text, {stem("plumber"): 2.0, stem("yelp"): 2.0}, max_chars=200)
    assert "plumber puts his business on yelp" in q
    assert q.startswith(ELLIPSIS) and q.endswith(ELLIPSIS)
    assert len(q) <= LONG_SENTENCE + 4
    assert all(p in text for p in pieces(q))


def test_a_long_sentence_is_never_cut_mid_sentence():
    long = "We weighed " + ", ".join(f"option {i} for the plumbers" for i in range(25)) + " before deciding."
    text = f"Short opener here. {long} Closing words."
    assert 360 < len(long) < LONG_SENTENCE
    q = cut_quote(text, {stem("plumber"): 1.0}, max_chars=360)
    assert long in q and q.endswith(ELLIPSIS)


def test_an_opening_that_leans_back_brings_the_sentence_before():
    text = ("Which industries gain nothing? Funeral homes, maybe. Unless they're run by the mob. "
            "Anyway, everyone else should try it.")
    q = cut_quote(text, {stem("mob"): 3.0})
    assert "Funeral homes, maybe. Unless they're run by the mob." in q


def test_a_question_is_never_cut_from_its_answer():
    text = ("Thanks for the post. Do we need a business case? I believe the answer is still yes, but start small. "
            "There is nothing wrong with starting small. Cheers.")
    q = cut_quote(text, {stem("business"): 1.0, stem("case"): 2.0, stem("need"): 1.0})
    assert "Do we need a business case? I believe the answer is still yes" in q
    assert "… I believe" not in q


def test_a_list_item_comes_with_its_lead_in_or_next_items():
    text = "Two reasons companies wait:\n1. We are.\n2. We're smart enough to know you can't force anyone to listen."
    q = cut_quote(text, {stem("are"): 1.0}, sentence_scores=[0.1, 0.9, 0.2])
    assert not q.strip(ELLIPSIS + " ").startswith("1. We are.") or "2. We're smart" in q


def test_sentence_scores_choose_the_anchor_over_a_question():
    text = "Why bother with Twitter at all? Our sales grew once customers could reach us there. Bye."
    q = cut_quote(text, {}, sentence_scores=[0.9, 0.8, 0.0])
    assert "Our sales grew" in q  # the question alone is no answer: its answer comes with it or instead of it


def test_max_sentences_and_chars():
    text = " ".join(f"Sentence {i} mentions twitter." for i in range(20))
    q = cut_quote(text, {stem("twitter"): 1.0}, max_sentences=3, max_chars=1000)
    assert len(pieces(" ".join(pieces(q)).replace(". ", ".|").replace("|", " " + ELLIPSIS + " "))) <= 3
    assert len(cut_quote(text, {stem("twitter"): 1.0}, max_chars=120)) <= 130


def test_stemming_meets_inflections():
    assert stem("tweets") == stem("tweeting") == stem("tweet")
    assert stem("employees") == stem("employee")
    assert stem("companies") == stem("company")
    assert "social" not in content_terms("social media for plumbers", drop_generic=True)
    assert content_terms("Is Twitter useful for plumbers?") == [stem("twitter"), stem("useful"), stem("plumber")]


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
