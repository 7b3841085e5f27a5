"""One bot process of tests/bot/test_shared_store.py: the bot's Answers over a live index on a Chroma server
(CHROMA_HOST in the environment), following new generations as the bot's core cog does (`follow_live` on a timer),
driven by lines on stdin:

    ask QUESTION    -> {"generation", "answered", "texts"}
    build           -> the bot's in-process reindex (as /reindex runs it) -> {"generation", "swapped"}
    gen             -> {"generation"}

    python -m tests.bot.shared_store_proc CORPUS DB FOLLOW_EVERY_S
"""

from __future__ import annotations

import json
import sys
import threading
from pathlib import Path


def main() -> None:
    from bot.service import Answers
    from index.build import build_index
    from index.lookup import Lookup
    from index.retrieval import Answerer
    from index.store import LiveIndex
    from tests.conftest import FakeEmbedder

    corpus, db, every = Path(sys.argv[1]), Path(sys.argv[2]), float(sys.argv[3])
    emb = FakeEmbedder()
    answers = Answers(Lookup(Answerer(LiveIndex.open(db), emb)), corpus_dir=corpus, db_dir=db,
                      builder=lambda c, d, **kw: build_index(c, d, embedder=FakeEmbedder(), **kw))
    stop = threading.Event()

    def follow() -> None:  # bot/cogs/core.py: follow_index
        while not stop.wait(every):
            answers.follow_live()

    threading.Thread(target=follow, daemon=True).start()
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        cmd, _, arg = line.strip().partition(" ")
        if cmd == "ask":
            a = answers.ask(arg, k=3)
            out = {"answered": a.answered, "texts": [q.text for q in a.quotes]}
        elif cmd == "build":
            rep = answers.reindex()
            out = {"swapped": rep.swapped}
        elif cmd != "gen":
            out = {"error": f"unknown command {cmd}"}
        else:
            out = {}
        out["generation"] = answers.answerer.index.generation
        print(json.dumps(out), flush=True)
    stop.set()
    answers.close()


if __name__ == "__main__":
    main()
