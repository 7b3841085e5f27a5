"""The Answerer against small in-memory fakes of LiveIndex and Embedder (the real ones: tests marked integration)."""

import hashlib
import json
import math
import tempfile
from pathlib import Path

import numpy as np
import pytest

from index.errors import UserError
from index.models import Chunk, Record
from index.names import name_key
from index.quotes import ELLIPSIS, content_terms, is_verbatim, sentence_spans
from index.refusal import Evidence, answers, probability
from index.retrieval import Answerer


class FakeEmbedder:
    """Hashed bag of stems: deterministic, and texts sharing words get a high cosine."""

    name = "fake-bow"
    dim = 256

    def embed(self, texts):
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, t in enumerate(texts):
            for term in content_terms(t, drop_generic=True):
                h = int(hashlib.md5(term.encode()).hexdigest(), 16)
                out[i, h % self.dim] += 1.0
            n = np.linalg.norm(out[i])
            if n:
                out[i] /= n
        return out

    def embed_query(self, text):
        return self.embed([text])[0]


class FakeIndex:
    """LiveIndex's contract over a list of records; chunks are pairs of sentences so records span chunks.

    Like a real build it writes a generation folder (the corpus subject, sentence vectors, term statistics)."""

    def __init__(self, records, embedder, generation_dir=None, extras=True):
        self._recs = list(records)
        self._chunks = []
        for r in self._recs:
            spans = sentence_spans(r.text)
            for j in range(0, len(spans), 2):
                s, e = spans[j][0], spans[min(j + 1, len(spans) - 1)][1]
                self._chunks.append(Chunk(chunk_id=f"{r.post_id}:{r.comment_id}:{j}", post_id=r.post_id,
                                          comment_id=r.comment_id, kind=r.kind, author=r.author, date=r.date,
                                          post_title=r.post_title, post_url=r.post_url, start=s, end=e,
                                          text=r.text[s:e], content_hash=str(j)))
        self._vecs = embedder.embed([c.text for c in self._chunks])
        self.manifest = {"built_at": "2024-01-01T00:00:00", "model": embedder.name}
        self.generation_dir = Path(generation_dir or tempfile.mkdtemp(prefix="fake-gen-"))
        self._embedder, self._extras = embedder, extras
        if extras:
            write_generation_extras(self.generation_dir, self._recs, embedder)
        self.refreshed = False

    def dense(self, query_vec, k):
        sims = self._vecs @ query_vec
        order = np.argsort(-sims, kind="stable")[:k]
        return [(self._chunks[i], float(sims[i])) for i in order]

    def lexical(self, query, k):
        q = set(content_terms(query))
        n = len(self._chunks)
        df = {}
        for c in self._chunks:
            for t in set(content_terms(c.text)):
                df[t] = df.get(t, 0) + 1
        scored = []
        for c in self._chunks:
            terms = set(content_terms(c.text))
            s = sum(math.log(1 + n / df[t]) for t in q & terms)
            if s > 0:
                scored.append((c, s))
        scored.sort(key=lambda p: -p[1])
        return scored[:k]

    def chunks(self):
        return list(self._chunks)

    def records(self):
        return list(self._recs)

    def iter_records(self):
        return iter(self._recs)

    def record_lookup(self):
        return FakeLookup(self._recs)

    def record(self, post_id, comment_id):
        return next((r for r in self._recs if (r.post_id, r.comment_id) == (post_id, comment_id)), None)

    def vectors(self):
        return [c.chunk_id for c in self._chunks], self._vecs

    def refresh(self):
        """A test that changes the records and sets `refreshed` gets a new generation, as a build would write."""
        if self.refreshed and self._extras:
            self.generation_dir = Path(tempfile.mkdtemp(prefix="fake-gen-"))
            write_generation_extras(self.generation_dir, self._recs, self._embedder)
        return self.refreshed


class FakeLookup:
    """index.store.live.RecordLookup's contract over a list: records by key and their rows in records order."""

    def __init__(self, records):
        self._recs = list(records)
        self._at = {(r.post_id, r.comment_id): i for i, r in enumerate(self._recs)}

    def prefetch(self, keys):
        return None

    def get(self, key, default=None):
        i = self._at.get(key)
        return default if i is None else self._recs[i]

    def row(self, key):
        return self._at.get(key)

    def __contains__(self, key):
        return key in self._at

    def __len__(self):
        return len(self._recs)


