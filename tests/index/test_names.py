"""The one name resolver: forgiving where a person is unambiguous, never guessing across people."""

from index.models import Record
from index.names import Entry, NameIndex, name_key, name_words
from index.people import People


def rec(author, cid, date="2009-01-01", post="p1"):
    return Record(post_id=post, comment_id=cid, kind="comment", author=author, date=date, text=f"Comment {cid}.",
                  post_title="T", post_url=None)


PEOPLE = People([
    rec("Annie @ PhD in Parenting", "a1"), rec("Annie", "a2", "2008-01-01"), rec("Lisa Hickey", "l1"),
    rec("Bob Smith", "b1"), rec("Bob Jones", "b2"), rec("Ann Lee", "n1"), rec("Jo (jo.example.com)", "j1"),
    rec("Jim Mitchem", "m1"), rec("Jim", "m2"),
])


def test_keys_ignore_case_punctuation_and_the_blog_part():
    assert name_key("Annie @ PhD in Parenting") == name_key("annie") == "annie"
    assert name_key("Jo (jo.example.com)") == "jo"
    assert name_words("Lisa  Hickey") == ("lisa", "hickey")
    assert name_key("  ") == ""


def test_first_names_and_word_starts_find_one_person():
    assert PEOPLE.resolve("annie").display == "Annie @ PhD in Parenting"  # the spelling used most... or first
    assert PEOPLE.resolve("lisa").display == "Lisa Hickey"
    assert PEOPLE.resolve("HICKEY").display == "Lisa Hickey"
    assert PEOPLE.resolve("l hick").display == "Lisa Hickey"
    assert PEOPLE.resolve("Lisa Hickey").key == "lisahickey"
    assert PEOPLE.resolve("phd in parenting").display == "Annie @ PhD in Parenting"  # inside the name as signed
    # "ann" is a whole first name of Ann Lee and only the start of Annie's: the whole word wins
    assert PEOPLE.resolve("ann").display == "Ann Lee"
    # "jim" is a person of its own ("Jim") as well as the first word of "Jim Mitchem": the exact name wins
    assert PEOPLE.resolve("jim").display == "Jim"


def test_several_people_are_an_ambiguity_never_a_guess():
    r = PEOPLE.resolve("bob")
    assert r.key is None and r.ambiguous and set(r.candidates) == {"Bob Smith", "Bob Jones"}
    r = PEOPLE.resolve("Bob Smyth")  # a typo: suggested, not chosen
    assert r.key is None and not r.ambiguous and r.candidates[0] == "Bob Smith"
    r = PEOPLE.resolve("Zebulon")
    assert r.key is None and not r.ambiguous and r.candidates == ()
    assert PEOPLE.resolve("").key is None


def test_people_group_spellings_and_keep_their_words_oldest_first():
    assert dict(PEOPLE.authors())["Annie @ PhD in Parenting"] == 2 or dict(PEOPLE.authors())["Annie"] == 2
    key = PEOPLE.resolve("annie").key
    assert [r.comment_id for r in PEOPLE.records(key)] == ["a2", "a1"]
    assert PEOPLE.records("nobody") == []


def test_topics_resolve_by_key_name_word_and_ambiguity_lists_them():
    names = NameIndex([Entry("roi-metrics", "Measuring ROI", ("roi-metrics",), 9),
                       Entry("b2b", "B2B", ("b2b",), 5),
                       Entry("burial", "burial, deluxe, funeral", ("burial",), 3),
                       Entry("legal-employees", "Legal risk and employees", ("legal-employees",), 4),
                       Entry("legal-brand", "Legal risk for brands", ("legal-brand",), 2)])
    assert names.resolve("roi-metrics").key == "roi-metrics"
    assert names.resolve("measuring roi").key == "roi-metrics"
    assert names.resolve("roi").key == "roi-metrics"
    assert names.resolve("funeral").key == "burial"
    r = names.resolve("legal")
    assert r.ambiguous and r.candidates == ("Legal risk and employees", "Legal risk for brands")  # largest first
    assert names.resolve("legal brands").key == "legal-brand"
    assert names.resolve("b2c").candidates == ("B2B",)
