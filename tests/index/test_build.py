import errno
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from index.build import build_index, verify_index
from index.errors import UserError
from index.models import ParsedPage, Record
from index.store import LIVE, STORE_FILE, GenerationStore, LiveIndex, generation_dirs
from index.store import all_ids as _all_ids
from tests.conftest import ROOT, SHIPPED_CORPUS, FakeEmbedder, write_page


def all_ids(coll):
    """Ids in a collection, seen freshly: another process may have written since this one opened it."""
    from index.store import reset_embedded_clients

    reset_embedded_clients()
    from index.store import chroma_client

    return _all_ids(chroma_client(coll._db_dir).get_collection(coll.name))


class _Coll:
    def __init__(self, live):
        self._db_dir, self.name = live.db_dir, live.manifest["collection"]


def R(post: str, comment: str | None, text: str, author: str | None = "Ann", file: str = "p.txt") -> Record:
    return Record(post_id=post, comment_id=comment, kind="comment" if comment else "post", author=author,
                  date="2009-01-01", text=text, post_title=post, source_file=file)


@pytest.fixture
def fake_corpus(monkeypatch, tmp_path):
    """A corpus whose records the test sets directly (independent of how the page reader evolves)."""
    pages: dict[str, list[Record]] = {}
    d = tmp_path / "corpus"
    d.mkdir()

    def read_pages(corpus_dir):
        if not Path(corpus_dir).is_dir():
            raise UserError(f"corpus folder {corpus_dir} does not exist")
        got = [ParsedPage(file=f, records=list(rs), shape="test") for f, rs in sorted(pages.items())]
        return len(got), iter(got)

    monkeypatch.setattr("index.build.read_pages", read_pages)
    return d, pages


def counts(rep):
    return rep.added, rep.updated, rep.removed, rep.unchanged, rep.embedded


def test_incremental_counts(fake_corpus, tmp_path):
    corpus, pages = fake_corpus
    db, emb = tmp_path / "db", FakeEmbedder()
    pages["p.txt"] = [R("p1", None, "The post about B2B."), R("p1", "c1", "First comment."),
                      R("p1", "c2", "Second comment.")]
    pages["q.txt"] = [R("p2", None, "Another post.", file="q.txt")]
    rep = build_index(corpus, db, embedder=emb)
    assert counts(rep) == (4, 0, 0, 0, 4) and rep.swapped and rep.chunks == 4 and rep.files == 2

    rep = build_index(corpus, db, embedder=emb)  # nothing changed
    assert counts(rep) == (0, 0, 0, 4, 0) and not rep.swapped

    # an edited comment has a new comment_id (a hash of its text): one removal plus one addition
    pages["p.txt"][2] = R("p1", "c2b", "Second comment, edited.")
    # same key, new author: updated, and its text is already embedded
    pages["p.txt"][1] = R("p1", "c1", "First comment.", author="Bob")
    del pages["q.txt"]  # a removed page: its record is removed
    rep = build_index(corpus, db, embedder=emb)
    assert counts(rep) == (1, 1, 2, 1, 1) and rep.swapped
    assert rep.per_file["p.txt"] == {"records": 3, "chunks": 3, "added": 1, "updated": 1, "unchanged": 1,
                                     "warnings": 0, "shape": "test"}
    live = LiveIndex.open(db)
    assert live.record("p1", "c1").author == "Bob" and live.record("p2", None) is None
    assert {c.comment_id for c in live.chunks()} == {None, "c1", "c2b"}
    assert [c.author for c in live.chunks() if c.comment_id == "c1"] == ["Bob"]
    assert verify_index(db)["ok"]

    # a text seen before (cache) is not embedded again, even under a new record
    pages["q.txt"] = [R("p2", None, "Another post.", file="q.txt")]
    rep = build_index(corpus, db, embedder=emb)
    assert counts(rep) == (1, 0, 0, 3, 0)

    rep = build_index(corpus, db, embedder=emb, full=True)
    assert rep.embedded == 4 and rep.swapped