def write_generation_extras(gen_dir, records, embedder):
    """What index/build.py writes beside the records: the subject (mean record vector), sentences, term stats."""
    from index import sentences
    from index.terms import TermStats
    from index.topics import save_topics

    vecs = embedder.embed([r.text for r in records])
    mean = vecs.mean(axis=0)
    save_topics([], gen_dir, subject=mean / (np.linalg.norm(mean) or 1.0))
    sentences.write(gen_dir, records, lambda texts: dict(zip(
        [sentences.sentence_hash(t) for t in texts], embedder.embed(texts), strict=True)), embedder.dim)
    TermStats.from_records(records).save(gen_dir)


def rec(post, cid, author, text, date="2009-12-04", kind="comment"):
    return Record(post_id=post, comment_id=cid, kind=kind, author=author, date=date, text=text,
                  post_title=f"Title of {post}", post_url=f"https://example.com/{post}")


RECORDS = [
    rec("p1", None, "Jim Mitchem", "Which industries cannot benefit from social media? Name one. Let us think.",
        kind="post", date="2009-12-03"),
    rec("p1", "c1", "Annie @ PhD in Parenting", "Plumbers can use Twitter to reach local customers. A plumber puts "
        "his business on Yelp and gets calls.\nThat is local marketing at work."),
    rec("p1", "c2", "Annie (PhD in Parenting)", "Local plumbers and electricians benefit most. Twitter gives them "
        "reach.", date="2009-12-05"),
    rec("p1", "c3", "annie", "Restaurants and plumbers on Twitter: local customers follow them.", date="2009-12-06"),
    rec("p1", "c4", "Bob Smith", "Plumbers rarely tweet but local customers search for plumbers online.",
        date="2009-12-07"),
    rec("p1", "c5", "Carol", "Doctors avoid social media because of privacy rules. HIPAA limits email too."),
    rec("p2", None, "Dana", "Customer service on Twitter changes airlines. I fly Southwest because they respond.",
        kind="post", date="2010-06-01"),
    rec("p2", "d1", "Eve", "Twitter is used as a customer service tool by airlines and banks.", date="2010-06-02"),
    rec("p2", "d2", None, "Intranets for internal communication help employees share knowledge.", date="2010-06-03"),
    rec("p2", "d3", "Frank", "Local plumbers could answer customers on Twitter too, not just airlines.",
        date="2010-06-04"),
    rec("p3", "e1", "Gina", "Internal communication between employees improves with a company wiki and blogs.",
        date="2011-01-01"),
    rec("p3", "e2", "Hal", "Employees share knowledge on internal blogs; internal communication gets faster.",
        date="2011-01-02"),
]


@pytest.fixture
def answerer(tmp_path):
    emb = FakeEmbedder()
    return Answerer(FakeIndex(RECORDS, emb), emb)


def source(r_key):
    return next(r for r in RECORDS if (r.post_id, r.comment_id) == r_key)


def test_quotes_are_verbatim_attributed_and_one_per_comment(answerer):
    a = answerer.ask("Is Twitter useful for plumbers and other local businesses?", k=5)
    assert a.answered and len(a.quotes) == 5
    keys = [(q.post_id, q.comment_id) for q in a.quotes]
    assert len(set(keys)) == len(keys)
    for q in a.quotes:
        r = source((q.post_id, q.comment_id))
        assert is_verbatim(q.text, r.text)
        assert all(p.strip() in r.text for p in q.text.split(ELLIPSIS) if p.strip())
        assert (q.author, q.date, q.kind, q.post_title) == (r.author, r.date, r.kind, r.post_title)
    scores = [q.score for q in a.quotes]
    assert scores == sorted(scores, reverse=True)
    assert set(a.timings_ms) >= {"embed", "search", "total"}
    js = a.to_json()
    assert set(js["quotes"][0]) >= {"text", "author", "date", "post_id", "post_title", "comment_id", "kind", "score"}


