"""Answers: the comments that answer a question, one verbatim quote each, or an honest refusal.

The Answerer holds the model and the live index once per process; a question costs one query embedding, one dense
and one BM25 search, a few hundred sentence-vector dot products and small dict work, so the CLI's batch mode and the
bot answer in tens of milliseconds. One question, step by step:
1. read it (index.query): spelling corrected against the corpus's words, content stems weighed by idf;
2. search: dense (Chroma) and BM25 candidates, grouped by record (a comment is one voice, one quote);
3. refuse or answer (index.refusal): corpus evidence against what the question asks (index.scope);
4. rank (index.ranking): dense, sentence, BM25 and coverage signals, chatter out, posts at a discount;
5. pages of k with at most `max_per_author` quotes of one person, and more than one post when the pool allows;
6. cut each quote around the sentence that answers (index.quotes).
Look-ups by topic or person and paging for the front ends are in index/lookup.py, which calls this.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Collection, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from index.chatter import is_chatter
from index.models import Answer, Chunk, Quote, Record
from index.names import name_key
from index.query import Query, QueryAnalyzer
from index.quotes import cut_quote, is_question
from index.ranking import Candidate, coverage, fuse
from index.refusal import Evidence, answers, probability
from index.scope import Scope, asks_for_no_opinion
from index.sentences import SentenceVectors
from index.settings import RetrievalSettings, paths
from index.terms import TermStats
from index.text import content_terms
from index.topics import load_subject

if TYPE_CHECKING:
    from index.embedding import Embedder
    from index.store import LiveIndex

log = logging.getLogger(__name__)

MODES = ("hybrid", "dense", "bm25")
RecKey = tuple[str, "str | None"]
EVIDENCE_POOL = 10  # the refusal looks at the best records of each search, not the long tail
MEMO_SIZE = 50_000  # records per memo before it starts over
CHATTER_MAX_CHARS = 400  # longer comments are never chatter (index.chatter scores them near 0 anyway)


class Answerer:
    """Ranks and quotes the records that answer a question, from one live index with one loaded model."""

    def __init__(
        self,
        index: LiveIndex,
        embedder: Embedder,
        settings: RetrievalSettings | None = None,
        *,
        weights: dict[str, float] | None = None,
        post_weight: float | None = None,
        candidates: int | None = None,
        max_chars: int | None = None,
        min_chars: int | None = None,
        scope_path: Path | None = None,
        spelling: bool = True,
        drop_chatter: bool = True,
    ) -> None:
        self.index = index
        self.embedder = embedder
        self.settings = settings or RetrievalSettings()
        self.weights = weights
        self.post_weight = post_weight
        self.candidates = candidates or self.settings.candidates
        self.max_chars = max_chars or self.settings.max_quote_chars
        self.min_chars = min_chars or self.settings.min_quote_chars
        self.scope = Scope.load(scope_path or paths().prompts_dir / "scope.toml").embed(embedder)
        self.spelling, self.drop_chatter = spelling, drop_chatter  # off only to measure what they bring
        self._lock = threading.Lock()
        self._load_state()

    @classmethod
    def open(cls, db_dir: Path | str, settings: RetrievalSettings | None = None, **kw: Any) -> Answerer:
        """Open the live index and load the model once (raises IndexMissing when nothing is built)."""
        from index.embedding import get_query_embedder
        from index.store import LiveIndex

        settings = settings or RetrievalSettings()
        index = LiveIndex.open(Path(db_dir))
        embedder = get_query_embedder(threads=settings.query_threads or None)
        limit_query_threads(settings)
        answerer = cls(index, embedder, settings, **kw)
        answerer.warm()
        return answerer

    def warm(self) -> None:
        """Pay the one-off costs (BM25 load, Chroma open, speller, first model call) now, not in a user's answer."""
        t = time.perf_counter()
        self.ask("how do businesses use social medai", k=1)
        log.info("answerer warm in %.0f ms", (time.perf_counter() - t) * 1000)

    # -- state derived from the live snapshot ---------------------------------------------------------------
    def _load_state(self) -> None:
        """Per-snapshot state, none of it the size of the corpus: records by key through the store's bounded
        look-up (with their rows in the sentence vectors), term statistics, sentence vectors (memory-mapped), the
        subject."""
        records = self.index.record_lookup()
        gen = getattr(self.index, "generation_dir", None)
        stats = TermStats.load(Path(gen)) if gen is not None else None
        if stats is None:  # a generation built before terms.json: count from its records once, streamed
            stats = TermStats.from_records(self.index.iter_records())
        sentences = SentenceVectors.open(Path(gen), len(records)) if gen is not None else None
        with self._lock:
            self._records = records
            self.stats = stats
            self.analyzer = QueryAnalyzer(stats)
            self._sentences = sentences
            self._subject = load_subject(Path(gen)) if gen is not None else None
            self._terms: dict[RecKey, frozenset[str]] = {}
            self._chatter: dict[RecKey, bool] = {}
            self._asks: dict[RecKey, np.ndarray] = {}

    def refresh(self) -> bool:
        """Pick up a newer generation of the index (after /reindex) without reloading the model."""
        changed = bool(self.index.refresh())
        if changed:
            self._load_state()
        return changed

    # -- per-record memos (a record never changes within a snapshot; each memo is bounded) ----------------------
    @staticmethod
    def _memo(cache: dict[RecKey, Any], key: RecKey, compute: Callable[[], Any]) -> Any:
        got = cache.get(key)
        if got is None:
            got = compute()
            if len(cache) > MEMO_SIZE:
                cache.clear()
            cache[key] = got
        return got

    def _record_terms(self, key: RecKey) -> frozenset[str]:
        def compute() -> frozenset[str]:
            r = self._records.get(key)
            return frozenset(content_terms(r.text)) if r is not None else frozenset()

        return self._memo(self._terms, key, compute)

    def _is_chatter(self, key: RecKey) -> bool:
        def compute() -> bool:
            r = self._records.get(key)
            # a long comment always says something: only short ones are worth the pleasantry patterns
            return r is None or (len(r.text) <= CHATTER_MAX_CHARS and is_chatter(r.text))

        return self._memo(self._chatter, key, compute)

    def _asking(self, key: RecKey, spans: np.ndarray) -> np.ndarray:
        """Which of a record's sentences are questions (they make poor answers)."""
        def compute() -> np.ndarray:
            text = self._records.get(key).text
            return np.array([is_question(text[int(s):int(e)]) for s, e in spans], dtype=bool)

        return self._memo(self._asks, key, compute)

    def idf(self, stem: str) -> float:
        return self.stats.idf(stem)

    def query(self, question: str) -> Query:
        return self.analyzer.analyze(question, spelling=self.spelling)

    # -- one question -----------------------------------------------------------------------------------------
    def ask(self, question: str, k: int = 5, mode: str = "hybrid", offset: int = 0, *,
            exclude: Collection[RecKey] = (), force: bool = False) -> Answer:
        """Quotes answering the question, or answered=False when the corpus has nothing on it.

        `exclude`: records (post_id, comment_id) already shown, e.g. earlier in a conversation, never shown again;
        `offset` then counts in what is left. `force`: answer even where the refusal gate doubts (a topic an admin
        defined by a query vouches for its wording)."""
        if mode not in MODES:
            from index.errors import UserError

            raise UserError(f"unknown retrieval mode {mode!r}: use one of {', '.join(MODES)}")
        k, offset = max(1, int(k)), max(0, int(offset))
        t0 = time.perf_counter()
        q = self.query(question)
        if not q.text:
            return Answer(question=q.text, answered=False, mode=mode, timings_ms={"total": 0.0})
        qvec = self.embedder.embed_query(q.search)
        t1 = time.perf_counter()
        n = max(self.candidates, 4 * (k + offset + len(exclude)))
        dense = self.index.dense(qvec, n)
        t_dense = time.perf_counter()
        lexical = self.index.lexical(q.search, n)
        t2 = time.perf_counter()
        cands, sent = self._candidates(dense, lexical, q, qvec)
        ev = self._evidence(q, qvec, cands, sent)
        answered = force or answers(ev)
        log.debug("ask q=%r evidence=%s p=%.2f answered=%s", q.text[:80], ev.to_json(), probability(ev), answered)
        quotes: list[Quote] = []
        if answered:
            ranked = [c for c in fuse(list(cands.values()), mode, self.weights, *(
                [self.post_weight] if self.post_weight is not None else [])) if c.key not in exclude]
            pages = offset // k + 1 + (1 if offset % k else 0)
            for c in self._diversify(ranked, k, pages)[offset: offset + k]:
                quote = self._quote(c, q.weights, sent.get(c.key))
                if quote is not None:
                    quotes.append(quote)
            answered = bool(quotes) or offset > 0
        t3 = time.perf_counter()
        return Answer(question=q.text, answered=answered, quotes=quotes, mode=mode, corrected=q.corrected,
                      evidence={**ev.to_json(), "p": round(probability(ev), 3)}, timings_ms={
                          "embed": (t1 - t0) * 1000, "search": (t2 - t1) * 1000, "dense": (t_dense - t1) * 1000,
                          "lexical": (t2 - t_dense) * 1000, "quotes": (t3 - t2) * 1000, "total": (t3 - t0) * 1000})

    def _candidates(self, dense: Sequence[tuple[Chunk, float]], lexical: Sequence[tuple[Chunk, float]], q: Query,
                    qvec: np.ndarray) -> tuple[dict[RecKey, Candidate], dict[RecKey, tuple[np.ndarray, np.ndarray]]]:
        """One candidate per record found by either search, with every ranking signal filled in."""
        cands: dict[RecKey, Candidate] = {}
        self._records.prefetch([(c.post_id, c.comment_id) for part in (dense, lexical) for c, _ in part])
        for chunks, field in ((dense, "dense"), (lexical, "bm25")):
            for c, s in chunks:
                key = (c.post_id, c.comment_id)
                if key not in self._records or (self.drop_chatter and self._is_chatter(key)):
                    continue
                cand = cands.get(key)
                if cand is None:
                    cand = cands[key] = Candidate(key=key, kind=c.kind)
                if s > getattr(cand, field):
                    setattr(cand, field, float(s))
                    if field == "dense" or cand.chunk_span is None:
                        cand.chunk_span = (c.start, c.end)
        sent: dict[RecKey, tuple[np.ndarray, np.ndarray]] = {}
        rows = {key: i for key in cands if self._sentences is not None and (i := self._records.row(key)) is not None}
        keys = list(rows)
        got_all = self._sentences.scores_many(list(rows.values()), qvec) if keys else []
        for key, got in zip(keys, got_all, strict=True):
            if len(got[1]):
                sent[key] = got
                asks = self._asking(key, got[0])
                answering = got[1][~asks] if (~asks).any() else got[1]
                cands[key].sentence = float(answering.max())
        for key, cand in cands.items():
            cand.coverage = coverage(q.weights, self._record_terms(key))
        return cands, sent

    def _evidence(self, q: Query, qvec: np.ndarray, cands: dict[RecKey, Candidate],
                  sent: dict[RecKey, tuple[np.ndarray, np.ndarray]]) -> Evidence:
        """The refusal's inputs: see index.refusal."""
        best = sorted(cands.values(), key=lambda c: -max(c.dense, c.sentence))[:EVIDENCE_POOL]
        best += sorted(cands.values(), key=lambda c: -c.bm25)[:EVIDENCE_POOL]
        asked = {**q.weights, **q.unknown}  # idf-weighted: the corpus's everyday words count little
        cov = max((coverage(asked, self._record_terms(c.key)) for c in best), default=0.0)
        top = max((float(sent[c.key][1].max()) for c in best if c.key in sent), default=0.0)
        if not sent:  # no sentence vectors in this generation: the best chunk stands in
            top = max((c.dense for c in best), default=0.0)
        subject = self._subject
        subj = float(qvec @ subject) if subject is not None and subject.shape == qvec.shape else 0.0
        out, inside = self.scope.closeness(qvec)
        return Evidence(evidence=top, subject=subj, coverage=cov, outside=out - inside,
                        fact=1.0 if asks_for_no_opinion(q.search) else 0.0)

    def _diversify(self, ranked: list[Candidate], k: int, pages: int) -> list[Candidate]:
        """Pages of k: at most max_per_author quotes of one person per page, and more than one post per page
        when the pool has a reasonably relevant quote from another post."""
        cap = max(1, self.settings.max_per_author)
        pool = list(ranked)
        out: list[Candidate] = []
        top = ranked[0].score if ranked else 0.0
        for _ in range(pages):
            page: list[Candidate] = []
            count: Counter[str] = Counter()
            rest: list[Candidate] = []
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

    def _quote(self, c: Candidate, weights: dict[str, float],
               sent: tuple[np.ndarray, np.ndarray] | None = None) -> Quote | None:
        r = self._records.get(c.key)
        if r is None:  # chunk without its record: never show text we cannot attribute
            log.warning("no record for %s", c.key)
            return None
        text = cut_quote(r.text, weights, focus=c.chunk_span, max_chars=self.max_chars, min_chars=self.min_chars,
                         sentence_scores=[float(x) for x in sent[1]] if sent is not None else None)
        if not text:
            return None
        return Quote(text=text, author=r.author, date=r.date, post_id=r.post_id, post_title=r.post_title,
                     comment_id=r.comment_id, kind=r.kind, score=float(c.score), post_url=r.post_url)

    # -- records chosen elsewhere (a topic's members) ---------------------------------------------------------
    def quote_records(self, ranked: Sequence[tuple[RecKey, float]], k: int, offset: int = 0,
                      terms: Sequence[str] = ()) -> list[Quote]:
        """Quotes for records ranked by someone else (a topic's members by closeness to its centre): the same
        diversity per page and the same cuts as an answer; `terms` are the words the cut should favour."""
        weights = {s: self.idf(s) for w in terms for s in content_terms(w)}
        cands = []
        for key, score in ranked:
            r = self._records.get(key)
            if r is None or self._is_chatter(key):
                continue
            cands.append(Candidate(key=key, kind=r.kind, score=float(score)))
        k, offset = max(1, int(k)), max(0, int(offset))
        pages = offset // k + 1 + (1 if offset % k else 0)
        chosen = self._diversify(cands, k, pages)[offset: offset + k]
        return [q for c in chosen if (q := self._quote(c, weights))]

    def records(self) -> list[Record]:
        """The live snapshot's records (posts and comments), read from the index: for small indexes and tests."""
        return self.index.records()

    def full_text(self, post_id: str, comment_id: str | None) -> Record | None:
        return self._records.get((post_id, comment_id))


def limit_query_threads(settings: RetrievalSettings | None = None) -> None:
    """One query is a tiny matmul chain: on shared cores torch's spinning worker threads cost 5-10x (measured 73 ms
    vs 13 ms median under load). Process-wide, so a build in the same process also runs on that many threads."""
    n = (settings or RetrievalSettings()).query_threads
    if n > 0 and "torch" in sys.modules:  # no torch model loaded (ONNX backend): nothing to limit, nothing to import
        import torch

        torch.set_num_threads(n)