def test_duplicate_record_keys_are_warned_and_skipped(fake_corpus, tmp_path):
    corpus, pages = fake_corpus
    pages["p.txt"] = [R("p1", "c1", "Same."), R("p1", "c1", "Same.")]
    rep = build_index(corpus, tmp_path / "db", embedder=FakeEmbedder())
    assert rep.added == 1 and any("duplicate" in w for w in rep.warnings)


def test_second_run_on_unchanged_corpus_embeds_nothing_and_prunes_old_generations(small_corpus, tmp_path):
    db, emb = tmp_path / "db", FakeEmbedder()
    build_index(small_corpus, db, embedder=emb)
    for i in range(3):
        write_page(small_corpus, f"new{i}.txt", f"Page number {i} on community management.")
        build_index(small_corpus, db, embedder=emb)
    calls = emb.calls
    rep = build_index(small_corpus, db, embedder=emb)
    assert rep.embedded == 0 and emb.calls == calls and not rep.swapped
    live = LiveIndex.open(db)
    assert [d.name for d in generation_dirs(db)] == [live.manifest["previous"], live.generation]
    prev_ids = {c.chunk_id for c in GenerationStore(db / "generations" / live.manifest["previous"] /
                                                    STORE_FILE).iter_chunks()}
    assert set(all_ids(_Coll(live))) == {c.chunk_id for c in live.chunks()} | prev_ids


def _our_collections(db):
    from index.store import chroma_client, reset_embedded_clients

    reset_embedded_clients()
    return sorted(c if isinstance(c, str) else c.name for c in chroma_client(db).list_collections())


