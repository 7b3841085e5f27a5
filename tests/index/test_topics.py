import json

import numpy as np
import pytest

from index.chatter import is_chatter
from index.errors import UserError
from index.lookup import Lookup
from index.quotes import is_verbatim
from index.retrieval import Answerer
from index.topics import Topic, apply_overrides, derive_topics, kmeans, load_overrides, load_subject, load_topics
from tests.index.test_retrieval import RECORDS, FakeEmbedder, FakeIndex, rec
from tests.index.topics.corpus import THEMES, page, themed_records

# three clear themes, four comments each, two posts
SMALL = {
    "plumb": ["Plumbers on Twitter reach local customers.", "Local plumbers tweet offers to customers nearby.",
              "A plumber gets local customers from Twitter.", "Twitter brings plumbers local customers fast."],
    "intra": ["Intranet wikis help employees collaborate.", "Employees share knowledge on the intranet wiki.",
              "An internal wiki lets employees collaborate daily.", "Intranet blogs help employees share knowledge."],
    "roi": ["Measuring ROI of campaigns needs metrics.", "Campaign metrics show the ROI clearly.",
            "ROI metrics convince the board about campaigns.", "Track campaign metrics to prove ROI."],
}


@pytest.fixture
def themed():
    recs = []
    for ti, (t, texts) in enumerate(SMALL.items()):
        for i, text in enumerate(texts):
            author = f"{['Ann', 'Bob', 'Cy'][i % 3]} {['Xu', 'Yo', 'Zed'][ti]}"
            recs.append(rec("p1" if i % 2 else "p2", f"{t}{i}", author, text))
    emb = FakeEmbedder()
    return recs, FakeIndex(recs, emb), emb


def derive(recs, previous=None, out_dir=None, **kw):
    emb = FakeEmbedder()
    idx = FakeIndex(recs, emb)
    return derive_topics(recs, idx.chunks(), idx.vectors(), out_dir, previous=previous, embed=emb.embed, **kw)


