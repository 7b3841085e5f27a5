"""Answers: hybrid retrieval over the live index, one verbatim quote per comment, diversity, honest refusal.

The Answerer holds the model and the index once per process (a question costs one query embedding, one dense and
one BM25 search, and small numpy/dict work), so the CLI's batch mode and the bot answer in tens of milliseconds.
Ranking is at the level of records (a comment or a post), not chunks: a comment is one voice and gives one quote.
"""

from __future__ import annotations

import difflib
import logging
import math
import re
import sys
import threading
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from index.fusion import best_per_key, rrf, weighted_sum
from index.models import Answer, Chunk, Quote, Record
from index.quotes import GENERIC, STOPWORDS, content_terms, cut_quote, stem
from index.settings import RetrievalSettings, paths
from index.topics import Topic, apply_overrides, derive_topics, load_overrides, load_subject, load_topics, slug

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


def name_key(name: str | None) -> str:
    """A person's name reduced for matching: case, spacing and punctuation ignored, a trailing '@ blog' or
    '(blog)' dropped, so "Annie @ PhD in Parenting" and "annie" find the same person."""
    s = re.sub(r"\s+@.*$|\(.*?\)", "", (name or "").replace("’", "'"))
    return re.sub(r"\W+", "", s.casefold())


@dataclass
class _Candidate:
    key: RecKey
    score: float
    chunk: Chunk


def _rec_key(c: Chunk) -> RecKey:
    return (c.post_id, c.comment_id)


