"""Rendering keeps Discord's limits by construction, for any quotes; attribution reads as specified."""

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.render import (
    DESCRIPTION_MAX,
    EMBED_TOTAL_MAX,
    FOOTER_MAX,
    TITLE_MAX,
    escape_markdown,
    render_answer,
    render_full,
    split_text,
)
from bot.texts import load_texts
from index.models import Answer, Quote, Record

T = load_texts()


def q(text, author="Ann", kind="comment", url="https://x.example/p", title="Post", cid="c1", date="2009-01-02"):
    return Quote(text=text, author=author, date=date, post_id="p", post_title=title, comment_id=cid, kind=kind,
                 score=1.0, post_url=url)


def test_attribution_forms():
    a = Answer("q", True, [q("one"), q("two", author=None, cid="c2", url=None, date=None),
                           q("three", kind="post", cid=None, author="Pat")])
    d = render_answer(a, T).description
    assert "> one\n— **Ann**, 2009-01-02, on [Post](https://x.example/p)" in d
    assert "> two\n— a commenter, undated, on *Post*" in d
    assert "— **Pat**, post author, 2009-01-02" in d
    card = render_answer(a, T)
    assert card.footer == "Quotes 1–3 · from 3 practitioners in 1 post" and card.shown == 3


def test_terminal_form_is_not_escaped():
    a = Answer("q", True, [q("**bold** <@1>")])
    assert "> **bold** <@1>" in render_answer(a, T, md=False).as_text()
    assert "> \\*\\*bold\\*\\* \\<@1\\>" in render_answer(a, T).description


def test_bad_urls_are_not_linked():
    d = render_answer(Answer("q", True, [q("x", url="javascript:alert(1)")]), T).description
    assert "javascript" not in d and "on *Post*" in d
    d = render_answer(Answer("q", True, [q("x", url="https://e.x/a b)c")]), T).description
    assert "(https://e.x/a%20b%29c)" in d


@settings(max_examples=60, deadline=None)
@given(texts=st.lists(st.text(min_size=1, max_size=5000), min_size=1, max_size=10),
       title=st.text(max_size=600), author=st.one_of(st.none(), st.text(max_size=400)))
def test_any_answer_fits_one_embed(texts, title, author):
    quotes = [q(t, author=author, title=title, cid=str(i)) for i, t in enumerate(texts)]
    card = render_answer(Answer(title * 3, True, quotes), T)
    assert len(card.title) <= TITLE_MAX and len(card.description) <= DESCRIPTION_MAX
    assert len(card.footer) <= FOOTER_MAX and card.total() <= EMBED_TOTAL_MAX
    assert 1 <= card.shown <= len(quotes)


@settings(max_examples=40, deadline=None)
@given(st.text(max_size=20000))
def test_full_comment_pages_fit_and_lose_nothing(text):
    rec = Record("p", "c", "comment", "Ann", None, text, post_title="T")
    cards = render_full(rec, T, md=False)
    assert all(len(c.description) <= DESCRIPTION_MAX and c.total() <= EMBED_TOTAL_MAX for c in cards)
    bodies = [c.description.split("\n\n", 1)[1] if i == 0 else c.description for i, c in enumerate(cards)]
    assert "".join("".join(bodies).split()) == "".join(text.split())


def test_split_text_and_escape():
    assert split_text("a b c", 100) == ["a b c"]
    assert all(len(p) <= 10 for p in split_text("word " * 50, 10))
    assert escape_markdown("- item\n# h") == "\\- item\n\\# h"


def test_a_corrected_question_says_what_was_searched_on_the_first_page_only():
    a = Answer("is socail media worth it", True, [q("yes")], corrected="is social media worth it")
    d = render_answer(a, T).description
    assert d.startswith("Showing results for “is social media worth it”.") and "> yes" in d
    assert "Showing results for" not in render_answer(a, T, first=6).description
    plain = Answer("is social media worth it", True, [q("yes")])
    assert "Showing results for" not in render_answer(plain, T).description
