"""Probes run in fresh interpreters by test_faults.py, so that a crash (even a segfault in a native library) or a
kill never takes the test process with it:

    python -m tests.reliability.probes build CORPUS DB POINT MARKER [--full]   a build that stops at POINT
    python -m tests.reliability.probes after CORPUS_OLD CORPUS_NEW DB          the next start after a kill
    python -m tests.reliability.probes serve CORPUS DB                         what serving reads, and verify
    python -m tests.reliability.probes rebuild CORPUS DB                       `adoptbot index build` (fake model)
    python -m tests.reliability.probes damage CORPUS DB PATTERN AWAY            serve a damaged folder, follow the
                                                                                advice it gets, rebuild, serve again
    python -m tests.reliability.probes reindex-rss CORPUS DB N [COMMENTS] [--real]
                                                                                N in-process reindexes through the
                                                                                bot's Answers, asking between them;
                                                                                RSS after each (MB), as JSON

`build` writes MARKER when it reaches POINT and then sleeps until it is killed. Points:
  start     just before build_index (the test kills it after a delay: anywhere in the build)
  embed     inside the third embedding call (some vectors already in the embedding cache)
  store     after half of the new vectors went into Chroma
  bm25      generation folder half written: records and chunks, no lexical index and no manifest yet
  topics    generation complete with its manifest, not live yet
  swap      the new LIVE pointer written to its temporary file, not renamed yet
  prune     the new generation is live; the old one and orphan vectors not pruned yet
`after` and `serve` print one JSON object.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

from tests.conftest import FakeEmbedder

POINTS = ("embed", "store", "bm25", "topics", "swap", "prune")


def _reached(marker: Path) -> None:
    marker.write_text("reached")
    while True:  # wait for SIGKILL
        time.sleep(1)


def build(corpus: Path, db: Path, point: str, marker: Path, full: bool) -> None:
    import chromadb.api.models.Collection as chroma_collection

    import index.build as B
    import index.topics
    from index.settings import EmbedSettings

    class SlowEmbedder(FakeEmbedder):
        def embed(self, texts: list[str]) -> Any:
            out = super().embed(texts)
            self.n = getattr(self, "n", 0) + 1
            if point == "embed" and self.n == 3:
                _reached(marker)
            return out

    emb = SlowEmbedder(delay=0.05 if point == "start" else 0.0)
    if point == "store":
        for write in ("add", "upsert"):  # new vectors are added; a --full build replaces them
            original = getattr(chroma_collection.Collection, write)

            def half_then_stop(self: Any, ids: list[str], original: Any = original, **kw: Any) -> Any:
                half = max(1, len(ids) // 2)
                original(self, ids=ids[:half], **{k: v[:half] for k, v in kw.items()})
                _reached(marker)

            setattr(chroma_collection.Collection, write, half_then_stop)
    elif point == "bm25":
        B.LexicalBuilder.finish = lambda *a, **k: _reached(marker)
    elif point == "topics":
        index.topics.derive_topics = lambda *a, **k: _reached(marker)
    elif point == "swap":
        original_write = B.write_atomic

        def write_atomic(path: Path, data: str) -> None:
            if path.name == B.LIVE:
                tmp = path.with_name(f".{path.name}.{__import__('os').getpid()}.tmp")
                tmp.write_text(data)
                _reached(marker)
            original_write(path, data)

        B.write_atomic = write_atomic
    elif point == "prune":
        B._prune = lambda *a, **k: _reached(marker)
    elif point == "start":
        marker.write_text("started")
    B.build_index(corpus, db, embedder=emb, full=full, embed_settings=EmbedSettings(batch_size=4))
    marker.write_text("finished")


def after(corpus_old: Path, corpus_new: Path, db: Path) -> dict[str, Any]:
    """The next start on `db`: serve, verify, inspect the leftovers; then the next build, and inspect again."""
    import contextlib
    import io

    from bot.cli import main as cli
    from index.build import build_index
    from index.retrieval import Answerer
    from index.store import LIVE, STORE_FILE, GenerationStore, LiveIndex, all_ids, generation_dirs, read_manifest

    emb = FakeEmbedder()

    def state() -> dict[str, Any]:
        live = LiveIndex.open(db)
        kept = [d.name for d in generation_dirs(db)]
        ids: set[str] = set()
        for name in kept:
            try:
                read_manifest(db / "generations" / name)
                ids.update(c.chunk_id for c in GenerationStore(db / "generations" / name / STORE_FILE).iter_chunks())
            except Exception:
                pass
        stored = set(all_ids(live.collection()))
        return {"generation": live.generation, "generations": kept,
                "tmp_files": sorted(p.name for p in db.glob(f".{LIVE}*")),
                "orphan_vectors": len(stored - ids), "missing_vectors": len({c.chunk_id for c in live.chunks()}
                                                                            - stored)}

    def verify(corpus: Path) -> tuple[int, str]:
        out = io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
            rc = cli(["index", "verify", "--db", str(db), "--corpus", str(corpus)])
        return rc, out.getvalue()

    res: dict[str, Any] = {"start": state()}
    answerer = Answerer(LiveIndex.open(db), emb)
    ans = answerer.ask("How do I prove the ROI of social media?")
    res["answered"] = ans.answered and bool(ans.quotes)
    res["verify_old"], res["verify_new"] = verify(corpus_old), verify(corpus_new)
    rep = build_index(corpus_new, db, embedder=emb)
    res["rebuild"] = {"swapped": rep.swapped, "generation": rep.generation}
    res["end"] = state()
    res["verify_end"] = verify(corpus_new)
    from index.store import build_lock

    with build_lock(db):  # free: the killed writer's lock went with it
        res["lock_free"] = True
    return res


QUESTIONS = ["How do I prove the ROI of social media?", "legal risk of employees blogging",
             "Is Twitter worth it for B2B?"]


def serve(corpus: Path, db: Path) -> dict[str, Any]:
    """Everything the running bot reads from the data folder (its start-up, a question, /topic, /author, /about,
    Full comment, its own state), then `adoptbot index verify`. A UserError is the expected way to fail (it is
    what the user or operator reads); anything else propagates and shows as a traceback."""
    import contextlib
    import io

    from bot.cli import main as cli
    from bot.health import check_index
    from bot.state import BotState
    from index.errors import UserError
    from index.retrieval import Answerer
    from index.store import LiveIndex

    out: dict[str, Any] = {}
    try:
        answerer = Answerer(LiveIndex.open(db), FakeEmbedder())
        emb = answerer.embedder
        got: dict[str, Any] = {"answered": [], "dense_exact": []}
        ids, vecs = answerer.index.vectors()  # the stored vectors (not the ANN index): the exact neighbours
        for q in QUESTIONS:
            got["answered"].append(answerer.ask(q).answered)
            qv = emb.embed_query(q)
            dense = [round(s, 4) for _, s in answerer.index.dense(qv, 10)]
            exact = [round(float(s), 4) for s in sorted(vecs @ qv, reverse=True)[:10]]
            got["dense_exact"].append(dense == exact)  # scores, not ids: the fake embedder makes ties
        from index.lookup import Lookup

        lookup = Lookup(answerer)
        got["topics"] = sorted(t.key for t in lookup.topics())
        got["authors"] = lookup.authors()[:10]
        got["about"] = lookup.about()
        rec = answerer.full_text(answerer.index.chunks()[0].post_id, None)
        got["full"] = rec.text[:200] if rec else None
        state = BotState(db / "bot.sqlite3")
        got["feedback"] = [[r["vote"], r["question"]] for r in state.feedback_rows()]
        state.close()
        out["startup"] = {"ok": True, "answers": got}
    except UserError as e:
        out["startup"] = {"ok": False, "error": str(e)}
    out["health"] = check_index(db)
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf), contextlib.redirect_stderr(buf):
        rc = cli(["index", "verify", "--db", str(db), "--corpus", str(corpus)])
    out["verify"] = [rc, buf.getvalue()]
    return out


def rebuild(corpus: Path, db: Path) -> dict[str, Any]:
    """What `adoptbot index build` does, with the fake embedder the index was built with."""
    from index.build import build_index
    from index.errors import UserError

    try:
        rep = build_index(corpus, db, embedder=FakeEmbedder())
    except UserError as e:
        return {"ok": False, "error": str(e)}
    return {"ok": True, "swapped": rep.swapped, "warnings": rep.warnings}


REPAIR_WORDS = ("adoptbot index build", "move it away", "delete it")


def damage(corpus: Path, db: Path, pattern: str, away: Path) -> dict[str, Any]:
    """Serve a damaged data folder; do what the message says (move the file, or its Chroma folder, away; then
    `adoptbot index build`), following the build's own message once more if it finds damage too; serve again."""
    from index.store import reset_embedded_clients

    res: dict[str, Any] = {"damaged": serve(corpus, db)}
    d = res["damaged"]
    message = d["startup"].get("error") or (d["verify"][1] if d["verify"][0] else "")
    actions: list[str] = []
    built: dict[str, Any] = {"ok": True}
    if not message:  # nothing noticed it: nothing to follow (the test checks it was really harmless)
        res["repair"], res["after"] = {"actions": actions, "build": built}, d
        return res
    for _ in range(2):
        if "move it away" in message or "delete it" in message:
            (target,) = db.glob(pattern)
            moved = target.parent if target.parent.name == "chroma" else target
            moved.rename(away)
            actions.append(f"moved {moved.relative_to(db)} away")
        reset_embedded_clients()  # what a new process would see
        built = rebuild(corpus, db)
        actions.append("index build")
        if built["ok"]:
            break
        message = built["error"]
        if not any(w in message for w in REPAIR_WORDS):
            break
    res["repair"] = {"actions": actions, "build": built}
    reset_embedded_clients()
    res["after"] = serve(corpus, db)
    return res


