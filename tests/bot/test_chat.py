"""The terminal chat: issue 14 item 5 (commands that swallowed questions, numbering after `more`, look-ups without a
name, suggestions) and item 6 (a conversation, as in a Discord thread), with issue 12's forgiving names."""

from __future__ import annotations

import io

import pytest

from bot.chat import ChatSession, run_chat
from bot.service import Answers
from bot.texts import load_texts
from index.models import Record
from index.topics import Topic
from tests.bot.fakes import FakeAnswerer, FakeBuilder, FakeLookup, make_records


class TopicsLookup(FakeLookup):
    """Topic names as a build derives them today: commas inside, a word shared by two."""

    def _derived_topics(self) -> list[Topic]:
        one = (("p1", "c1", 1.0),)
        return [Topic("roi", "Proving ROI", 9, ("roi",), one),
                Topic("burial", "burial, deluxe, funeral", 5, ("burial",), one),
                Topic("benefit-b2b", "B2B benefits", 4, ("benefit",), one),
                Topic("benefit-staff", "Staff benefits, perks", 3, ("benefit",), one),
                Topic("legal", "Legal risk", 2, ("legal",), one)]


@pytest.fixture
def answerer():
    recs = make_records() + [Record("p3", "l1", "comment", "Lisa Hickey", "2009-05-01", "The lawyer strategy works.",
                                    None, "B2B", None),
                             Record("p3", "a1", "comment", "Annie @ PhD in Parenting", "2009-05-02",
                                    "Parents read blogs.", None, "B2B", None)]
    return FakeAnswerer(records_=recs)


@pytest.fixture
def chat(answerer, tmp_path):
    return ChatSession(Answers(TopicsLookup(answerer), corpus_dir=tmp_path, db_dir=tmp_path, builder=FakeBuilder()),
                       load_texts())


def asked(answerer):
    return [c[1] for c in answerer.calls if c[0] == "ask"]


def test_questions_starting_with_full_are_questions(chat, answerer):
    out = chat.handle("Full-time social media manager: is it worth hiring one?")
    assert asked(answerer) == ["Full-time social media manager: is it worth hiring one?"] and "> " in out
    chat.handle("fully outsourcing our social media: good idea?")
    assert asked(answerer)[-1].startswith("fully outsourcing our social media: good idea?")
    assert "is the number of a quote" in chat.handle("full 99")  # the command itself still works


def test_full_n_opens_the_quote_numbered_n_after_more(chat, answerer):
    first = chat.handle("how do I prove ROI?")
    assert "Quotes 1–5" in first
    page2 = chat.handle("more")
    assert "Quotes 6–10" in page2
    quotes = {n: q for n, q in chat.numbered.items()}
    seventh = chat.handle("full 7")
    assert quotes[7].text[:40] in seventh and "Full comment" in seventh
    third = chat.handle("full 3")  # an earlier page's number still means that quote
    assert quotes[3].text[:40] in third
    assert "(1–10)" in chat.handle("full 11")
    assert "(1–10)" in chat.handle("full x")


def test_topic_and_author_without_a_name_list_them(chat):
    listed = chat.handle("/topic")
    assert "- Proving ROI (9)" in listed and "nothing on" not in listed
    authors = chat.handle("/author")
    assert "- Bob Smith (" in authors and "- Lisa Hickey (1)" in authors
    assert chat.handle("/authors") == authors and chat.handle("authors") == authors
    assert chat.handle("/topics") == listed


def test_topic_names_resolve_or_say_which_ones_fit(chat):
    assert "What practitioners said on burial, deluxe, funeral" in chat.handle("/topic funeral")
    both = chat.handle("/topic benefit")
    assert "There is no topic" not in both
    assert "fits several topics: “B2B benefits”; “Staff benefits, perks”. Which one?" in both
    assert "What practitioners said on B2B benefits" in chat.handle("/topic b2b benefit")
    unknown = chat.handle("/topic astrology")
    assert "There is no topic “astrology”" in unknown
    assert "“burial, deluxe, funeral”" in unknown  # each name quoted: commas stay readable


def test_authors_by_first_name_as_everywhere(chat):
    assert "What Lisa Hickey said" in chat.handle("/author lisa")
    assert "What Annie @ PhD in Parenting said" in chat.handle("/author annie")
    assert "fits several people" in chat.handle("/author person")
    assert "Nobody named “Zebulon”" in chat.handle("/author Zebulon")


def test_follow_ups_are_read_in_context_and_never_repeat_a_quote(chat, answerer):
    first = chat.handle("how do I prove ROI to my boss?")
    shown = {q.comment_id for q in chat.numbered.values()}
    follow = chat.handle("and for nonprofits?")
    assert asked(answerer)[-1].startswith("and for nonprofits?") and "boss" in asked(answerer)[-1]
    assert "Read as a follow-up to “how do I prove ROI to my boss?”" in follow
    assert not shown & {q.comment_id for q in chat.numbered.values()}
    assert first.splitlines()[0] == "how do I prove ROI to my boss?"
    chat.handle("new")
    chat.handle("and for nonprofits?")
    assert asked(answerer)[-1] == "and for nonprofits?"  # a new conversation: read alone


def test_piped_chat_with_a_conversation(chat):
    out, err = io.StringIO(), io.StringIO()
    run_chat(chat, io.StringIO("is it worth it for B2B?\nany numbers?\nmore\n"), out, err, interactive=False)
    text = out.getvalue()
    assert text.count("Quotes 1–5") == 2 and "Quotes 6–" in text
