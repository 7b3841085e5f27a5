import json

import numpy as np
import pytest

from index.errors import UserError
from index.lookup import Lookup
from index.quotes import is_verbatim
from index.retrieval import Answerer
from index.topics import Topic, apply_overrides, derive_topics, kmeans, load_overrides, load_subject, load_topics
from tests.index.test_retrieval import RECORDS, FakeEmbedder, FakeIndex, rec

# three clear themes, four comments each, two posts
THEMES = {
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
    for ti, (t, texts) in enumerate(THEMES.items()):
        for i, text in enumerate(texts):
            author = f"{['Ann', 'Bob', 'Cy'][i % 3]} {['Xu', 'Yo', 'Zed'][ti]}"
            recs.append(rec("p1" if i % 2 else "p2", f"{t}{i}", author, text))
    emb = FakeEmbedder()
    return recs, FakeIndex(recs, emb), emb


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
    recs, idx, _ = themed
    topics = derive_topics(recs, idx.chunks(), idx.vectors(), tmp_path, k=3)
    assert len(topics) == 3 and sorted(t.size for t in topics) == [4, 4, 4]
    groups = [{cid.rstrip("0123456789") for _, cid, _ in t.members} for t in topics]
    assert sorted(map(sorted, groups)) == [["intra"], ["plumb"], ["roi"]]
    words = {w for t in topics for w in t.words}
    assert {"roi", "metrics"} & words and {"intranet", "employees", "wiki"} & words
    assert all(t.key and t.name for t in topics) and len({t.key for t in topics}) == 3
    data = json.loads((tmp_path / "topics.json").read_text())
    assert len(data["topics"]) == 3
    again = load_topics(tmp_path)
    assert [(t.key, t.size, t.words) for t in again] == [(t.key, t.size, t.words) for t in topics]
    assert again[0].members == topics[0].members
    assert load_topics(tmp_path / "missing") is None
    subject = load_subject(tmp_path)
    assert subject is not None and abs(float(np.linalg.norm(subject)) - 1.0) < 1e-4
    assert load_subject(tmp_path / "missing") is None


def test_people_and_filler_never_name_a_topic(tmp_path):
    texts = ["Thanks Zelda, great post about podcasts.", "Zelda, podcasts work great, thanks.",
             "Podcasts and Zelda: great point, thanks.", "Invoices and accounting software matter.",
             "Accounting software handles invoices.", "Invoices need accounting software."]
    recs = [rec("p", str(i), "Zelda Quill" if i == 0 else f"W{i}", t) for i, t in enumerate(texts)]
    emb = FakeEmbedder()
    idx = FakeIndex(recs, emb)
    topics = derive_topics(recs, idx.chunks(), idx.vectors(), k=2, min_size=2)
    words = {w for t in topics for w in t.words}
    assert "podcasts" in words and "accounting" in words
    assert not {"zelda", "thanks", "great", "post", "point"} & words


def test_tiny_clusters_fold_into_neighbours(themed):
    recs, idx, _ = themed
    topics = derive_topics(recs, idx.chunks(), idx.vectors(), k=8, min_size=3)
    assert all(t.size >= 3 for t in topics)
    assert sum(t.size for t in topics) == 12


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
    ans = Lookup(Answerer(FakeIndex(RECORDS, emb), emb), overrides_path=tmp_path / "none.toml")
    topics = ans.topics()
    assert topics and sum(t.size for t in topics) == 10  # the ten comments; posts are not clustered