def test_kmeans_is_deterministic_and_separates_clear_groups():
    rng = np.random.default_rng(1)
    a = rng.normal([5, 0, 0], 0.1, (10, 3))
    b = rng.normal([0, 5, 0], 0.1, (10, 3))
    x = np.vstack([a, b]).astype(np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    l1, _ = kmeans(x, 2, seed=3)
    l2, _ = kmeans(x, 2, seed=3)
    assert (l1 == l2).all()
    assert len(set(l1[:10])) == 1 and len(set(l1[10:])) == 1 and l1[0] != l1[10]


def test_derive_topics_clusters_names_and_writes_the_file(themed, tmp_path):
    recs, idx, emb = themed
    topics = derive_topics(recs, idx.chunks(), idx.vectors(), tmp_path, k=3, embed=emb.embed)
    assert len(topics) == 3 and sorted(t.size for t in topics) == [4, 4, 4]
    groups = [{cid.rstrip("0123456789") for _, cid, _ in t.members} for t in topics]
    assert sorted(map(sorted, groups)) == [["intra"], ["plumb"], ["roi"]]
    words = {w for t in topics for w in t.words}
    assert {"roi", "metrics"} & words and {"intranet", "employees", "wiki"} & words
    assert all(t.key and t.name for t in topics) and len({t.key for t in topics}) == 3
    assert not any("," in t.name for t in topics)  # a name, not a word list
    data = json.loads((tmp_path / "topics.json").read_text())
    assert len(data["topics"]) == 3
    again = load_topics(tmp_path)
    assert [(t.key, t.size, t.words) for t in again] == [(t.key, t.size, t.words) for t in topics]
    assert again[0].members == topics[0].members
    assert load_topics(tmp_path / "missing") is None
    subject = load_subject(tmp_path)
    assert subject is not None and abs(float(np.linalg.norm(subject)) - 1.0) < 1e-4
    assert load_subject(tmp_path / "missing") is None


def test_names_are_phrases_people_use():
    topics = derive(themed_records(), k=4)
    names = {t.name for t in topics}
    # the phrase each theme's comments share, written as they write it ("ROI", "LinkedIn"), not a word list
    assert any("ROI" in n for n in names), names
    assert any("Legal risk" in n for n in names), names
    assert any("B2B" in n or "LinkedIn" in n for n in names), names
    assert any("omplaint" in n or "risis" in n for n in names), names
    assert all(n[0].isupper() and "," not in n for n in names)


def test_chatter_never_joins_a_topic():
    recs = themed_records()
    topics = derive(recs, k=4)
    text = {(r.post_id, r.comment_id): r.text for r in recs}
    members = [(m[0], m[1]) for t in topics for m in t.members]
    assert members and not any(is_chatter(text[m]) for m in members)
    assert not any(cid.startswith("chat") for _, cid in members)
    assert sum(t.size for t in topics) == sum(1 for r in recs if not is_chatter(r.text))


def test_people_and_filler_never_name_a_topic():
    texts = ["Zelda says podcasts reach commuters every morning.", "Podcasts reach commuters, Zelda thinks.",
             "Zelda measured podcasts against radio for commuters.", "Invoices and accounting software matter.",
             "Accounting software handles invoices for small firms.", "Invoices need accounting software today."]
    recs = [rec("p", str(i), "Zelda Quill" if i == 0 else f"W{i} Person", t) for i, t in enumerate(texts)]
    topics = derive(recs, k=2, min_size=2)
    names = " ".join(t.name.lower() for t in topics)
    words = {w for t in topics for w in t.words}
    assert "podcasts" in names and "accounting" in names
    assert "zelda" not in names and not {"zelda", "thanks", "great", "post", "point"} & words


def test_tiny_clusters_fold_into_neighbours(themed):
    recs, idx, _ = themed
    topics = derive_topics(recs, idx.chunks(), idx.vectors(), k=8, min_size=3)
    assert all(t.size >= 3 for t in topics)
    assert sum(t.size for t in topics) == 12


@pytest.mark.parametrize("new_page", [
    ["Track ROI metrics for every campaign.", "Campaign ROI needs metrics from sales."],  # joins a theme
    ["Pizza shops post daily specials on Facebook.", "Facebook specials fill pizza shops at lunch.",
     "Our pizza shop posts Facebook specials daily."],  # a subject the corpus did not have
    ["Great post!", "Thanks for sharing."],  # chatter only
])
def test_adding_a_page_keeps_at_least_80_percent_of_keys(new_page):
    recs = themed_records()
    first = derive(recs)
    second = derive(recs + page("p9", new_page), previous=first)
    kept = {t.key for t in first} & {t.key for t in second}
    assert len(kept) >= 0.8 * len(first), ([t.key for t in first], [t.key for t in second])
    # a key stays with the comments it named: all of them, or the larger half when a topic splits in two
    before = {t.key: {(m[0], m[1]) for m in t.members} for t in first}
    for t in second:
        if t.key in before:
            now = {(m[0], m[1]) for m in t.members}
            assert len(before[t.key] & now) >= 0.5 * len(before[t.key])


def test_a_continuing_topic_keeps_its_key_and_name_even_when_fresh_naming_would_differ():
    recs = themed_records()
    first = derive(recs, k=4)
    # an admin-era key and an older wording: both survive while the comments are the same
    roi = next(t for t in first if "ROI" in t.name)
    renamed = [Topic("measuring-roi-2019", t.name, t.size, t.words, t.members) if t is roi else t for t in first]
    second = derive(recs + page("p9", ["Campaign ROI needs metrics from sales."]), previous=renamed, k=4)
    t = next(t for t in second if t.key == "measuring-roi-2019")
    assert t.name == roi.name
    assert {m[1] for m in roi.members} <= {m[1] for m in t.members}


def test_renames_and_merges_in_topics_toml_keep_matching_after_a_rebuild(tmp_path):
    recs = themed_records()
    first = derive(recs, k=4)
    roi = next(t for t in first if "ROI" in t.name)
    legal = next(t for t in first if "egal" in t.name)
    b2b = next(t for t in first if "B2B" in t.name or "LinkedIn" in t.name)
    crisis = next(t for t in first if t not in (roi, legal, b2b))
    f = tmp_path / "topics.toml"
    f.write_text(f'[rename]\n"{roi.key}" = "Measuring ROI"\n"{legal.key}" = "Legal risk and employees"\n'
                 f'[[merge]]\ninto = "Selling and complaints"\ntopics = ["{b2b.key}", "{crisis.key}"]\n')
    overrides = load_overrides(f)
    for extra in (["Legal risk worries lawyers when employees tweet.", "Employees and legal risk again."],
                  ["Bakeries post photos of bread on Instagram.", "Instagram bread photos sell bakeries.",
                   "Our bakery bread sells through Instagram photos."]):
        second = derive(recs + page("p9", extra), previous=first, k=4)
        names = {t.name: t for t in apply_overrides(second, overrides)}
        assert {"Measuring ROI", "Legal risk and employees", "Selling and complaints"} <= set(names)
        assert {m[1] for m in roi.members} <= {m[1] for m in names["Measuring ROI"].members}
        merged = {m[1] for m in names["Selling and complaints"].members}
        assert {m[1] for m in b2b.members} | {m[1] for m in crisis.members} <= merged


def test_build_keeps_topic_keys_when_a_page_is_added(tmp_path):
    """Through `build_index`: the live generation's topics are the previous ones of the next build."""
    from index.build import build_index
    from index.store import LiveIndex

    corpus = tmp_path / "corpus"
    corpus.mkdir()

    def write(name, post, texts):
        items = "".join(
            f"<wp:comment><wp:comment_id>{i + 1}</wp:comment_id><wp:comment_author>Person {i % 5}"
            f"</wp:comment_author><wp:comment_date>2010-01-0{1 + i % 9} 10:00:00</wp:comment_date>"
            f"<wp:comment_content><![CDATA[{t}]]></wp:comment_content><wp:comment_approved>1"
            "</wp:comment_approved><wp:comment_type></wp:comment_type></wp:comment>" for i, t in enumerate(texts))
        (corpus / name).write_text(
            '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" xmlns:content="http://purl.org/rss/1.0/'
            'modules/content/" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:wp="http://wordpress.org/export/1.2/">'
            f"<channel><item><title>{post}</title><link>https://ex.org/{post}</link><dc:creator>Host</dc:creator>"
            f"<content:encoded><![CDATA[<p>A post about {post}.</p>]]></content:encoded><wp:post_id>{post}"
            "</wp:post_id><wp:post_date>2010-01-01 09:00:00</wp:post_date><wp:status>publish</wp:status>"
            f"<wp:post_type>post</wp:post_type>{items}</item></channel></rss>", encoding="utf-8")

    themes = list(THEMES.values())
    write("a.xml", "one", themes[0][:3] + themes[1][:3] + ["Great post!"])
    write("b.xml", "two", themes[0][3:] + themes[2][:3] + ["Waste management."])
    write("c.xml", "three", themes[1][3:] + themes[2][3:] + themes[3])
    db, emb = tmp_path / "db", FakeEmbedder()
    build_index(corpus, db, embedder=emb)
    first = load_topics(LiveIndex.open(db).generation_dir)
    write("d.xml", "four", ["Trade shows cost more than LinkedIn groups for B2B leads.", "Thanks, well said."])
    build_index(corpus, db, embedder=emb)
    second = load_topics(LiveIndex.open(db).generation_dir)
    assert first and second
    assert len({t.key for t in first} & {t.key for t in second}) >= 0.8 * len(first)
    assert not any(m[1] and "Great post" in m[1] for t in second for m in t.members)


def test_overrides_rename_merge_add(tmp_path):
    ts = [Topic("a-b", "a, b", 3, ("a", "b"), (("p", "1", 0.9),)), Topic("c-d", "c, d", 2, ("c",), (("p", "2", 0.8),)),
          Topic("e", "e", 5, ("e",), (("p", "3", 0.7),))]
    f = tmp_path / "topics.toml"
    f.write_text('[rename]\n"e" = "Everything E"\n"gone-key" = "X"\n'
                 '[[merge]]\ninto = "AB and CD"\ntopics = ["a-b", "c, d"]\n'
                 '[[add]]\nname = "ROI"\nquery = "measuring return on investment"\n')
    out = apply_overrides(ts, load_overrides(f))
    names = [t.name for t in out]
    assert names == ["AB and CD", "Everything E", "ROI"]
    merged = out[0]
    assert merged.size == 5 and [m[1] for m in merged.members] == ["1", "2"]
    assert out[2].query == "measuring return on investment" and out[2].key == "roi"


def test_bad_override_file_names_the_problem(tmp_path):
    f = tmp_path / "topics.toml"
    f.write_text("[rename\n")
    with pytest.raises(UserError, match="topics.toml: not valid TOML"):
        load_overrides(f)
    f.write_text('[[merge]]\ninto = "x"\n')
    with pytest.raises(UserError, match=r"\[\[merge\]\] needs into"):
        load_overrides(f)
    f.write_text('[[add]]\nname = "x"\n')
    with pytest.raises(UserError, match=r"\[\[add\]\] needs name"):
        load_overrides(f)
    assert load_overrides(tmp_path / "absent.toml") == {}


def test_shipped_overrides_file_is_valid():
    from index.settings import ROOT

    ov = load_overrides(ROOT / "prompts" / "topics.toml")
    assert all(a["name"] and a["query"] for a in ov["add"])


def test_answerer_topics_and_topic_lookup(themed, tmp_path):
    recs, idx, emb = themed
    derive_topics(recs, idx.chunks(), idx.vectors(), tmp_path, k=3)
    idx.generation_dir = tmp_path
    f = tmp_path / "topics.toml"
    f.write_text('[[add]]\nname = "Plumbing talk"\nquery = "plumbers twitter"\nwords = ["plumbers"]\n')
    ans = Lookup(Answerer(idx, emb), overrides_path=f)
    topics = ans.topics()
    assert len(topics) == 4 and topics[-1].name == "Plumbing talk" and topics[-1].size == 4
    roi = next(t for t in topics if "roi" in t.words)
    a = ans.topic(roi.name, k=10)
    assert a.answered and {q.comment_id.rstrip("0123456789") for q in a.quotes} == {"roi"}
    assert len({q.comment_id for q in a.quotes}) == len(a.quotes)
    assert all(is_verbatim(q.text, next(r.text for r in recs if r.comment_id == q.comment_id)) for q in a.quotes)
    # at most two quotes per person within a topic page as well
    assert max(sum(q.author == x.author for q in a.quotes) for x in a.quotes) <= 2
    assert ans.topic(roi.key).quotes == a.quotes  # by key too
    added = ans.topic("plumbing talk")
    assert added.answered and all("plumb" in q.comment_id for q in added.quotes[:4])
    assert ans.topic("no such topic").answered is False
    # an admin-added topic is answered even where the refusal gate would refuse its query as a question
    f.write_text('[[add]]\nname = "Odd"\nquery = "zzz qqq"\n')
    assert ans.ask("zzz qqq").answered is False
    odd = ans.topic("odd")
    assert odd.answered and odd.quotes
    t, found = ans.find_topic("roi-metric")
    assert t is not None or found.candidates


def test_answerer_derives_in_memory_when_the_build_wrote_no_topics(tmp_path):
    emb = FakeEmbedder()
    ans = Lookup(Answerer(FakeIndex(RECORDS, emb, extras=False), emb), overrides_path=tmp_path / "none.toml")
    topics = ans.topics()
    assert topics and sum(t.size for t in topics) == 10  # the ten comments; posts are not clustered
