"""A bot pointed at a Chroma server that holds no vectors (new, or its volume lost) must not look healthy."""

from __future__ import annotations

from bot.health import check_index
from bot.service import ensure_index, index_is_live
from index.build import build_index
from index.store import LiveIndex, chroma_client


def test_empty_server_is_unhealthy_and_start_up_rebuilds_it(small_corpus, tmp_path, fake_embedder, chroma_server,
                                                             monkeypatch):
    monkeypatch.setenv("CHROMA_HOST", chroma_server["host"])
    monkeypatch.setenv("CHROMA_PORT", str(chroma_server["port"]))
    db = tmp_path / "db"
    build_index(small_corpus, db, embedder=fake_embedder)
    assert check_index(db) is None and index_is_live(db)

    live = LiveIndex.open(db)
    chroma_client(db).delete_collection(live.manifest["collection"])  # the server lost its volume

    problem = check_index(db)
    assert problem and "holds no vectors" in problem and "adoptbot index build" in problem
    assert not index_is_live(db)

    built = ensure_index(small_corpus, db, builder=lambda c, d: build_index(c, d, embedder=fake_embedder))
    assert built and check_index(db) is None
    hits = LiveIndex.open(db).dense(fake_embedder.embed_query("legal risk compliance"), 1)
    assert "compliance" in hits[0][0].text


def test_a_build_from_another_process_goes_live_in_the_running_bot(small_corpus, tmp_path, fake_embedder,
                                                                   monkeypatch):
    from bot.service import Answers
    from index.retrieval import Answerer
    from tests.conftest import write_page

    monkeypatch.delenv("CHROMA_HOST", raising=False)
    db = tmp_path / "db"
    build_index(small_corpus, db, embedder=fake_embedder)
    answers = Answers(Answerer(LiveIndex.open(db), fake_embedder), corpus_dir=small_corpus, db_dir=db)
    assert answers.follow_live() is False  # nothing new: no swap
    before = answers.answerer.index.generation
    write_page(small_corpus, "d.txt", "Crowdsourcing product ideas on Facebook worked for our bakery.")
    build_index(small_corpus, db, embedder=fake_embedder)  # as `adoptbot index build` from a terminal would
    assert answers.follow_live() is True
    assert answers.answerer.index.generation != before
    assert any("bakery" in r.text for r in answers.answerer.index.records())
