"""The store, in both modes: embedded PersistentClient and a real `chroma run` server (the chroma_mode fixture)."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from index.build import build_index
from index.errors import IndexBusy, IndexMissing, StoreUnavailable, UserError
from index.store import LIVE, EmbeddingCache, LiveIndex, build_lock, chroma_client, collection_name
from tests.conftest import ROOT, write_page


def test_open_before_any_build_says_what_to_do(tmp_path):
    with pytest.raises(IndexMissing, match="adoptbot index build"):
        LiveIndex.open(tmp_path / "nothing-here")


def test_dense_and_lexical_answer_from_the_live_generation(chroma_mode, small_corpus, tmp_path, fake_embedder):
    db = tmp_path / "db"
    build_index(small_corpus, db, embedder=fake_embedder)
    live = LiveIndex.open(db)
    assert live.manifest["model"] == fake_embedder.name and live.manifest["counts"]["chunks"] == len(live.chunks())
    hits = live.dense(fake_embedder.embed_query("legal risk compliance policy"), 2)
    assert len(hits) == 2 and hits[0][1] >= hits[1][1]
    assert "Legal risk" in hits[0][0].text
    lex = live.lexical("LinkedIn pipeline", 5)
    assert lex and "LinkedIn" in lex[0][0].text and all(s > 0 for _, s in lex)
    assert live.lexical("the and of", 5) == []  # stopwords only: nothing, not an error
    assert live.lexical("zyzzyva", 5) == []
    ids, vecs = live.vectors()
    assert ids == [c.chunk_id for c in live.chunks()] and vecs.shape == (len(ids), fake_embedder.dim)
    assert np.allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-5)
    c = live.chunks()[0]
    assert live.chunk(c.chunk_id) == c
    rec = live.record(c.post_id, c.comment_id)
    assert rec is not None and rec.text[c.start : c.end] == c.text


def test_dense_never_returns_vectors_outside_the_live_generation(chroma_mode, small_corpus, tmp_path, fake_embedder):
    db = tmp_path / "db"
    build_index(small_corpus, db, embedder=fake_embedder)
    live = LiveIndex.open(db)
    q = fake_embedder.embed_query("an orphan nobody indexed")
    # a vector a killed build left behind, identical to the query: it must not be returned
    live.collection().upsert(ids=["orphan-1"], embeddings=[q.tolist()], documents=["an orphan nobody indexed"])
    hits = live.dense(q, 10)
    assert hits and all(ch.chunk_id != "orphan-1" for ch, _ in hits)
    assert len(hits) == len(live.chunks())


def test_refresh_picks_up_a_new_generation(chroma_mode, small_corpus, tmp_path, fake_embedder):
    db = tmp_path / "db"
    build_index(small_corpus, db, embedder=fake_embedder)
    live = LiveIndex.open(db)
    assert live.refresh() is False
    write_page(small_corpus, "d.txt", "Crowdsourcing product ideas on Facebook worked for our bakery.")
    build_index(small_corpus, db, embedder=fake_embedder)
    assert live.refresh() is True
    hits = live.dense(fake_embedder.embed_query("Crowdsourcing product ideas on Facebook bakery"), 1)
    assert "bakery" in hits[0][0].text


def test_reader_in_another_process_sees_vectors_added_after_it_opened(small_corpus, tmp_path, fake_embedder,
                                                                      monkeypatch):
    """Embedded Chroma caches its HNSW index per process: a reader must reload after another process wrote."""
    monkeypatch.delenv("CHROMA_HOST", raising=False)
    db = tmp_path / "db"
    build_index(small_corpus, db, embedder=fake_embedder)
    live = LiveIndex.open(db)
    live.dense(fake_embedder.embed_query("social"), 1)  # loads the collection in this process
    write_page(small_corpus, "d.txt", "Crowdsourcing product ideas on Facebook worked for our bakery.")
    code = (
        "import sys; from pathlib import Path; from index.build import build_index; from tests.conftest import "
        "FakeEmbedder; build_index(Path(sys.argv[1]), Path(sys.argv[2]), embedder=FakeEmbedder())"
    )
    subprocess.run([sys.executable, "-c", code, str(small_corpus), str(db)], cwd=ROOT, check=True)
    assert live.refresh()
    hits = live.dense(fake_embedder.embed_query("Crowdsourcing product ideas on Facebook bakery"), 1)
    assert "bakery" in hits[0][0].text


def test_embedded_clients_are_reloaded_only_after_another_process_wrote(small_corpus, tmp_path, fake_embedder,
                                                                         monkeypatch):
    """Dropping cached embedded clients leaks native memory in chromadb, so a bot that reindexes in-process must
    keep them (its own writes are visible at once); a build by another process must still be seen."""
    import index.store.chroma as store

    monkeypatch.delenv("CHROMA_HOST", raising=False)
    resets: list[int] = []
    real_reset = store.reset_embedded_clients
    monkeypatch.setattr(store, "reset_embedded_clients", lambda: (resets.append(1), real_reset())[1])
    db = tmp_path / "db"
    build_index(small_corpus, db, embedder=fake_embedder)
    live = LiveIndex.open(db)
    live.dense(fake_embedder.embed_query("social"), 1)
    for i, words in enumerate(["bakery croissants", "florist tulips", "plumber pipes"]):
        write_page(small_corpus, f"own{i}.txt", f"Our {words} shop found customers on Twitter.")
        build_index(small_corpus, db, embedder=fake_embedder)
        assert live.refresh()
        assert words.split()[1] in live.dense(fake_embedder.embed_query(f"{words} shop Twitter"), 1)[0][0].text
    assert resets == []  # in-process: never dropped
    write_page(small_corpus, "d.txt", "Crowdsourcing product ideas on Facebook worked for our brewery.")
    code = (
        "import sys; from pathlib import Path; from index.build import build_index; from tests.conftest import "
        "FakeEmbedder; build_index(Path(sys.argv[1]), Path(sys.argv[2]), embedder=FakeEmbedder())"
    )
    subprocess.run([sys.executable, "-c", code, str(small_corpus), str(db)], cwd=ROOT, check=True)
    assert live.refresh() and len(resets) == 1
    top = live.dense(fake_embedder.embed_query("Crowdsourcing product ideas Facebook brewery"), 1)
    assert "brewery" in top[0][0].text
    # this process has caught up: its next build and refresh need no reload, and see the new page
    write_page(small_corpus, "e.txt", "Our dentist office answers questions on Facebook.")
    build_index(small_corpus, db, embedder=fake_embedder)
    assert live.refresh() and len(resets) == 1
    assert "dentist" in live.dense(fake_embedder.embed_query("dentist office Facebook questions"), 1)[0][0].text


def test_a_second_writer_gets_a_clear_busy_error(tmp_path, small_corpus, fake_embedder):
    db = tmp_path / "db"
    db.mkdir()
    with build_lock(db):
        with pytest.raises(IndexBusy, match=rf"another build is running \(pid {os.getpid()}\)"):
            build_index(small_corpus, db, embedder=fake_embedder)
    build_index(small_corpus, db, embedder=fake_embedder)  # released: the next build runs


def test_readers_are_not_blocked_by_the_writer_lock(tmp_path, small_corpus, fake_embedder):
    db = tmp_path / "db"
    build_index(small_corpus, db, embedder=fake_embedder)
    with build_lock(db):
        live = LiveIndex.open(db)
        assert live.lexical("LinkedIn", 1)


def test_unreachable_server_is_a_store_unavailable_error(monkeypatch, tmp_path, small_corpus, fake_embedder):
    from tests.conftest import _free_port

    monkeypatch.setenv("CHROMA_HOST", "127.0.0.1")
    monkeypatch.setenv("CHROMA_PORT", str(_free_port()))  # nothing listens there
    with pytest.raises(StoreUnavailable, match="cannot be reached.*unset CHROMA_HOST"):
        chroma_client(tmp_path)
    with pytest.raises(StoreUnavailable):
        build_index(small_corpus, tmp_path / "db", embedder=fake_embedder)
    assert not (tmp_path / "db" / LIVE).exists()


def test_slow_server_times_out_with_a_clear_error(monkeypatch, tmp_path):
    """A server that accepts connections but never answers must not hang the bot."""
    import socket

    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(5)
    try:
        monkeypatch.setenv("CHROMA_HOST", "127.0.0.1")
        monkeypatch.setenv("CHROMA_PORT", str(srv.getsockname()[1]))
        monkeypatch.setenv("CHROMA_TIMEOUT_S", "0.5")
        with pytest.raises(StoreUnavailable, match="cannot be reached"):
            chroma_client(tmp_path)
    finally:
        srv.close()


def test_questions_in_flight_share_one_connection_attempt_to_a_hung_server(tmp_path):
    """Many threads asking a server that accepts but never answers: one connection attempt, and every caller gets
    "try again shortly" after about one timeout, not one timeout each in turn (which took 8 x 0.5 s here)."""
    import socket
    import threading
    import time

    from index.settings import ChromaSettings

    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(64)
    settings = ChromaSettings(host="127.0.0.1", port=srv.getsockname()[1], timeout_s=0.5)
    live = LiveIndex(tmp_path, "000001", {"collection": "c", "model": "m", "chunking": {}}, settings)
    probes: list[float] = []
    import index.store.chroma as store

    real_probe = store._probe

    def counting_probe(url, seconds):
        probes.append(time.monotonic())
        return real_probe(url, seconds)

    errors: list[BaseException] = []
    waits: list[float] = []

    def ask():
        t0 = time.monotonic()
        try:
            live.call(lambda coll: coll.count())
        except BaseException as e:  # noqa: BLE001 - collected and asserted below
            errors.append(e)
        waits.append(time.monotonic() - t0)

    store._probe = counting_probe
    try:
        threads = [threading.Thread(target=ask) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
    finally:
        store._probe = real_probe
        srv.close()
    assert len(errors) == 8 and all(isinstance(e, StoreUnavailable) for e in errors), errors
    assert all("try again shortly" in str(e) or "cannot be reached" in str(e) for e in errors)
    assert len(probes) == 1  # single flight: the 7 others waited for the first attempt
    assert max(waits) < 8 * 0.5  # serialized, the last would have waited 8 timeouts


def test_damaged_data_folder_gives_one_clear_line(tmp_path, small_corpus, fake_embedder):
    db = tmp_path / "db"
    build_index(small_corpus, db, embedder=fake_embedder)
    gen = (db / LIVE).read_text().strip()
    (db / "generations" / gen / "manifest.json").write_text("{not json")
    with pytest.raises(UserError, match="damaged.*adoptbot index build"):
        LiveIndex.open(db)
    (db / LIVE).write_text("999999\n")
    with pytest.raises(UserError, match="no manifest"):
        LiveIndex.open(db)
    # and a build repairs it
    report = build_index(small_corpus, db, embedder=fake_embedder)
    assert report.swapped and any("damaged" in w for w in report.warnings)
    assert LiveIndex.open(db).lexical("LinkedIn", 1)


def test_data_folder_that_is_a_file(tmp_path, small_corpus, fake_embedder):
    f = tmp_path / "db"
    f.write_text("oops")
    with pytest.raises(UserError, match="is a file"):
        build_index(small_corpus, f, embedder=fake_embedder)
    with pytest.raises(UserError, match="is a file"):
        LiveIndex.open(f)


def test_collections_are_named_per_folder_model_and_chunking():
    a = collection_name("inst1", "m1", {"max_tokens": 180})
    assert a == collection_name("inst1", "m1", {"max_tokens": 180})
    others = {collection_name("inst2", "m1", {"max_tokens": 180}), collection_name("inst1", "m2", {"max_tokens": 180}),
              collection_name("inst1", "m1", {"max_tokens": 100})}
    assert len(others | {a}) == 4


def test_collection_metadata_records_model_chunking_and_cosine(chroma_mode, small_corpus, tmp_path, fake_embedder):
    db = tmp_path / "db"
    build_index(small_corpus, db, embedder=fake_embedder)
    live = LiveIndex.open(db)
    meta = live.collection().metadata
    assert meta["model"] == fake_embedder.name and meta["hnsw:space"] == "cosine"
    assert json.loads(meta["chunking"]) == live.manifest["chunking"]


def test_embedding_cache_round_trip_and_damage(tmp_path):
    c = EmbeddingCache(tmp_path / "e.sqlite")
    v = np.arange(4, dtype=np.float32)
    c.put_many("m", {"h1": v})
    assert np.array_equal(c.get_many("m", ["h1", "h2"])["h1"], v) and c.get_many("other", ["h1"]) == {}
    c.close()
    (tmp_path / "bad.sqlite").write_bytes(b"this is not a database" * 100)
    with pytest.raises(UserError, match="delete it"):
        EmbeddingCache(tmp_path / "bad.sqlite")


def test_dropped_embedded_systems_are_stopped_after_a_grace_but_never_under_a_running_build(monkeypatch, tmp_path,
                                                                                             small_corpus,
                                                                                             fake_embedder):
    """Stopping a dropped chromadb system frees its memory; stopping one a build of this process still uses would
    fail that build, and one a question is using would fail the question (hence the grace)."""
    import index.store.chroma as store

    monkeypatch.delenv("CHROMA_HOST", raising=False)

    class System:
        stopped = 0

        def stop(self):
            self.stopped += 1

    old = System()
    monkeypatch.setattr(store, "_retired", [(0.0, old)])
    monkeypatch.setattr(store, "_RETIRE_AFTER_S", 0.0)
    with store.embedded_build():
        store.reset_embedded_clients()
    assert old.stopped == 0 and any(s is old for _, s in store._retired)
    store.reset_embedded_clients()
    assert old.stopped == 1 and not any(s is old for _, s in store._retired)
    # a real client after its system was dropped and stopped: a new one answers
    db = tmp_path / "db"
    build_index(small_corpus, db, embedder=fake_embedder)
    live = LiveIndex.open(db)
    assert live.dense(fake_embedder.embed_query("legal risk"), 1)
    store.reset_embedded_clients()
    store.reset_embedded_clients()  # the first reset's system is stopped now (grace 0)
    live._reset_collection()
    assert "Legal risk" in live.dense(fake_embedder.embed_query("legal risk compliance policy"), 1)[0][0].text


# --- the lexical index: bm25s's scores, built streaming, read memory-mapped -------------------------------------


def _texts():
    from index.corpus import read_corpus

    texts = [r.text for p in read_corpus(ROOT / "corpus") for r in p.records]
    return texts + ["the and of", "", "Twitter twitter TWITTER, twitter!", "ROI " * 40]


def test_lexical_index_is_bm25s_bit_for_bit(tmp_path):
    """Every column (chunks and float32 scores) and every query's scores equal bm25s's own in-memory index: the
    streaming build changes how the index is made, never what it answers."""
    import bm25s

    from index.store import LexicalBuilder, LexicalIndex, bm25_tokenize

    texts = _texts()
    builder = LexicalBuilder(tmp_path / "lex")
    for i in range(0, len(texts), 7):  # in small batches, as a build streams them
        builder.add(texts[i : i + 7])
    params = builder.finish()
    assert params["docs"] == len(texts) and not (tmp_path / "lex" / "postings.tmp").exists()
    ours = LexicalIndex(tmp_path / "lex")
    ref = bm25s.BM25()
    ref.index(bm25_tokenize(texts), show_progress=False)
    s = ref.scores
    for term, tid in ref.vocab_dict.items():
        if term == "":
            continue
        (mine,) = ours.term_ids([term])
        a, b = slice(s["indptr"][tid], s["indptr"][tid + 1]), slice(ours.indptr[mine], ours.indptr[mine + 1])
        assert np.array_equal(s["indices"][a], ours.indices[b]), term
        assert np.array_equal(s["data"][a].view(np.uint32), np.asarray(ours.data[b]).view(np.uint32)), term
    for q in ["How do I prove ROI?", "legal risk compliance", "twitter twitter b2b", "zyzzyva", "the of"]:
        known = [t for t in bm25_tokenize([q])[0] if t in ref.vocab_dict]
        want = np.asarray(ref.get_scores(known)) if known else np.zeros(len(texts), dtype=np.float32)
        got = ours.scores(ours.term_ids(bm25_tokenize([q])[0]))
        assert np.array_equal(want.view(np.uint32), got.view(np.uint32)), q
    assert ours.top("zyzzyva", 5) == [] and ours.top("the of", 5) == []
    top = ours.top("twitter", 3)
    assert top[0][0] == len(texts) - 2 and [s for _, s in top] == sorted((s for _, s in top), reverse=True)
    ours.close()


def test_lexical_index_of_only_stopwords_answers_nothing(tmp_path):
    from index.store import LexicalBuilder, LexicalIndex

    b = LexicalBuilder(tmp_path / "lex")
    b.add(["the and of", "", "a an"])
    assert b.finish()["postings"] == 0
    ix = LexicalIndex(tmp_path / "lex")
    assert ix.top("the", 3) == [] and ix.top("anything at all", 3) == []


def test_the_reader_holds_no_records_or_chunks_in_memory(chroma_mode, small_corpus, tmp_path, fake_embedder):
    """Records and chunks come from the generation's store when asked for: nothing is loaded at open, and a chunk
    found by dense or lexical search is the same object the build cut."""
    from index.chunking import chunk_record
    from index.corpus import read_corpus

    db = tmp_path / "db"
    build_index(small_corpus, db, embedder=fake_embedder)
    live = LiveIndex.open(db)
    assert live._current()._store is None and live._current()._lexical is None  # only the manifest was read
    want = [c for p in read_corpus(small_corpus) for r in p.records
            for c in chunk_record(r, 180, model_tokens=None, model_limit=None)]
    assert live.chunks() == want
    lex = live.lexical("LinkedIn pipeline", 5)
    assert lex[0][0] in want and live.chunk(lex[0][0].chunk_id) == lex[0][0]
    dense = live.dense(fake_embedder.embed_query("legal risk compliance policy"), 3)
    assert all(c in want for c, _ in dense)
    store = live.store()
    assert store.count_chunks() == len(want) and store.chunks_by_id(["nope", want[0].chunk_id]) == {
        want[0].chunk_id: want[0]}
    assert store.chunks_at([len(want) - 1, 0]) == {0: want[0], len(want) - 1: want[-1]}


def test_decoded_chunks_are_kept_up_to_a_bound_and_come_back_the_same(monkeypatch, tmp_path, small_corpus,
                                                                       fake_embedder):
    """Search results are decoded once per generation (the same chunks come back question after question), and the
    keeping never outgrows its bound."""
    from index.store import records as records_mod

    db = tmp_path / "db"
    build_index(small_corpus, db, embedder=fake_embedder)
    store = LiveIndex.open(db).store()
    first = store.chunks_at([0, 1, 2])
    ids = [c.chunk_id for c in first.values()]
    monkeypatch.setattr(records_mod, "_chunk", lambda row: pytest.fail("decoded again"))
    assert store.chunks_at([2, 0, 1]) == first  # from what was kept: nothing decoded
    monkeypatch.undo()
    assert store.chunks_by_id(ids) == {c.chunk_id: c for c in first.values()}
    monkeypatch.setattr(records_mod, "CHUNK_CACHE", 2)
    store._by_pos.clear()
    n = store.count_chunks()
    got = store.chunks_at(list(range(n)))
    assert n > 2 and len(got) == n and len(store._by_pos) <= 2


def test_a_truncated_generation_file_is_refused_with_the_repair(tmp_path, small_corpus, fake_embedder):
    db = tmp_path / "db"
    build_index(small_corpus, db, embedder=fake_embedder)
    gen = db / "generations" / (db / LIVE).read_text().strip()
    for name in ("store.sqlite", "lexical/indices.npy", "lexical/vocab.sqlite"):
        f = gen / name
        data = f.read_bytes()
        f.write_bytes(data[: len(data) // 2])
        live = LiveIndex.open(db)  # the manifest is fine: the damage shows when the files are used
        with pytest.raises(UserError, match=f"{name}.*adoptbot index build"):
            live.lexical("LinkedIn", 3)
        f.write_bytes(data)
    assert LiveIndex.open(db).lexical("LinkedIn", 1)


def test_an_older_format_is_rewritten_by_the_next_build_without_embedding(tmp_path, small_corpus, fake_embedder):
    """A data folder built before format 2 (records.jsonl, chunks.jsonl, bm25/): serving says to build; the build
    keeps the collection's vectors, embeds nothing and counts against the old records."""
    db = tmp_path / "db"
    build_index(small_corpus, db, embedder=fake_embedder)
    live = LiveIndex.open(db)
    gen = live.generation_dir
    with open(gen / "records.jsonl", "w", encoding="utf-8") as f:
        for r in live.records():
            f.write(json.dumps(r.to_json()) + "\n")
    with open(gen / "chunks.jsonl", "w", encoding="utf-8") as f:
        for c in live.chunks():
            f.write(json.dumps(c.to_json()) + "\n")
    m = json.loads((gen / "manifest.json").read_text())
    (gen / "manifest.json").write_text(json.dumps({**m, "format": 1}))
    with pytest.raises(UserError, match="older adoptbot.*adoptbot index build"):
        LiveIndex.open(db)
    calls = fake_embedder.calls
    rep = build_index(small_corpus, db, embedder=fake_embedder)
    assert rep.swapped and rep.embedded == 0 and fake_embedder.calls == calls
    assert (rep.added, rep.unchanged) == (0, 3) and any("older format" in w for w in rep.warnings)
    assert LiveIndex.open(db).lexical("LinkedIn", 1)