@pytest.mark.parametrize("damage", ["truncated", "deleted", "garbage"])
def test_a_damaged_instance_id_is_recovered_and_orphans_nothing(damage, small_corpus, tmp_path):
    db, emb = tmp_path / "db", FakeEmbedder()
    build_index(small_corpus, db, embedder=emb)
    name = LiveIndex.open(db).manifest["collection"]
    inst = db / "instance_id"
    original = inst.read_text()
    if damage == "truncated":
        inst.write_text(original[: len(original) // 2])
    elif damage == "deleted":
        inst.unlink()
    else:
        inst.write_bytes(b"\xff\x00not an id")
    write_page(small_corpus, "d.txt", "A fourth page about measuring engagement on Facebook.")
    rep = build_index(small_corpus, db, embedder=emb)
    assert rep.swapped and rep.embedded == 1  # the old vectors were found: only the new page was embedded
    assert LiveIndex.open(db).manifest["collection"] == name
    assert inst.read_text() == original
    assert _our_collections(db) == [name]


def test_a_collection_only_pruned_generations_used_is_deleted(small_corpus, tmp_path):
    """An index that already lost its instance_id (before the recovery above existed) left the old collection
    behind; once no kept generation uses it, prune deletes it."""
    db, emb = tmp_path / "db", FakeEmbedder()
    build_index(small_corpus, db, embedder=emb)
    old = LiveIndex.open(db).manifest["collection"]
    for g in generation_dirs(db):  # make the manifests unusable for recovery, as the old code would have left it
        m = json.loads((g / "manifest.json").read_text())
        m["collection"] = old  # unchanged name, but the id file names another folder now
        (g / "manifest.json").write_text(json.dumps(m))
    (db / "instance_id").write_text("0123456789\n")
    for i in range(3):
        write_page(small_corpus, f"n{i}.txt", f"Another page number {i} on community managers.")
        build_index(small_corpus, db, embedder=emb)
    new = LiveIndex.open(db).manifest["collection"]
    assert new != old and _our_collections(db) == [new]
    assert verify_index(db, small_corpus)["ok"]


def test_missing_or_empty_corpus_leaves_the_live_index(small_corpus, tmp_path, fake_embedder):
    db = tmp_path / "db"
    build_index(small_corpus, db, embedder=fake_embedder)
    gen = (db / LIVE).read_text()
    with pytest.raises(UserError, match="does not exist"):
        build_index(tmp_path / "vanished", db, embedder=fake_embedder)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(UserError, match="no pages"):
        build_index(empty, db, embedder=fake_embedder)
    assert (db / LIVE).read_text() == gen and verify_index(db, small_corpus)["ok"]


def test_disk_full_is_one_clear_line_and_the_old_index_stays(small_corpus, tmp_path, fake_embedder, monkeypatch):
    db = tmp_path / "db"
    build_index(small_corpus, db, embedder=fake_embedder)
    gen = (db / LIVE).read_text()
    write_page(small_corpus, "d.txt", "Something new to index about employee advocacy.")

    def full(*a, **k):
        raise OSError(errno.ENOSPC, "No space left on device")

    def sqlite_full(*a, **k):  # SQLite says it in words
        raise sqlite3.OperationalError("database or disk is full")

    for where, fail in (("index.store.lexical.LexicalBuilder.finish", full),
                        ("index.store.records.StoreWriter.finish", sqlite_full)):
        monkeypatch.setattr(where, fail)
        with pytest.raises(UserError, match="disk full.*previous index is still live"):
            build_index(small_corpus, db, embedder=fake_embedder)
        assert (db / LIVE).read_text() == gen and verify_index(db)["ok"]
        monkeypatch.undo()
    rep = build_index(small_corpus, db, embedder=fake_embedder)
    assert rep.swapped and rep.embedded == 0  # the failed build's vectors were kept in the cache and collection


def test_a_build_that_fails_midway_leaves_the_old_index_live(small_corpus, tmp_path):
    db = tmp_path / "db"
    build_index(small_corpus, db, embedder=FakeEmbedder())
    gen = (db / LIVE).read_text()

    class Broken(FakeEmbedder):
        def embed(self, texts):
            raise RuntimeError("model crashed")

    write_page(small_corpus, "d.txt", "Brand-new text that needs embedding.")
    with pytest.raises(RuntimeError):
        build_index(small_corpus, db, embedder=Broken())
    assert (db / LIVE).read_text() == gen
    assert LiveIndex.open(db).lexical("LinkedIn", 1)


KILL_SCRIPT = """
import sys, time
from pathlib import Path
from index.build import build_index
from tests.conftest import FakeEmbedder
corpus, db, stage, marker = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3], Path(sys.argv[4])
def progress(s, done, total):
    if s == stage:
        marker.write_text("reached")
        time.sleep(120)
build_index(corpus, db, embedder=FakeEmbedder(), progress=progress)
"""


@pytest.mark.parametrize("stage", ["embed", "store", "write"])
def test_sigkill_during_build_keeps_the_old_index_live(stage, chroma_mode, small_corpus, tmp_path):
    db, emb = tmp_path / "db", FakeEmbedder()
    build_index(small_corpus, db, embedder=emb)
    before = LiveIndex.open(db)
    old_ids = {c.chunk_id for c in before.chunks()}
    for i in range(30):
        write_page(small_corpus, f"more{i}.txt", f"Extra page {i}: our agency tried blogging for clients in {i}.")
    marker = tmp_path / "marker"
    proc = subprocess.Popen([sys.executable, "-c", KILL_SCRIPT, str(small_corpus), str(db), stage, str(marker)],
                            cwd=ROOT, env=os.environ.copy())
    deadline = time.monotonic() + 60
    while not marker.exists():
        assert proc.poll() is None, "the build ended before reaching the stage"
        assert time.monotonic() < deadline
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)

    live = LiveIndex.open(db)
    assert live.generation == before.generation
    assert {c.chunk_id for c in live.chunks()} == old_ids
    hits = live.dense(emb.embed_query("compliance policy legal risk"), 3)
    assert hits and all(c.chunk_id in old_ids for c, _ in hits)
    assert verify_index(db)["ok"]
    if stage == "store":  # the killed build left vectors in the collection that no generation uses
        assert set(all_ids(_Coll(live))) - old_ids

    rep = build_index(small_corpus, db, embedder=emb)  # the next build finishes the job and cleans up
    assert rep.swapped and rep.added == 30
    new = LiveIndex.open(db)
    new_ids = {c.chunk_id for c in new.chunks()}
    assert set(all_ids(_Coll(new))) == new_ids | old_ids  # previous generation kept, orphans gone
    assert [d.name for d in generation_dirs(db)] == [before.generation, new.generation]
    assert verify_index(db, small_corpus)["ok"]


def test_verify_detects_missing_vectors_and_a_changed_corpus(small_corpus, tmp_path, fake_embedder):
    db = tmp_path / "db"
    build_index(small_corpus, db, embedder=fake_embedder)
    assert verify_index(db, small_corpus)["ok"]
    live = LiveIndex.open(db)
    live.collection().delete(ids=[live.chunks()[0].chunk_id])
    write_page(small_corpus, "d.txt", "A page added after the build.")
    res = verify_index(db, small_corpus)
    failed = {name for name, ok, _ in res["checks"] if not ok}
    assert not res["ok"] and failed == {"vectors", "corpus"}


def test_cli_build_status_verify(small_corpus, tmp_path, monkeypatch, capsys):
    from bot.cli import main

    fake = FakeEmbedder()
    monkeypatch.setattr("index.embedding.model_identity", lambda settings: fake.name)
    monkeypatch.setattr("index.embedding.get_embedder", lambda settings=None: fake)
    db = tmp_path / "db"
    args = ["index", "build", "--corpus", str(small_corpus), "--db", str(db)]
    assert main([*args, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert {k: out[k] for k in ("added", "updated", "removed", "unchanged", "embedded")} == {
        "added": 3, "updated": 0, "removed": 0, "unchanged": 0, "embedded": out["chunks"]}
    assert isinstance(out["seconds"], float)
    assert main(args) == 0
    assert "unchanged 3; embedded 0" in capsys.readouterr().out
    assert main(["index", "status", "--db", str(db), "--json"]) == 0
    st = json.loads(capsys.readouterr().out)
    assert st["model"] == fake.name and st["counts"]["records"] == 3 and len(st["corpus_files"]) == 3
    assert main(["index", "verify", "--db", str(db), "--corpus", str(small_corpus)]) == 0
    assert "index verified" in capsys.readouterr().out
    assert main(["index", "status", "--db", str(tmp_path / "none")]) == 2
    assert "no index in" in capsys.readouterr().err
    assert main(["index", "build", "--corpus", str(tmp_path / "gone"), "--db", str(db)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "does not exist" in err


# --- integration: the real model and embedded Chroma on the shipped corpus --------------------------------------


@pytest.mark.integration
def test_real_build_of_the_shipped_corpus_and_a_fast_noop_rebuild(real_embedder, tmp_path):
    db = tmp_path / "db"
    first = build_index(SHIPPED_CORPUS, db, embedder=real_embedder)
    assert first.swapped and first.embedded > 0 and first.chunks >= first.added
    second = build_index(SHIPPED_CORPUS, db, embedder=real_embedder)
    assert second.embedded == 0 and not second.swapped
    assert second.seconds < 0.5 * first.seconds, (second.seconds, first.seconds)
    res = verify_index(db, SHIPPED_CORPUS)
    assert res["ok"], res
    live = LiveIndex.open(db)
    assert live.manifest["model"] == real_embedder.name and live.manifest["dim"] == 384
    assert max(real_embedder.count_tokens(c.text) for c in live.chunks()) <= real_embedder.max_seq_length - 2
    hits = live.dense(real_embedder.embed_query("Which industries would not benefit from social media?"), 3)
    assert hits and hits[0][1] > 0.3


def test_verify_detects_a_vector_that_is_not_its_texts_embedding(small_corpus, tmp_path, fake_embedder):
    """Chroma holds ids and vectors only; verify compares each vector with the cached embedding of its text."""
    db = tmp_path / "db"
    build_index(small_corpus, db, embedder=fake_embedder)
    live = LiveIndex.open(db)
    c = live.chunks()[0]
    live.collection().upsert(ids=[c.chunk_id], embeddings=[fake_embedder.embed_query("something else entirely")])
    res = verify_index(db, small_corpus)
    assert {name for name, ok, _ in res["checks"] if not ok} == {"texts"}
    rep = build_index(small_corpus, db, embedder=fake_embedder, full=True)  # what verify's FAIL line advises
    assert rep.embedded == rep.chunks and verify_index(db, small_corpus)["ok"]


def test_a_corpus_streams_through_the_build_in_batches(fake_corpus, tmp_path, monkeypatch):
    """More chunks than one Chroma write takes: several batches, every vector stored once, counts right."""
    corpus, pages = fake_corpus
    monkeypatch.setattr("index.store.chroma.write_batch_size", lambda client: 7)
    monkeypatch.setattr("index.build.write_batch_size", lambda client: 7)
    pages["p.txt"] = [R("p1", None, "The post.")] + [R("p1", f"c{i}", f"Comment number {i} on blogging.")
                                                    for i in range(40)]
    db, emb = tmp_path / "db", FakeEmbedder()
    rep = build_index(corpus, db, embedder=emb)
    assert rep.chunks == 41 and rep.embedded == 41 and rep.added == 41
    live = LiveIndex.open(db)
    assert [c.comment_id for c in live.chunks()] == [None] + [f"c{i}" for i in range(40)]
    assert len(all_ids(_Coll(live))) == 41 and verify_index(db)["ok"]
    pages["p.txt"] = pages["p.txt"][:30]
    rep = build_index(corpus, db, embedder=emb)
    assert (rep.removed, rep.unchanged, rep.embedded) == (11, 30, 0)


def test_topics_of_a_large_corpus_come_from_a_stable_sample(fake_corpus, tmp_path, monkeypatch):
    """Beyond TOPICS_SAMPLE records, topics are derived from the records whose keys hash lowest: the same ones
    every build, and a new record only displaces one that hashes higher (the build's memory stays flat)."""
    from index.build import _topic_sample
    from index.topics import load_topics

    corpus, pages = fake_corpus
    monkeypatch.setattr("index.build.TOPICS_SAMPLE", 12)
    words = ["legal risk compliance policy", "measuring ROI leads revenue", "Twitter followers engagement"]
    pages["p.txt"] = [R("p1", None, "The post.")] + [
        R("p1", f"c{i}", f"Comment {i} about {words[i % 3]} for our clients.", author=f"A{i}") for i in range(40)]
    db = tmp_path / "db"
    build_index(corpus, db, embedder=FakeEmbedder())
    live = LiveIndex.open(db)
    members = {(m[0], m[1]) for t in load_topics(live.generation_dir) for m in t.members}
    sample = _topic_sample(live.store(), 12)
    assert len(sample) == 12 and sample == _topic_sample(live.store(), 12)
    keys = {(r.post_id, r.comment_id) for r in live.store().records_and_chunks(sample)[0]}
    assert members and members <= keys
    pages["p.txt"].append(R("p1", "c99", "Comment 99 about measuring ROI leads revenue.", author="Z"))
    build_index(corpus, db, embedder=FakeEmbedder())
    after = {(r.post_id, r.comment_id) for r in LiveIndex.open(db).store().records_and_chunks(
        _topic_sample(LiveIndex.open(db).store(), 12))[0]}
    assert len(keys - after) <= 1 and len(after - keys) <= 1


def test_the_store_keeps_every_field_of_a_record(fake_corpus, tmp_path):
    """Records come back from the generation's store exactly as read, fields the reader added included."""
    from dataclasses import replace

    corpus, pages = fake_corpus
    reply = replace(R("p1", "c2", "A reply to the first comment."), parent_id="c1", line=7, post_url="https://x.y/p1",
                    author_source="export")
    pages["p.txt"] = [R("p1", None, "The post."), R("p1", "c1", "First comment."), reply]
    build_index(corpus, tmp_path / "db", embedder=FakeEmbedder())
    live = LiveIndex.open(tmp_path / "db")
    assert live.records() == pages["p.txt"] and live.record("p1", "c2").parent_id == "c1"
