"""The look-up and paging API over the real Answerer (fake index and embedder; the real ones: integration)."""

import pytest

from index.lookup import Lookup
from index.names import name_key
from index.quotes import is_verbatim
from index.retrieval import Answerer
from tests.index.test_retrieval import RECORDS, FakeEmbedder, FakeIndex, rec


def source(r_key):
    return next(r for r in RECORDS if (r.post_id, r.comment_id) == r_key)


@pytest.fixture
def lookup(tmp_path):
    emb = FakeEmbedder()
    return Lookup(Answerer(FakeIndex(RECORDS, emb), emb), overrides_path=tmp_path / "none.toml")


def test_authors_and_author_lookup(lookup):
    names = dict(lookup.authors())
    assert sum(n for k, n in names.items() if name_key(k) == "annie") == 3
    assert len([k for k in names if name_key(k) == "annie"]) == 1  # one person, one entry
    a = lookup.author("ANNIE")
    assert a.answered and [q.comment_id for q in a.quotes] == ["c1", "c2", "c3"]  # oldest first
    assert all(is_verbatim(q.text, source((q.post_id, q.comment_id)).text) for q in a.quotes)
    assert lookup.author("Bob").quotes[0].author == "Bob Smith"  # a unique start of a name
    nobody = lookup.author("Zebulon")
    assert nobody.answered is False and nobody.quotes == []
    found = lookup.find_author("Bob Smyth")
    assert found.key is None and found.candidates == ("Bob Smith",)


def test_author_pages(lookup):
    first = lookup.author("annie", 2)
    second = lookup.page("author", "annie", 2, 2)
    assert [q.comment_id for q in first.quotes] == ["c1", "c2"] and [q.comment_id for q in second.quotes] == ["c3"]
    assert lookup.page("author", "annie", 2, 4).answered is False


def test_ask_excludes_what_was_shown_and_reads_a_follow_up_in_context(lookup):
    first = lookup.ask("Which businesses benefit from Twitter, like plumbers?", 3)
    shown = {(q.post_id, q.comment_id) for q in first.quotes}
    again = lookup.ask("Which businesses benefit from Twitter, like plumbers?", 3, exclude=shown)
    assert again.answered and not shown & {(q.post_id, q.comment_id) for q in again.quotes}
    # "and for airlines?" alone has one content word; read with the thread's question it finds airline comments
    follow = lookup.ask("and for airlines?", 3, context=["How do businesses use Twitter for customer service?"])
    assert follow.question == "and for airlines?"  # shown as asked
    assert follow.answered and any("airline" in q.text.lower() for q in follow.quotes)
    with pytest.raises(ValueError, match="unknown answer kind"):
        lookup.page("poll", "x", 1)


def test_about_and_full_text(lookup):
    ab = lookup.about()
    assert ab["posts"] == 2 and ab["comments"] == 10
    assert ab["first_date"] == "2009-12-03" and ab["last_date"] == "2011-01-02"
    assert ab["practitioners"] == 9
    assert lookup.full_text("p1", "c5").author == "Carol"
    assert lookup.full_text("p1", "nope") is None


def test_refresh_drops_people_of_the_old_snapshot(lookup):
    assert lookup.find_author("Zed").key is None
    lookup.index._recs.append(rec("p9", "z1", "Zed", "Brand new comment about podcasts."))
    lookup.index.refreshed = True
    assert lookup.refresh() is True
    assert lookup.author("Zed").answered


# --- integration: the real model, the real Chroma + BM25 index of the shipped corpus ------------------------------

@pytest.fixture(scope="module")
def real_lookup(shipped_db, real_embedder):
    from index.store import LiveIndex

    return Lookup(Answerer(LiveIndex.open(shipped_db), real_embedder))


@pytest.mark.integration
def test_real_topics_were_derived_at_build_and_list_quotes(real_lookup):
    assert (real_lookup.index.generation_dir / "topics.json").exists()
    topics = real_lookup.topics()
    derived = [t for t in topics if t.query is None]
    assert len(derived) >= 2 and all(t.size >= 3 and t.words for t in derived)
    a = real_lookup.topic(derived[0].name, k=5)
    assert a.answered and len(a.quotes) == 5
    members = {(p, c) for p, c, _ in derived[0].members}
    assert all((q.post_id, q.comment_id) in members for q in a.quotes)
    nxt = real_lookup.page("topic", derived[0].key, 5, 5)
    assert not {(q.post_id, q.comment_id) for q in nxt.quotes} & {(q.post_id, q.comment_id) for q in a.quotes}


@pytest.mark.integration
def test_real_author_lookup_spans_posts_and_forgives_first_names(real_lookup):
    name, n = real_lookup.authors()[0]
    a = real_lookup.author(name)
    assert len(a.quotes) == n and all(name_key(q.author) == name_key(name) for q in a.quotes)
    dates = [q.date or "" for q in a.quotes]
    assert dates == sorted(dates)
    # issue 12 item 6: what people type finds the person as signed
    assert real_lookup.find_author("annie").display == "Annie @ PhD in Parenting"
    assert real_lookup.find_author("lisa").display == "Lisa Hickey"