def test_a_first_build_into_an_unwritable_folder_does_not_promise_a_live_index(small_corpus, tmp_path, monkeypatch):
    """'(the previous index is still live)' only when there is one: a first start on a read-only /data has none."""
    import errno

    from tests.conftest import FakeEmbedder

    def denied(*a, **k):
        raise OSError(errno.EACCES, "Permission denied")

    db = tmp_path / "db"
    monkeypatch.setattr("index.build.StoreWriter", denied)
    with pytest.raises(UserError) as first:
        build_index(small_corpus, db, embedder=FakeEmbedder())
    msg = str(first.value)
    assert "cannot write to the data folder" in msg and "writable for uid" in msg
    assert "still live" not in msg and "no index was built there yet" in msg
    monkeypatch.undo()
    build_index(small_corpus, db, embedder=FakeEmbedder())
    (small_corpus / "new.txt").write_text("Employee advocacy programmes need a policy first.")
    monkeypatch.setattr("index.build.StoreWriter", denied)
    with pytest.raises(UserError, match=r"\(the previous index is still live\)"):
        build_index(small_corpus, db, embedder=FakeEmbedder())


def test_people_from_the_store_are_the_people_of_the_records(tmp_path, fake_embedder):
    """index.people.People read from the store (spellings now, records on demand) equals the in-memory table
    built from every record: same names, aliases, counts, order, and each person's records oldest first."""
    from index.people import People

    db = tmp_path / "db"
    build_index(ROOT / "corpus", db, embedder=fake_embedder)
    live = LiveIndex.open(db)
    want, got = People(live.records()), People.from_store(live.store())
    assert len(got) == len(want) > 10
    assert got.names.entries() == want.names.entries() and got.authors() == want.authors()
    for e in want.names.entries():
        assert got.display(e.key) == want.display(e.key) and got.records(e.key) == want.records(e.key)
    assert got.records("nobody-by-that-name") == []
    stats = live.store().stats()
    dates = sorted(r.date for r in live.records() if r.date)
    assert (stats["first_date"], stats["last_date"]) == (dates[0], dates[-1])
    assert stats["posts"] + stats["comments"] == len(live.records())


def test_record_lookup_and_stats_read_what_they_need(tmp_path, fake_embedder):
    """What an answerer keeps per generation instead of every record: a bounded cache of records by key (with
    their corpus row), and /about's counts and dates from the manifest."""
    db = tmp_path / "db"
    build_index(ROOT / "corpus", db, embedder=fake_embedder)
    live = LiveIndex.open(db)
    records = live.records()
    look = live.record_lookup()
    look._size = 5
    for i, r in enumerate(records):
        key = (r.post_id, r.comment_id)
        assert look.get(key) == r and look.row(key) == i and key in look
    assert len(look._cache) == 5 and len(look) == len(records)
    assert look.get(("nope", None)) is None and look.row(("nope", None)) is None and ("nope", None) not in look
    stats = live.stats()
    dates = sorted(r.date for r in records if r.date)
    assert (stats["first_date"], stats["last_date"]) == (dates[0], dates[-1])
    assert (stats["posts"], stats["comments"]) == (sum(r.kind == "post" for r in records),
                                                   sum(r.kind == "comment" for r in records))