def test_at_most_two_quotes_per_person_names_matched_loosely(answerer):
    # Annie writes three of the most relevant comments, under three spellings of her name
    a = answerer.ask("plumbers Twitter local customers", k=5)
    annies = [q for q in a.quotes if name_key(q.author) == "annie"]
    assert len(annies) == 2
    answerer.settings.max_per_author = 1
    a = answerer.ask("plumbers Twitter local customers", k=5)
    assert len([q for q in a.quotes if name_key(q.author) == "annie"]) == 1


def test_more_than_one_post_when_the_corpus_has_them(answerer):
    a = answerer.ask("plumbers Twitter local customers", k=4)
    assert a.posts >= 2
    assert any(q.post_id == "p2" for q in a.quotes)
    assert a.practitioners == len({name_key(q.author) or q.comment_id for q in a.quotes})


def test_paging_with_offset_does_not_repeat(answerer):
    first = answerer.ask("plumbers Twitter local customers", k=3)
    second = answerer.ask("plumbers Twitter local customers", k=3, offset=3)
    k1 = {(q.post_id, q.comment_id) for q in first.quotes}
    k2 = {(q.post_id, q.comment_id) for q in second.quotes}
    assert k2 and not (k1 & k2)


@pytest.mark.parametrize("question", ["How do I bake sourdough bread?", "What is the capital of Australia?",
                                      "Configure an S3 bucket policy in AWS", "Who won the football world cup?"])
def test_off_topic_is_refused_without_quotes(answerer, question):
    for mode in ("hybrid", "dense", "bm25"):
        a = answerer.ask(question, mode=mode)
        assert a.answered is False and a.quotes == []
        assert a.to_json()["answered"] is False


@pytest.mark.parametrize("question", ["Does Twitter help with customer service?",
                                      "Can internal blogs help communication between employees?"])
def test_on_topic_is_answered_in_every_mode(answerer, question):
    for mode in ("hybrid", "dense", "bm25"):
        a = answerer.ask(question, mode=mode)
        assert a.answered and a.quotes, mode
        assert a.mode == mode


def test_question_weights_are_idf_and_ignore_numbers(answerer):
    q = answerer.query("plumbers on Twitter for team 113 in 2024")
    assert set(q.weights) == {"plumber", "twitter", "team"} - {"team"} | ({"team"} & set(answerer.stats.df))
    assert "113" not in q.weights and "2024" not in q.weights and "113" not in q.unknown
    # a rare stem weighs more than an everyday one of this corpus
    assert q.weights["plumber"] > answerer.query("twitter").weights["twitter"] * 0.5
    assert answerer.idf("plumber") > answerer.idf("twitter")


def test_a_number_never_turns_an_answer_into_a_refusal(answerer):
    plain = answerer.ask("Does Twitter help with customer service?")
    for extra in (" in 2024", " (#7)", " 113"):
        a = answerer.ask("Does Twitter help with customer service?" + extra)
        assert a.answered == plain.answered is True, extra
        assert a.evidence["coverage"] == plain.evidence["coverage"], extra  # the number weighs nothing


def test_misspelt_words_are_corrected_and_said(answerer):
    a = answerer.ask("Does Twiter help with custmer servise?")
    assert a.answered and a.corrected == "Does Twitter help with customer service?"
    assert a.to_json()["corrected"] == a.corrected
    assert answerer.ask("Does Twitter help with customer service?").corrected is None


def test_refusal_weighs_evidence_subject_and_what_the_question_asks():
    on = Evidence(evidence=0.7, subject=0.6, coverage=1.0, outside=-0.4, fact=0.0)
    assert answers(on)
    assert not answers(Evidence(evidence=0.7, subject=0.6, coverage=1.0, outside=-0.4, fact=1.0))  # a plain fact
    near_miss = Evidence(evidence=0.45, subject=0.3, coverage=0.4, outside=0.25)  # shares words, asks elsewhere
    assert not answers(near_miss)
    assert answers(Evidence(evidence=0.45, subject=0.3, coverage=0.4, outside=-0.3))  # the same, asked in scope
    assert not answers(Evidence(evidence=0.2, subject=0.0, coverage=0.0, outside=0.0, fact=0.0))  # no evidence
    # each signal moves the probability the way it should
    assert probability(Evidence(evidence=0.5, subject=0.5, coverage=0.5)) < probability(
        Evidence(evidence=0.6, subject=0.5, coverage=0.5))
    assert probability(Evidence(evidence=0.5, subject=0.5, coverage=0.5)) < probability(
        Evidence(evidence=0.5, subject=0.5, coverage=0.9))


