"""Answers: hybrid retrieval over the live index, one verbatim quote per comment, diversity, honest refusal.

The Answerer holds the model and the index once per process (a question costs one query embedding, one dense and
one BM25 search, and small numpy/dict work), so the CLI's batch mode and the bot answer in tens of milliseconds.
Ranking is at the level of records (a comment or a post), not chunks: a comment is one voice and gives one quote.
"""

from __future__ import annotations

import logging
import math
import re
import sys
import threading
import time
from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from index.fusion import best_per_key, rrf, weighted_sum
from index.models import Answer, Chunk, Quote, Record
from index.names import name_key
from index.quotes import GENERIC, STOPWORDS, content_terms, cut_quote, stem
from index.settings import RetrievalSettings
from index.topics import load_subject

if TYPE_CHECKING:
    from index.embedding import Embedder
    from index.store import LiveIndex

log = logging.getLogger(__name__)

MODES = ("hybrid", "dense", "bm25")
RecKey = tuple[str, "str | None"]

# Refusal thresholds on the best dense cosine, calibrated on dev + held-out questions (docs/retrieval.md):
# above ACCEPT_COS a question is on-topic whatever its words; between REJECT_COS and ACCEPT_COS it must also
# share specific (non-generic) content words with one retrieved record; below REJECT_COS it is refused.
ACCEPT_COS = 0.45
REJECT_COS = 0.28
MIN_COVERAGE = 0.25
# Whatever the nearest record, a question pointing away from the corpus' subject (the mean of its record vectors,
# saved at build time) is refused: a cooking question stays off-topic even if one comment mentions bread.
# Dev + held-out: off-topic questions from -0.13, on-topic ones from +0.09.
SUBJECT_MIN = 0.0
GENERIC_WEIGHT = 0.25  # share of its idf a corpus-generic word ("social", "media", "business") keeps



@dataclass
class _Candidate:
    key: RecKey
    score: float
    chunk: Chunk


def _rec_key(c: Chunk) -> RecKey:
    return (c.post_id, c.comment_id)


