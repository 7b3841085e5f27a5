"""`adoptbot index status` and `index verify` as a user meets them: what status calls corpus pages, and which corpus
verify compares with when no --corpus is given."""

from __future__ import annotations

import json
import shutil

import pytest

from bot.cli import main
from tests.conftest import FakeEmbedder, write_page


@pytest.fixture
def fake_model(monkeypatch):
    fake = FakeEmbedder()
    monkeypatch.setattr("index.embedding.model_identity", lambda settings: fake.name)
    monkeypatch.setattr("index.embedding.get_embedder", lambda settings=None: fake)
    return fake


def test_status_lists_files_that_gave_nothing_apart_with_why(small_corpus, tmp_path, fake_model, capsys):
    (small_corpus / "logo.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    (small_corpus / "empty.txt").write_bytes(b"")
    db = tmp_path / "db"
    assert main(["index", "build", "--corpus", str(small_corpus), "--db", str(db)]) == 0
    capsys.readouterr()
    assert main(["index", "status", "--db", str(db), "--json"]) == 0
    st = json.loads(capsys.readouterr().out)
    assert st["corpus_files"] == ["a.txt", "b.txt", "c.txt"]
    unread = {f["name"]: f["problem"] for f in st["unread_files"]}
    assert set(unread) == {"empty.txt", "logo.txt"}
    assert "binary" in unread["logo.txt"] and "empty" in unread["empty.txt"]
    assert main(["index", "status", "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert "3 pages from" in out and "not read  2 files gave no records" in out and "logo.txt: " in out


def test_verify_compares_with_the_corpus_the_index_was_built_from(small_corpus, tmp_path, fake_model, capsys):
    elsewhere = tmp_path / "elsewhere"  # not the configured corpus folder (the shipped one)
    shutil.copytree(small_corpus, elsewhere)
    db = tmp_path / "db"
    assert main(["index", "build", "--corpus", str(elsewhere), "--db", str(db)]) == 0
    capsys.readouterr()
    assert main(["index", "verify", "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert f"records in {elsewhere.resolve()} match the index" in out and "index verified" in out
    write_page(elsewhere, "d.txt", "A page added after the build, about employee advocacy.")
    assert main(["index", "verify", "--db", str(db)]) == 1  # it really compares with that folder
    assert "1 added" in capsys.readouterr().out
    assert main(["index", "verify", "--db", str(db), "--corpus", str(small_corpus)]) == 0  # --corpus still wins
    capsys.readouterr()
    shutil.rmtree(elsewhere)
    assert main(["index", "verify", "--db", str(db)]) == 0
    assert "skip corpus not compared: " in capsys.readouterr().out