def test_a_question_pointing_away_from_the_corpus_subject_is_refused(tmp_path):
    from index.topics import load_subject, save_topics

    emb = FakeEmbedder()
    idx = FakeIndex(RECORDS, emb, generation_dir=tmp_path)
    q = "plumbers Twitter local customers"
    assert Answerer(idx, emb).ask(q).answered
    save_topics([], tmp_path, subject=-emb.embed_query(q))  # a corpus "about" the opposite of the question
    assert load_subject(tmp_path).shape == (emb.dim,)
    vetoed = Answerer(idx, emb).ask(q)
    assert vetoed.answered is False and vetoed.quotes == []
    assert vetoed.evidence["subject"] < 0


def test_chatter_is_never_quoted(tmp_path):
    emb = FakeEmbedder()
    chatty = rec("p1", "c9", "Zoe", "Great post about plumbers and Twitter! Thank you.")
    a = Answerer(FakeIndex([*RECORDS, chatty], emb), emb).ask("plumbers Twitter local customers", k=10)
    assert a.answered and all(q.comment_id != "c9" for q in a.quotes)


def test_a_post_counts_less_than_a_comment_that_says_the_same(tmp_path):
    emb = FakeEmbedder()
    recs = [rec("p5", None, "Ann", "Podcasts reach commuters who listen daily.", kind="post"),
            rec("p5", "x1", "Ben", "Podcasts reach commuters who listen daily.")]
    a = Answerer(FakeIndex(recs, emb), emb).ask("Do podcasts reach commuters?", k=2)
    assert [q.kind for q in a.quotes] == ["comment", "post"]


def test_bad_mode_and_empty_question(answerer):
    with pytest.raises(UserError, match="unknown retrieval mode 'fuzzy'"):
        answerer.ask("twitter", mode="fuzzy")
    assert answerer.ask("   ").answered is False


def test_posts_are_quotable_with_their_author(answerer):
    a = answerer.ask("Southwest airline responds to customers", k=5)
    post = [q for q in a.quotes if q.kind == "post"]
    assert post and post[0].author == "Dana" and post[0].comment_id is None


def test_refresh_reloads_state_only_when_a_new_generation_is_live(answerer):
    assert answerer.refresh() is False
    answerer.index._recs.append(rec("p9", "z1", "Zed", "Brand new comment about podcasts."))
    answerer.index.refreshed = True
    assert answerer.refresh() is True
    assert answerer.full_text("p9", "z1").author == "Zed"


def test_missing_record_is_never_quoted(tmp_path):
    emb = FakeEmbedder()
    idx = FakeIndex(RECORDS, emb)
    idx._recs = [r for r in RECORDS if r.comment_id != "d1"]  # the chunk survives, its record does not
    write_generation_extras(idx.generation_dir, idx._recs, emb)
    a = Answerer(idx, emb).ask("customer service tool airlines banks")
    assert all(q.comment_id != "d1" for q in a.quotes)


# --- integration: the real model, the real Chroma + BM25 index of the shipped corpus ------------------------------

HELDOUT = Path(__file__).resolve().parents[2] / "bench" / "heldout_questions.jsonl"


@pytest.fixture(scope="session")
def real_answerer(shipped_db, real_embedder):
    from index.store import LiveIndex

    return Answerer(LiveIndex.open(shipped_db), real_embedder)


def _heldout(on_topic):
    rows = [json.loads(x) for x in HELDOUT.read_text().splitlines() if x.strip()]
    return [r["question"] for r in rows if r["on_topic"] is on_topic]


