"""How a follow-up is read: when it refers back, what is retrieved, how its two readings are fused."""

from index.conversation import Conversation, Turn, compose_query, context_for, read_in_context, refers_back
from index.models import Answer, Quote


def q(cid, author=None):
    return Quote(text=f"quote {cid}", author=author or f"person {cid}", date=None, post_id="p", post_title="T",
                 comment_id=cid, kind="comment", score=1.0)


def test_what_refers_back():
    for text in ("and for nonprofits?", "What about the legal side?", "any numbers?", "is that legal for banks?",
                 "But how long does it take?", "legal side?"):
        assert refers_back(text), text
    for text in ("What do lawyers say about employees blogging under their own names at work?",
                 "How should a hospital handle patient complaints posted on Facebook?", ""):
        assert not refers_back(text), text


def test_the_query_leads_with_the_follow_up_then_the_thread_subject():
    assert compose_query("and for nonprofits?", ["How do I prove ROI to my boss?"]) == \
        "and for nonprofits? prove roi boss"
    assert compose_query("How should a hospital handle patient complaints on Facebook?", ["roi?"]) == \
        "How should a hospital handle patient complaints on Facebook?"  # stands alone
    assert compose_query("any numbers?", []) == "any numbers?"
    assert context_for(["first", "second", "third", "fourth"]) == ["first", "fourth"]


def fake_ask(rankings, refused=()):
    calls = []

    def ask(text, k, *, offset=0, exclude=()):
        calls.append((text, k, tuple(exclude)))
        if text in refused:
            return Answer(question=text, answered=False)
        quotes = [x for x in rankings[text] if (x.post_id, x.comment_id) not in set(exclude)]
        return Answer(question=text, answered=True, quotes=quotes[offset: offset + k])

    return ask, calls


def test_both_readings_fused_agreement_first():
    alone = [q("n1"), q("n2"), q("both")]
    within = [q("both"), q("r1"), q("r2")]
    ask, calls = fake_ask({"and for nonprofits?": alone, "and for nonprofits? prove roi boss": within})
    a = read_in_context(ask, "and for nonprofits?", ["How do I prove ROI to my boss?"], 4)
    assert a.answered and a.question == "and for nonprofits?"
    assert [x.comment_id for x in a.quotes][0] == "both"  # found by both readings
    assert {x.comment_id for x in a.quotes[1:]} <= {"n1", "n2", "r1", "r2"} and len(a.quotes) == 4
    assert {c[0] for c in calls} == {"and for nonprofits?", "and for nonprofits? prove roi boss"}


def test_a_follow_up_meaningless_alone_is_answered_from_the_thread_and_excludes_what_was_shown():
    ask, calls = fake_ask({"any numbers? prove roi boss": [q("r1"), q("r2"), q("r3")]}, refused={"any numbers?"})
    a = read_in_context(ask, "any numbers?", ["How do I prove ROI to my boss?"], 2, exclude={("p", "r1")})
    assert a.answered and [x.comment_id for x in a.quotes] == ["r2", "r3"]
    assert all(("p", "r1") in c[2] for c in calls)
    ask, _ = fake_ask({}, refused={"any numbers?", "any numbers? prove roi boss"})
    assert not read_in_context(ask, "any numbers?", ["How do I prove ROI to my boss?"], 2).answered


def test_the_per_person_cap_holds_after_fusion():
    ask, _ = fake_ask({"and lawyers?": [q("a", "Ann"), q("b", "Ann")],
                       "and lawyers? industries stay away": [q("c", "Ann"), q("d", "Bo")]})
    a = read_in_context(ask, "and lawyers?", ["Which industries should stay away?"], 5, max_per_author=2)
    assert sum(x.author == "Ann" for x in a.quotes) == 2 and "d" in {x.comment_id for x in a.quotes}


def test_a_conversation_round_trips_through_json():
    conv = Conversation([Turn("how do I prove ROI?", False, [("p1", "c1"), ("p1", None)]),
                         Turn("and for nonprofits?", True, [])])
    again = Conversation.from_json(conv.to_json())
    assert again == conv and again.shown() == {("p1", "c1"), ("p1", None)}
    assert again.questions() == ["how do I prove ROI?", "and for nonprofits?"]
