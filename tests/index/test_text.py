"""The one text toolkit: sentences, stems and tokens shared by chunks, BM25, coverage and quotes."""

from hypothesis import given, settings
from hypothesis import strategies as st

from index.text import content_terms, lexical_tokens, question_terms, sentence_spans, stem


def sents(text):
    return [text[s:e] for s, e in sentence_spans(text)]


def test_abbreviations_initials_and_lower_case_continuations_do_not_end_a_sentence():
    assert sents("I met Dr. Smith at 3 p.m. yesterday. He said hi.") == [
        "I met Dr. Smith at 3 p.m. yesterday.", "He said hi."]
    assert sents("Authority to speak e.g. mailroom clerks is not the same. Second one.") == [
        "Authority to speak e.g. mailroom clerks is not the same.", "Second one."]
    assert sents("Read the U.S. report… it was great! Really.") == ["Read the U.S. report… it was great!", "Really."]
    assert sents("J. Smith agreed. So did we.") == ["J. Smith agreed.", "So did we."]


def test_list_markers_stay_with_their_item_and_line_breaks_always_end():
    assert sents("1. We are. 2. We’re smart enough. 3. Third point here.") == [
        "1. We are.", "2. We’re smart enough.", "3. Third point here."]
    assert sents("Hi Jim,\nGreat point") == ["Hi Jim,", "Great point"]
    assert sents("Funeral homes? Unless. . . @mortuaryman: Limited time only.") == [
        "Funeral homes?", "Unless. . .", "@mortuaryman: Limited time only."]


def test_stems_meet_inflections_and_hyphenated_forms():
    assert stem("companies") == stem("company")
    assert stem("measuring") == stem("measure") == stem("measurement")
    assert stem("nonprofits") in lexical_tokens("the non-profits did it")
    assert stem("email") in lexical_tokens("send an e-mail")
    assert "the" not in lexical_tokens("the plumber") and lexical_tokens("the plumbers") == [stem("plumber")]


def test_question_terms_leave_out_the_words_of_asking():
    assert question_terms("Is it really worth it for B2B?") == ["b2b"]
    assert question_terms("What do people think about ROI") == ["roi"]
    assert content_terms("plumbers plumber PLUMBERS") == [stem("plumber")]


@settings(max_examples=80, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("abc DEF.?!…\n1)(e.g")), max_size=200))
def test_sentences_are_trimmed_ordered_spans_covering_every_word(text):
    spans = sentence_spans(text)
    assert all(s < e for s, e in spans)
    assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:], strict=False))
    assert all(text[s:e] == text[s:e].strip() for s, e in spans)
    covered = "".join(text[s:e] for s, e in spans)
    assert "".join(covered.split()) == "".join(text.split())