class Answerer:
    """Answers questions, topic and author lookups from one live index with one loaded model."""

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
        overrides_path: Path | None = None,
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
        self.overrides_path = overrides_path if overrides_path is not None else paths().prompts_dir / "topics.toml"
        self._lock = threading.Lock()
        self._topics: list[Topic] | None = None
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
        """Per-snapshot tables: records by key, term document frequencies (for idf), people by name."""
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
        people: dict[str, list[Record]] = {}
        display: dict[str, Counter[str]] = {}
        for r in records:
            if r.author:
                k = name_key(r.author)
                if k:
                    people.setdefault(k, []).append(r)
                    display.setdefault(k, Counter())[r.author] += 1
        for rs in people.values():
            rs.sort(key=lambda r: (r.date or "", r.post_id, r.kind != "post", r.comment_id or ""))
        with self._lock:
            self._records = by_key
            self._df = df
            self._n = max(1, len(records))
            self._people = people
            self._display = {k: c.most_common(1)[0][0] for k, c in display.items()}
            self._topics = None
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

    def ask(self, question: str, k: int = 5, mode: str = "hybrid", offset: int = 0) -> Answer:
        """Quotes answering the question, or answered=False when the corpus has nothing on it."""
        return self._answer(question, k, mode, offset)

    def _answer(self, question: str, k: int, mode: str, offset: int, *, force: bool = False) -> Answer:
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
        n = max(self.candidates, 4 * (k + offset))
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

    # -- topics ----------------------------------------------------------------------------------------------
    def topics(self) -> list[Topic]:
        """Derived topics of the live generation with the admins' overrides applied (re-read on each call, so an
        edit of prompts/topics.toml shows without a restart)."""
        if self._topics is None:
            gen = getattr(self.index, "generation_dir", None)
            derived = load_topics(Path(gen)) if gen is not None else None
            if derived is None:  # built before topics existed: derive in memory once
                derived = derive_topics(self.index.records(), self.index.chunks(), self.index.vectors())
            self._topics = derived
        out = apply_overrides(self._topics, load_overrides(self.overrides_path))
        return [self._sized(t) for t in out]

    def _sized(self, t: Topic) -> Topic:
        if t.query is None or t.size:
            return t
        terms = {stem(w.lower()) for w in t.words} or set(content_terms(t.query or "", drop_generic=True))
        size = sum(1 for r in self._records.values() if terms & set(content_terms(r.text)))
        return Topic(key=t.key, name=t.name, size=size, words=t.words, members=t.members, query=t.query)

    def find_topic(self, name: str) -> tuple[Topic | None, list[str]]:
        """The topic a user meant (key, name, or a unique start of one) and, when none, the closest names."""
        ts = self.topics()
        q = slug(name)
        for t in ts:
            if q and (q == t.key or q == slug(t.name)):
                return t, []
        starts = [t for t in ts if q and (t.key.startswith(q) or slug(t.name).startswith(q) or q in t.key)]
        if len(starts) == 1:
            return starts[0], []
        names = [t.name for t in ts]
        close = [t.name for t in starts] or difflib.get_close_matches(name, names, n=3, cutoff=0.3)
        return None, close

    def topic(self, name: str, k: int = 10) -> Answer:
        """What practitioners said on one topic: its members closest to the topic's centre, one per comment."""
        t0 = time.perf_counter()
        t, _ = self.find_topic(name)
        if t is None:
            return Answer(question=f"topic: {name}", answered=False, mode="topic")
        if t.query is not None and not t.members:
            # an admin's topic is answered even when the refusal gate doubts its wording: the admin vouched for it
            a = self._answer(t.query, k, "hybrid", 0, force=True)
            a.question, a.mode = f"topic: {t.name}", "topic"
            return a
        weights = {s: self.idf(s) for w in t.words for s in content_terms(w)}
        ranked = []
        for post_id, comment_id, sim in t.members:
            r = self._records.get((post_id, comment_id))
            if r is None:
                continue
            chunk = Chunk(chunk_id=f"{post_id}:{comment_id}", post_id=post_id, comment_id=comment_id, kind=r.kind,
                          author=r.author, date=r.date, post_title=r.post_title, post_url=r.post_url, start=0,
                          end=len(r.text), text=r.text, content_hash="")
            ranked.append(_Candidate((post_id, comment_id), sim, chunk))
        chosen = self._diversify(ranked, k, 1)
        quotes = [q for c in chosen if (q := self._quote(c, weights, use_focus=False))]
        return Answer(question=f"topic: {t.name}", answered=bool(quotes), quotes=quotes, mode="topic",
                      timings_ms={"total": (time.perf_counter() - t0) * 1000})

    # -- people ----------------------------------------------------------------------------------------------
    def authors(self) -> list[tuple[str, int]]:
        """(name, records) for every named person, most prolific first."""
        return sorted(((self._display[k], len(rs)) for k, rs in self._people.items()), key=lambda p: (-p[1], p[0]))

    def find_author(self, name: str) -> tuple[str | None, list[str]]:
        """The person a user meant (exact name key, else a unique name containing it) and close names if none."""
        q = name_key(name)
        if q in self._people:
            return q, []
        hits = [k for k in self._people if q and (k.startswith(q) or q in k)]
        if len(hits) == 1:
            return hits[0], []
        names = [self._display[k] for k in (hits or self._people)]
        close = names if hits else difflib.get_close_matches(name, names, n=3, cutoff=0.5)
        return None, sorted(close)[:5]

    def author(self, name: str) -> Answer:
        """Every post and comment of one person, across posts, oldest first; each as its opening sentences."""
        t0 = time.perf_counter()
        key, _ = self.find_author(name)
        if key is None:
            return Answer(question=f"author: {name}", answered=False, mode="author")
        quotes = []
        for r in self._people[key]:
            text = cut_quote(r.text, {}, max_chars=self.max_chars)
            if text:
                quotes.append(Quote(text=text, author=r.author, date=r.date, post_id=r.post_id,
                                    post_title=r.post_title, comment_id=r.comment_id, kind=r.kind, score=1.0,
                                    post_url=r.post_url))
        return Answer(question=f"author: {self._display[key]}", answered=bool(quotes), quotes=quotes,
                      mode="author", timings_ms={"total": (time.perf_counter() - t0) * 1000})

    # -- the rest of the contract ----------------------------------------------------------------------------
    def about(self) -> dict[str, Any]:
        """What the bot knows: counts and the date range, for /about and `adoptbot chat`."""
        recs = list(self._records.values())
        dates = sorted(r.date for r in recs if r.date)
        manifest = getattr(self.index, "manifest", {}) or {}
        return {
            "posts": sum(r.kind == "post" for r in recs),
            "comments": sum(r.kind == "comment" for r in recs),
            "practitioners": len(self._people),
            "first_date": dates[0] if dates else None,
            "last_date": dates[-1] if dates else None,
            "built_at": manifest.get("built_at"),
            "model": manifest.get("model") or getattr(self.embedder, "name", None),
        }

    def full_text(self, post_id: str, comment_id: str | None) -> Record | None:
        return self._records.get((post_id, comment_id))


def limit_query_threads(settings: RetrievalSettings | None = None) -> None:
    """One query is a tiny matmul chain: on shared cores torch's spinning worker threads cost 5-10x (measured 73 ms
    vs 13 ms median under load). Process-wide, so a build in the same process also runs on that many threads."""
    n = (settings or RetrievalSettings()).query_threads
    if n > 0 and "torch" in sys.modules:  # no torch model loaded (ONNX backend): nothing to limit, nothing to import
        import torch

        torch.set_num_threads(n)