class Answerer:
    """Ranks and quotes the records that answer a question, from one live index with one loaded model.

    Look-ups by topic or person and paging for the front ends are in index/lookup.py, which calls this."""

    def __init__(
        self,
        index: LiveIndex,
        embedder: Embedder,
        settings: RetrievalSettings | None = None,
        *,
        fusion: str | None = None,
        rrf_k: float = 60.0,
        dense_weight: float = 1.0,
        lexical_weight: float = 1.0,
        stem_weight: float = 1.0,
        candidates: int | None = None,
        max_chars: int | None = None,
    ) -> None:
        self.index = index
        self.embedder = embedder
        self.settings = settings or RetrievalSettings()
        self.fusion = fusion or self.settings.fusion
        if self.fusion not in ("weighted", "rrf"):
            from index.errors import UserError

            raise UserError(f"unknown fusion {self.fusion!r} (ADOPTBOT_RETRIEVAL_FUSION): use weighted or rrf")
        self.rrf_k = rrf_k
        self.dense_weight = dense_weight
        self.lexical_weight = lexical_weight
        self.stem_weight = stem_weight
        self.candidates = candidates or self.settings.candidates
        self.max_chars = max_chars or self.settings.max_quote_chars
        self._lock = threading.Lock()
        self._load_state()

    @classmethod
    def open(cls, db_dir: Path | str, settings: RetrievalSettings | None = None, **kw: Any) -> Answerer:
        """Open the live index and load the model once (raises IndexMissing when nothing is built)."""
        from index.embedding import get_embedder
        from index.store import LiveIndex

        settings = settings or RetrievalSettings()
        index = LiveIndex.open(Path(db_dir))
        embedder = get_embedder()
        limit_query_threads(settings)
        answerer = cls(index, embedder, settings, **kw)
        answerer.warm()
        return answerer

    def warm(self) -> None:
        """Pay the one-off costs (BM25 load, Chroma open, first model call) now, not in a user's first answer."""
        t = time.perf_counter()
        self.ask("how do businesses use social media", k=1)
        log.info("answerer warm in %.0f ms", (time.perf_counter() - t) * 1000)

    # -- state derived from the live snapshot ---------------------------------------------------------------
    def _load_state(self) -> None:
        """Per-snapshot tables: records by key, term document frequencies (for idf)."""
        records = self.index.records()
        by_key = {(r.post_id, r.comment_id): r for r in records}
        df_words: Counter[str] = Counter()
        for r in records:
            df_words.update(set(re.findall(r"[a-z0-9][a-z0-9'’\-]*", r.text.lower())))
        df: Counter[str] = Counter()
        stems: dict[str, str] = {}
        for w, n in df_words.items():
            s = stems.setdefault(w, stem(w))
            df[s] += n  # an overcount when two surface forms share a record; harmless for a weight
        with self._lock:
            self._records = by_key
            self._df = df
            self._n = max(1, len(records))
            gen = getattr(self.index, "generation_dir", None)
            self._subject = load_subject(Path(gen)) if gen is not None else None
            self._term_cache: dict[RecKey, frozenset[str]] = {}

    def refresh(self) -> bool:
        """Pick up a newer generation of the index (after /reindex) without reloading the model."""
        changed = bool(self.index.refresh())
        if changed:
            self._load_state()
        return changed

    # -- weights and evidence --------------------------------------------------------------------------------
    def idf(self, term: str) -> float:
        df = self._df.get(term, 0)
        return math.log(1.0 + (self._n - df + 0.5) / (df + 0.5))

    def query_weights(self, question: str) -> dict[str, float]:
        """idf weight of each content stem of the question; corpus-generic words count only a little."""
        out: dict[str, float] = {}
        for w in re.findall(r"[A-Za-z0-9][A-Za-z0-9'’\-]*", question):
            lw = w.lower().replace("’", "'")
            if lw in STOPWORDS or len(lw) < 2:
                continue
            s = stem(lw)
            if s in STOPWORDS or s in out:
                continue
            out[s] = self.idf(s) * (GENERIC_WEIGHT if (lw in GENERIC or s in GENERIC) else 1.0)
        return out

    def _terms(self, key: RecKey) -> frozenset[str]:
        """A record's content stems, memoised (bounded) because the same popular records come back often."""
        got = self._term_cache.get(key)
        if got is None:
            r = self._records.get(key)
            got = frozenset(content_terms(r.text)) if r is not None else frozenset()
            if len(self._term_cache) > 50_000:
                self._term_cache.clear()
            self._term_cache[key] = got
        return got

    def coverages(self, weights: dict[str, float], keys: Sequence[RecKey]) -> dict[RecKey, float]:
        """Share of the question's content weight each record contains (stemmed, so "tweets" meets "tweeting")."""
        total = sum(weights.values())
        if total <= 0:
            return {k: 0.0 for k in keys}
        out = {}
        for key in keys:
            terms = self._terms(key)
            out[key] = sum(w for t, w in weights.items() if t in terms) / total
        return out

    def coverage(self, weights: dict[str, float], keys: Sequence[RecKey]) -> float:
        """Best share of the question's content weight that one candidate record contains: lexical evidence
        that the corpus speaks about what was asked, not just about the same general subject."""
        return max(self.coverages(weights, keys).values(), default=0.0)

    def decide(self, top_cos: float, coverage: float, subject_cos: float | None = None) -> bool:
        """On-topic or not: a confident semantic match, or a middling one backed by shared specific words; never
        a question that points away from what the corpus is about."""
        if subject_cos is not None and subject_cos < SUBJECT_MIN:
            return False
        if top_cos >= ACCEPT_COS:
            return True
        return top_cos >= REJECT_COS and coverage >= MIN_COVERAGE

    # -- ranking ---------------------------------------------------------------------------------------------
    def _rank(
        self, dense: list[tuple[Chunk, float]], lexical: list[tuple[Chunk, float]], mode: str,
        weights: dict[str, float] | None = None,
    ) -> list[_Candidate]:
        dchunk: dict[RecKey, Chunk] = {}
        for c, _ in dense:
            dchunk.setdefault(_rec_key(c), c)
        lchunk: dict[RecKey, Chunk] = {}
        for c, _ in lexical:
            lchunk.setdefault(_rec_key(c), c)
        dscore = best_per_key([(_rec_key(c), s) for c, s in dense])
        lscore = best_per_key([(_rec_key(c), s) for c, s in lexical])
        if mode == "dense":
            fused = sorted(dscore.items(), key=lambda kv: -kv[1])
        elif mode == "bm25":
            fused = sorted(((k, s) for k, s in lscore.items() if s > 0), key=lambda kv: -kv[1])
        else:
            lists = [dscore, {k: s for k, s in lscore.items() if s > 0}]
            ws = [self.dense_weight, self.lexical_weight]
            if self.stem_weight > 0 and weights:
                cov = self.coverages(weights, list(dict.fromkeys([*dscore, *lscore])))
                lists.append({k: v for k, v in cov.items() if v > 0})
                ws.append(self.stem_weight)
            if self.fusion == "rrf":
                orders = [sorted(sc, key=lambda k, sc=sc: -sc[k]) for sc in lists]
                fused = rrf(orders, k=self.rrf_k, weights=ws)
            else:
                fused = weighted_sum(lists, ws, floors=[0.0] * len(lists))
        return [_Candidate(k, s, dchunk.get(k) or lchunk[k]) for k, s in fused]

    def _diversify(self, ranked: list[_Candidate], k: int, pages: int) -> list[_Candidate]:
        """Pages of k: at most max_per_author quotes of one person per page, and more than one post per page
        when the pool has a reasonably relevant quote from another post."""
        cap = max(1, self.settings.max_per_author)
        pool = list(ranked)
        out: list[_Candidate] = []
        top = ranked[0].score if ranked else 0.0
        for _ in range(pages):
            page: list[_Candidate] = []
            count: Counter[str] = Counter()
            rest: list[_Candidate] = []
            for c in pool:
                r = self._records.get(c.key)
                who = name_key(r.author) if r and r.author else f"anon:{c.key}"
                if len(page) < k and count[who] < cap:
                    page.append(c)
                    count[who] += 1
                else:
                    rest.append(c)
            if len(page) >= 2 and len({c.key[0] for c in page}) == 1:
                other = next((c for c in rest if c.key[0] != page[0].key[0] and c.score >= 0.3 * top), None)
                if other is not None:
                    rest.remove(other)
                    rest.insert(0, page.pop())
                    page.append(other)
            out.extend(page)
            pool = rest
            if not pool:
                break
        return out

    def _quote(self, c: _Candidate, weights: dict[str, float], *, use_focus: bool = True) -> Quote | None:
        r = self._records.get(c.key)
        if r is None:  # chunk without its record: never show text we cannot attribute
            log.warning("no record for chunk %s", c.chunk.chunk_id)
            return None
        focus = (c.chunk.start, c.chunk.end) if use_focus else None
        text = cut_quote(r.text, weights, focus=focus, max_chars=self.max_chars)
        if not text:
            return None
        return Quote(text=text, author=r.author, date=r.date, post_id=r.post_id, post_title=r.post_title,
                     comment_id=r.comment_id, kind=r.kind, score=float(c.score), post_url=r.post_url,
                     chunk_id=c.chunk.chunk_id)

    def ask(self, question: str, k: int = 5, mode: str = "hybrid", offset: int = 0, *,
            exclude: Collection[RecKey] = (), force: bool = False) -> Answer:
        """Quotes answering the question, or answered=False when the corpus has nothing on it.

        `exclude`: records (post_id, comment_id) already shown, e.g. earlier in a conversation, never shown again;
        `offset` then counts in what is left. `force`: answer even where the refusal gate doubts (a topic an admin
        defined by a query vouches for its wording)."""
        return self._answer(question, k, mode, offset, exclude=frozenset(exclude), force=force)

    def _answer(self, question: str, k: int, mode: str, offset: int, *, exclude: frozenset[RecKey] = frozenset(),
                force: bool = False) -> Answer:
        if mode not in MODES:
            from index.errors import UserError

            raise UserError(f"unknown retrieval mode {mode!r}: use one of {', '.join(MODES)}")
        k = max(1, int(k))
        offset = max(0, int(offset))
        question = (question or "").strip()
        t0 = time.perf_counter()
        if not question:
            return Answer(question=question, answered=False, mode=mode, timings_ms={"embed": 0.0, "search": 0.0,
                                                                                    "total": 0.0})
        qvec = self.embedder.embed_query(question)
        t1 = time.perf_counter()
        n = max(self.candidates, 4 * (k + offset + len(exclude)))
        dense = self.index.dense(qvec, n)
        t_dense = time.perf_counter()
        lexical = self.index.lexical(question, n)
        t2 = time.perf_counter()
        weights = self.query_weights(question)
        top_cos = float(dense[0][1]) if dense else 0.0
        pool = list(dict.fromkeys([_rec_key(c) for c, _ in dense[:10]] + [_rec_key(c) for c, _ in lexical[:10]]))
        cov = self.coverage({t: w for t, w in weights.items() if t not in GENERIC}, pool)
        subject = self._subject
        subject_cos = float(qvec @ subject) if subject is not None and subject.shape == qvec.shape else None
        answered = force or self.decide(top_cos, cov, subject_cos)
        log.debug("ask q=%r top_cos=%.3f coverage=%.2f subject=%s answered=%s", question[:80], top_cos, cov,
                  subject_cos, answered)
        quotes: list[Quote] = []
        if answered:
            ranked = self._rank(dense, lexical, mode, weights)
            if exclude:
                ranked = [c for c in ranked if c.key not in exclude]
            pages = offset // k + 1 + (1 if offset % k else 0)
            chosen = self._diversify(ranked, k, pages)[offset: offset + k]
            for c in chosen:
                q = self._quote(c, weights)
                if q is not None:
                    quotes.append(q)
            answered = bool(quotes) or offset > 0
        t3 = time.perf_counter()
        return Answer(question=question, answered=answered, quotes=quotes, mode=mode, timings_ms={
            "embed": (t1 - t0) * 1000, "search": (t2 - t1) * 1000, "dense": (t_dense - t1) * 1000,
            "lexical": (t2 - t_dense) * 1000, "quotes": (t3 - t2) * 1000, "total": (t3 - t0) * 1000})

    # -- records chosen elsewhere (a topic's members) ---------------------------------------------------------
    def quote_records(self, ranked: Sequence[tuple[RecKey, float]], k: int, offset: int = 0,
                      terms: Sequence[str] = ()) -> list[Quote]:
        """Quotes for records ranked by someone else (a topic's members by closeness to its centre): the same
        diversity per page and the same cuts as an answer; `terms` are the words the cut should favour."""
        weights = {s: self.idf(s) for w in terms for s in content_terms(w)}
        ranked_c = []
        for (post_id, comment_id), score in ranked:
            r = self._records.get((post_id, comment_id))
            if r is None:
                continue
            chunk = Chunk(chunk_id=f"{post_id}:{comment_id}", post_id=post_id, comment_id=comment_id, kind=r.kind,
                          author=r.author, date=r.date, post_title=r.post_title, post_url=r.post_url, start=0,
                          end=len(r.text), text=r.text, content_hash="")
            ranked_c.append(_Candidate((post_id, comment_id), score, chunk))
        k, offset = max(1, int(k)), max(0, int(offset))
        pages = offset // k + 1 + (1 if offset % k else 0)
        chosen = self._diversify(ranked_c, k, pages)[offset: offset + k]
        return [q for c in chosen if (q := self._quote(c, weights, use_focus=False))]

    def records(self) -> list[Record]:
        """The live snapshot's records (posts and comments)."""
        return list(self._records.values())

    def full_text(self, post_id: str, comment_id: str | None) -> Record | None:
        return self._records.get((post_id, comment_id))


def limit_query_threads(settings: RetrievalSettings | None = None) -> None:
    """One query is a tiny matmul chain: on shared cores torch's spinning worker threads cost 5-10x (measured 73 ms
    vs 13 ms median under load). Process-wide, so a build in the same process also runs on that many threads."""
    n = (settings or RetrievalSettings()).query_threads
    if n > 0 and "torch" in sys.modules:  # no torch model loaded (ONNX backend): nothing to limit, nothing to import
        import torch

        torch.set_num_threads(n)