@pytest.mark.integration
def test_real_on_topic_questions_get_verbatim_attributed_diverse_quotes(real_answerer):
    idx = real_answerer.index
    for question in _heldout(True):
        a = real_answerer.ask(question, k=5)
        assert a.answered and len(a.quotes) == 5, question
        assert len({(q.post_id, q.comment_id) for q in a.quotes}) == 5
        people = [name_key(q.author) for q in a.quotes if q.author]
        assert all(people.count(p) <= 2 for p in people), question
        for q in a.quotes:
            r = idx.record(q.post_id, q.comment_id)
            assert r is not None and is_verbatim(q.text, r.text), q.text
            assert all(p.strip() in r.text for p in q.text.split(ELLIPSIS) if p.strip())
            assert (q.author, q.date, q.kind) == (r.author, r.date, r.kind)
            assert len(q.text) <= 1000  # whole sentences: a long one is kept whole rather than cut mid-sentence


@pytest.mark.integration
def test_real_off_topic_questions_are_refused(real_answerer):
    for question in _heldout(False):
        for mode in ("hybrid", "bm25"):
            a = real_answerer.ask(question, mode=mode)
            assert not a.answered and not a.quotes, (mode, question)


@pytest.mark.integration
def test_cli_batch_contract_with_the_real_index(shipped_db):
    import subprocess
    import sys

    qs = "Does Twitter help with customer service?\nHow do I bake sourdough bread?\nIs blogging worth it for B2B?\n"
    out = subprocess.run([sys.executable, "-m", "bot.cli", "ask", "--db", str(shipped_db), "--json", "-k", "3", "-"],
                         input=qs, capture_output=True, text=True, timeout=300, check=True)
    rows = [json.loads(x) for x in out.stdout.splitlines()]
    assert [r["answered"] for r in rows] == [True, False, True]
    assert all(len(r["quotes"]) == 3 for r in rows if r["answered"])
    q = rows[0]["quotes"][0]
    assert set(q) >= {"text", "author", "date", "post_id", "post_title", "comment_id", "kind", "score"}
    assert set(rows[0]["timings_ms"]) >= {"embed", "search", "total"}


ANSWERS_DEV = Path(__file__).resolve().parent / "data" / "answers_dev.jsonl"


@pytest.mark.integration
def test_answers_from_the_store_are_those_of_the_in_memory_answerer(real_answerer):
    """Issue 15: serving from the generation's store (records on demand, bounded caches) changes no answer. The
    fixture holds issue 12's answers (every record held in memory) to the development questions
    (../shared/eval/questions_dev.jsonl and questions_judged_dev.jsonl), from its `adoptbot ask --json`. Quotes that
    read on to 200 characters (min_quote_chars) re-cut 36 of the 140 quotes: the fixture was rewritten then, after
    checking that every record, order, score and refusal signal stayed the same."""
    expected = [json.loads(x) for x in ANSWERS_DEV.read_text(encoding="utf-8").splitlines() if x.strip()]
    assert len(expected) == 34
    for want in expected:
        got = real_answerer.ask(want["question"]).to_json()
        got.pop("timings_ms")
        assert json.dumps(got, sort_keys=True, ensure_ascii=False) == json.dumps(want, sort_keys=True,
                                                                                ensure_ascii=False), want["question"]


@pytest.mark.integration
def test_an_answerer_holds_no_record_it_was_not_asked_about(shipped_db, real_embedder):
    """The answerer's records are a bounded cache over the store: opening reads none, a question only its
    candidates, and the cache never outgrows its bound."""
    from index.store import LiveIndex

    a = Answerer(LiveIndex.open(shipped_db), real_embedder)
    assert len(a._records._cache) == 0 and len(a._records) == 120
    a.ask("Does Twitter help with customer service?")
    seen = len(a._records._cache)
    assert 0 < seen < 120
    a._records._size = 5
    a.ask("How do I prove ROI?")
    assert len(a._records._cache) == 5
    a._records.prefetch([("no-such-post", None), *list(a._records._cache)])  # unknown keys are kept as missing
    assert ("no-such-post", None) not in a._records and a._records.row(("no-such-post", None)) is None
