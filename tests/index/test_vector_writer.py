"""index/store/vector_writer.py: a build's vectors written from a second process (embedded Chroma), the same as in
process, and its failures reaching the build as one line with the live index untouched."""

from __future__ import annotations

import os
import signal

import numpy as np
import pytest

from index.build import build_index, verify_index
from index.errors import UserError
from index.settings import ChromaSettings
from index.store import LIVE, LiveIndex, chroma_client, open_collection, reset_embedded_clients
from index.store.vector_writer import ProcessWriter
from tests.conftest import FakeEmbedder
from tests.index.test_build import R, fake_corpus  # noqa: F401 - the fixture

ALWAYS = ChromaSettings(host=None, writer_process_min_mb=0)
NEVER = ChromaSettings(host=None, writer_process_min_mb=-1)


def _vectors(db):
    """Every (id, vector) of the live generation's collection, read freshly."""
    reset_embedded_clients()
    live = LiveIndex.open(db)
    coll = chroma_client(db).get_collection(live.manifest["collection"])
    got = coll.get(include=["embeddings"])
    return dict(zip(got["ids"], (np.asarray(e, dtype=np.float32) for e in got["embeddings"]), strict=True))


def _pages(pages, n=40):
    pages["p.txt"] = [R("p1", None, "The post.")] + [R("p1", f"c{i}", f"Comment number {i} on blogging.")
                                                    for i in range(n)]


def test_a_writer_process_stores_what_an_inline_write_stores(fake_corpus, tmp_path, monkeypatch):  # noqa: F811
    corpus, pages = fake_corpus
    monkeypatch.setattr("index.build.write_batch_size", lambda client: 7)  # several batches through the pipe
    _pages(pages)
    inline = build_index(corpus, tmp_path / "a", embedder=FakeEmbedder(), chroma_settings=NEVER)
    spawned = build_index(corpus, tmp_path / "b", embedder=FakeEmbedder(), chroma_settings=ALWAYS)
    assert (spawned.chunks, spawned.embedded, spawned.added) == (inline.chunks, inline.embedded, inline.added) == \
        (41, 41, 41)
    a, b = _vectors(tmp_path / "a"), _vectors(tmp_path / "b")
    assert len(b) == 41 and sorted(a) == sorted(b)
    assert all(np.allclose(a[k], b[k]) for k in a)
    assert verify_index(tmp_path / "b")["ok"]
    # and an incremental build through the process adds only what is new
    pages["p.txt"].append(R("p1", "c99", "One more comment about social media."))
    again = build_index(corpus, tmp_path / "b", embedder=FakeEmbedder(), chroma_settings=ALWAYS)
    assert (again.added, again.unchanged, again.embedded) == (1, 41, 1) and len(_vectors(tmp_path / "b")) == 42


def test_a_writer_process_that_dies_fails_the_build_and_the_live_index_keeps_serving(fake_corpus, tmp_path,  # noqa: F811
                                                                                   monkeypatch):
    corpus, pages = fake_corpus
    monkeypatch.setattr("index.build.write_batch_size", lambda client: 7)
    _pages(pages, 10)
    db = tmp_path / "db"
    build_index(corpus, db, embedder=FakeEmbedder(), chroma_settings=ALWAYS)
    live_before = (db / LIVE).read_text()
    _pages(pages, 40)  # new comments: new vectors to write
    sent = {"n": 0}
    original = ProcessWriter.add

    def add_then_kill(self, ids, vectors):
        sent["n"] += 1
        if sent["n"] == 2:
            os.kill(self._proc.pid, signal.SIGKILL)
            self._proc.join(10)
        return original(self, ids, vectors)

    monkeypatch.setattr(ProcessWriter, "add", add_then_kill)
    with pytest.raises(UserError, match="Chroma store failed"):
        build_index(corpus, db, embedder=FakeEmbedder(), chroma_settings=ALWAYS)
    assert (db / LIVE).read_text() == live_before
    assert verify_index(db)["ok"]
    monkeypatch.setattr(ProcessWriter, "add", original)
    rep = build_index(corpus, db, embedder=FakeEmbedder(), chroma_settings=ALWAYS)  # the next build repairs
    assert rep.swapped and rep.chunks == 41 and verify_index(db)["ok"]


def test_an_error_in_the_writer_process_comes_back_as_one_line(tmp_path):
    client = chroma_client(tmp_path)
    open_collection(client, "writer-test", "fake", {"max_tokens": 1}, create=True)
    w = ProcessWriter(tmp_path, "writer-test", batch=100, replace=False)
    try:
        w.add(["a", "b"], np.ones((2, 4), dtype=np.float32))
        w.add(["c"], np.ones((1, 5), dtype=np.float32))  # another dimension: Chroma refuses it
        with pytest.raises(UserError, match="Chroma store failed") as e:
            w.close()
        assert "\n" not in str(e.value)
    finally:
        w.abort()
    reset_embedded_clients()
    coll = chroma_client(tmp_path).get_collection("writer-test")
    assert sorted(coll.get(include=[])["ids"]) == ["a", "b"]  # what came before the error is written


def test_a_small_corpus_is_written_in_process(fake_corpus, tmp_path, monkeypatch):  # noqa: F811
    """A second process costs a Chroma import (~1.5 s): by default only a large corpus pays it."""
    corpus, pages = fake_corpus
    _pages(pages, 5)

    def refuse(*a, **k):
        raise AssertionError("a writer process for a corpus of a few KB")

    monkeypatch.setattr(ProcessWriter, "__init__", refuse)
    rep = build_index(corpus, tmp_path / "db", embedder=FakeEmbedder(), chroma_settings=ChromaSettings(host=None))
    assert rep.swapped and rep.chunks == 6


def _children(pid: int) -> list[int]:
    out = []
    for tid in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{tid}/children") as f:
            out += [int(c) for c in f.read().split()]
    return out


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/status") as f:
            return not any(line.startswith("State:") and "Z" in line.split()[1] for line in f)
    except OSError:
        return False


def test_a_build_killed_outright_takes_its_writer_process_with_it(tmp_path):
    """SIGKILL of the build: its writer must not go on adding vectors beside the next build (it dies at once)."""
    import shutil
    import subprocess
    import sys
    import time

    from tests.conftest import ROOT
    from tests.reliability.test_faults import sigkill, wait_marker

    corpus = tmp_path / "corpus"
    shutil.copytree(ROOT / "corpus", corpus)
    db, marker = tmp_path / "data", tmp_path / "marker"
    env = {**os.environ, "CHROMA_WRITER_PROCESS_MIN_MB": "0"}  # the reliability tests' probe, with a writer
    proc = subprocess.Popen([sys.executable, "-m", "tests.reliability.probes", "build", str(corpus), str(db), "embed",
                             str(marker)], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            env=env)
    wait_marker(proc, marker, "reached")
    writers = []
    for c in _children(proc.pid):
        with open(f"/proc/{c}/cmdline", "rb") as f:
            if b"spawn_main" in f.read():
                writers.append(c)
    assert writers, "the build runs no writer process"
    sigkill(proc)
    deadline = time.monotonic() + 10
    while any(_alive(w) for w in writers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(_alive(w) for w in writers)
    rep = build_index(corpus, db, embedder=FakeEmbedder(), chroma_settings=ALWAYS)  # and the next build is whole
    assert rep.swapped and verify_index(db, corpus)["ok"]