def reindex_rss(corpus: Path, db: Path, n: int, comments: int = 0, real: bool = False) -> dict[str, Any]:
    """What a bot that reindexes often does to its memory: the bot's Answers (real Answerer, LiveIndex, build,
    embedded Chroma; the fake embedder, or the real model with `real`), one page (plus an export of `comments`
    comments never seen before) added then removed by turns, questions between reindexes."""
    import gc
    import os

    from bot.service import Answers
    from index.build import build_index
    from index.retrieval import Answerer
    from index.store import LiveIndex

    def rss() -> float:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20

    if real:
        from index.embedding import get_embedder

        emb = get_embedder()
    else:
        emb = FakeEmbedder()
    build_index(corpus, db, embedder=emb)
    answers = Answers(Answerer(LiveIndex.open(db), emb), corpus_dir=corpus, db_dir=db,
                      builder=lambda c, d, **kw: build_index(c, d, embedder=emb, **kw))
    extra = corpus / "zz-reindex-rss.txt"
    out: list[float] = []
    quoted = 0
    for i in range(n):
        if i % 2 == 0:
            extra.write_text(f"A post number {i}.\n\nJohn says:\nWe measured the ROI of Twitter number {i} with the "
                             "leads it brought, and it paid for itself within a year.\n", encoding="utf-8")
            if comments:
                from bench.soak import extra_export

                extra_export(corpus, comments, 1000 + i)
        else:
            extra.unlink()
            if comments:  # imported only then: bench.soak brings discord.py, which would count as growth here
                from bench.soak import EXTRA_EXPORT

                (corpus / EXTRA_EXPORT).unlink(missing_ok=True)
        report = answers.reindex()
        assert report.swapped, report
        for q in ("How do I prove ROI?", "Is social media worth it for B2B?", "legal risk"):
            quoted += len(answers.ask(q).quotes)
        gc.collect()
        out.append(round(rss(), 1))
    return {"rss_mb": out, "quotes": quoted}


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "build":
        build(Path(sys.argv[2]), Path(sys.argv[3]), sys.argv[4], Path(sys.argv[5]), "--full" in sys.argv)
    elif cmd == "after":
        print(json.dumps(after(Path(sys.argv[2]), Path(sys.argv[3]), Path(sys.argv[4]))))
    elif cmd == "serve":
        print(json.dumps(serve(Path(sys.argv[2]), Path(sys.argv[3]))))
    elif cmd == "damage":
        print(json.dumps(damage(Path(sys.argv[2]), Path(sys.argv[3]), sys.argv[4], Path(sys.argv[5]))))
    elif cmd == "reindex-rss":
        rest = [a for a in sys.argv[5:] if a != "--real"]
        print(json.dumps(reindex_rss(Path(sys.argv[2]), Path(sys.argv[3]), int(sys.argv[4]),
                                     int(rest[0]) if rest else 0, "--real" in sys.argv)))
    elif cmd == "rebuild":
        print(json.dumps(rebuild(Path(sys.argv[2]), Path(sys.argv[3]))))
    else:
        raise SystemExit(f"unknown command {cmd}")
