"""The lexical index: BM25 over a generation's chunks, built in one streaming pass and read memory-mapped.

The scores are bm25s's ("lucene" BM25, k1 1.5, b 0.75, float32, the same arithmetic), precomputed per (term,
chunk) into a CSC matrix like the one bm25s saves: `data` (scores) and `indices` (chunk positions) of every term,
one after the other, `indptr` where each term starts. A query adds the columns of its terms, in order, so answers
are the same as bm25s's to the bit (tests/index/test_store.py compares them). What differs is the how:

- the build never holds the corpus: chunks stream in, their (term, chunk, frequency) postings go to a scratch file,
  and a second pass over that file writes the scores straight into their places (a counting sort, since every
  term's document frequency is known by then); memory is the vocabulary, not the corpus;
- a reader maps the three arrays (the OS pages in what queries touch) and looks terms up in a small SQLite table,
  so opening the index costs milliseconds at any size.

Chosen over SQLite FTS5 by measurement (docs/benchmarks.md): FTS5's bm25() has fixed constants (k1 1.2) and
another idf, so its answers differ, and at 1M chunks it was slower and larger.
"""

from __future__ import annotations

import json
import logging
import math
import os
import sqlite3
from array import array
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from index.store.layout import scratch_sqlite, sqlite_uri

log = logging.getLogger(__name__)

K1, B = 1.5, 0.75  # bm25s's defaults ("lucene"): the answers were tuned with them
DATA, INDICES, INDPTR, VOCAB, PARAMS = "data.npy", "indices.npy", "indptr.npy", "vocab.sqlite", "params.json"
FILES = (DATA, INDICES, INDPTR, VOCAB, PARAMS)
_SCRATCH = "postings.tmp"
_POSTING = np.dtype([("term", "<i4"), ("doc", "<i4"), ("tf", "<f4")])
_BLOCK = 1 << 22  # postings per step of the second pass (64 MB of scratch)

Tokenizer = Callable[[list[str]], list[list[str]]]


def bm25_tokenize(texts: list[str]) -> list[list[str]]:
    """One tokenization for indexing and querying: the text toolkit's stems (grammar words dropped)."""
    from index.text import lexical_tokens

    return [lexical_tokens(t) for t in texts]


class LexicalBuilder:
    """Streams documents in (document i is chunk i of the generation) and writes the index on `finish()`."""

    def __init__(self, out_dir: Path, tokenize: Tokenizer = bm25_tokenize) -> None:
        self.out_dir = Path(out_dir)
        self.out_dir.mkdir(parents=True, exist_ok=True)
        self.tokenize = tokenize
        self.vocab: dict[str, int] = {}
        self.df = array("q")
        self.doc_len = array("q")
        self.nnz = 0
        self._scratch = open(self.out_dir / _SCRATCH, "wb")

    def add(self, texts: list[str]) -> None:
        """The next documents, in order."""
        rows: list[tuple[int, int, float]] = []
        vocab, df = self.vocab, self.df
        for tokens in self.tokenize(texts):
            doc = len(self.doc_len)
            self.doc_len.append(len(tokens))
            for tok, tf in Counter(tokens).items():
                t = vocab.get(tok)
                if t is None:
                    t = vocab[tok] = len(vocab)
                    df.append(0)
                df[t] += 1
                rows.append((t, doc, tf))
        if rows:
            self._scratch.write(np.array(rows, dtype=_POSTING).tobytes())
            self.nnz += len(rows)

    def finish(self) -> dict[str, Any]:
        """Score every posting and write the index; returns its parameters (also in params.json)."""
        self._scratch.close()
        n_docs = len(self.doc_len)
        doc_len = np.frombuffer(self.doc_len, dtype=np.int64) if n_docs else np.zeros(0, dtype=np.int64)
        avg_len = doc_len.mean() if n_docs else np.float64(0.0)  # np.float64, as bm25s computes it
        df = np.frombuffer(self.df, dtype=np.int64) if len(self.df) else np.zeros(0, dtype=np.int64)
        idf = np.zeros(len(df), dtype=np.float32)
        for t, d in enumerate(df.tolist()):
            idf[t] = math.log(1 + (n_docs - d + 0.5) / (d + 0.5))
        indptr = np.zeros(len(df) + 1, dtype=np.int64)
        np.cumsum(df, out=indptr[1:])
        data = _allocated(self.out_dir / DATA, np.float32, self.nnz)
        indices = _allocated(self.out_dir / INDICES, np.int32, self.nnz)
        heads = indptr[:-1].copy()
        scratch = self.out_dir / _SCRATCH
        if self.nnz:
            postings = np.memmap(scratch, dtype=_POSTING, mode="r")
            for s in range(0, self.nnz, _BLOCK):
                self._place(postings[s : s + _BLOCK], doc_len, avg_len, idf, heads, data, indices)
            del postings
        data.flush()
        indices.flush()
        del data, indices
        np.save(self.out_dir / INDPTR, indptr)
        scratch.unlink(missing_ok=True)
        self._write_vocab(df)
        params = {"method": "lucene", "k1": K1, "b": B, "docs": n_docs, "avg_len": float(avg_len),
                  "terms": len(df), "postings": self.nnz}
        (self.out_dir / PARAMS).write_text(json.dumps(params), encoding="utf-8")
        self.vocab = {}
        return params

    @staticmethod
    def _place(block: np.ndarray, doc_len: np.ndarray, avg_len: np.float64, idf: np.ndarray, heads: np.ndarray,
               data: np.ndarray, indices: np.ndarray) -> None:
        """Score one block of postings (bm25s's arithmetic, element for element) and put each where its term's
        column continues; blocks come in document order, so every column ends up sorted by document."""
        term, doc, tf = block["term"], block["doc"], block["tf"]
        # bm25s: tf / (k1 * ((1 - b) + b * l_d / l_avg) + tf) with l_d an int and l_avg a float64, in float64
        tfc = tf / (K1 * ((1 - B) + B * doc_len[doc] / avg_len) + tf)
        score = (idf[term] * tfc).astype(np.float32)
        order = np.argsort(term, kind="stable")
        t = term[order]
        starts = np.flatnonzero(np.r_[True, t[1:] != t[:-1]])
        counts = np.diff(np.r_[starts, len(t)])
        rank = np.arange(len(t)) - np.repeat(starts, counts)
        where = heads[t] + rank
        data[where] = score[order]
        indices[where] = doc[order]
        heads[t[starts]] += counts

    def _write_vocab(self, df: np.ndarray) -> None:
        db = scratch_sqlite(self.out_dir / VOCAB)
        try:
            db.execute("CREATE TABLE vocab (term TEXT PRIMARY KEY, id INTEGER NOT NULL) WITHOUT ROWID")
            db.executemany("INSERT INTO vocab VALUES (?, ?)", self.vocab.items())
            db.commit()
        finally:
            db.close()

    def abort(self) -> None:
        """Stop early (a failed build): drop the scratch file; the folder goes with its generation."""
        if not self._scratch.closed:
            self._scratch.close()
        (self.out_dir / _SCRATCH).unlink(missing_ok=True)


def _allocated(path: Path, dtype: Any, n: int) -> np.ndarray:
    """A new .npy file mapped for writing, its blocks reserved first: a full disk is an OSError here, not a
    SIGBUS later when a page of a sparse file is written."""
    arr = np.lib.format.open_memmap(path, mode="w+", dtype=dtype, shape=(n,))
    with open(path, "r+b") as f:
        os.posix_fallocate(f.fileno(), 0, os.fstat(f.fileno()).st_size)
    return arr


class LexicalIndex:
    """A built index, memory-mapped: nothing grows with the corpus in this process but the pages queries touch."""

    def __init__(self, folder: Path, tokenize: Tokenizer = bm25_tokenize) -> None:
        self.folder = Path(folder)
        self.tokenize = tokenize
        self.params = json.loads((self.folder / PARAMS).read_text(encoding="utf-8"))
        self.data = np.load(self.folder / DATA, mmap_mode="r")
        self.indices = np.load(self.folder / INDICES, mmap_mode="r")
        self.indptr = np.load(self.folder / INDPTR, mmap_mode="r")
        self.n_docs = int(self.params["docs"])
        self._vocab = sqlite3.connect(sqlite_uri(self.folder / VOCAB, readonly=True), uri=True,
                                      check_same_thread=False)
        if len(self.data) != len(self.indices) or int(self.indptr[-1]) != len(self.data):
            raise ValueError(f"{self.folder}: {len(self.data)} scores, {len(self.indices)} positions and "
                             f"{int(self.indptr[-1])} postings do not agree")

    def term_ids(self, terms: list[str]) -> list[int]:
        """Ids of the terms the index knows, in the query's order (repeats kept: bm25s counts them twice)."""
        if not terms:
            return []
        uniq = list(dict.fromkeys(terms))
        marks = ",".join("?" * len(uniq))
        known = dict(self._vocab.execute(f"SELECT term, id FROM vocab WHERE term IN ({marks})", uniq).fetchall())
        return [known[t] for t in terms if t in known]

    def scores(self, ids: list[int]) -> np.ndarray:
        """Every document's score for these term ids (bm25s's get_scores: columns added in query order)."""
        out = np.zeros(self.n_docs, dtype=np.float32)
        for t in ids:
            s, e = int(self.indptr[t]), int(self.indptr[t + 1])
            np.add.at(out, self.indices[s:e], self.data[s:e])
        return out

    def top(self, query: str, k: int) -> list[tuple[int, float]]:
        """(document, score) of the k best documents sharing a term with the query, best first."""
        ids = self.term_ids(self.tokenize([query])[0])
        if not ids or k <= 0:
            return []
        scores = self.scores(ids)
        # Top k among the documents that score at all, not an argpartition over every document's score (mostly
        # zeros, many ties): ~40 ms against ~1 ms at 100k chunks, and the same hits.
        hits = np.flatnonzero(scores > 0)
        if len(hits) > k:
            hits = hits[np.argpartition(-scores[hits], k - 1)[:k]]
        hits = hits[np.argsort(-scores[hits], kind="stable")]
        return [(int(i), float(scores[i])) for i in hits]

    def postings_of(self, term_id: int) -> np.ndarray:
        """The documents holding a term (sorted): `verify` checks sampled chunks against them."""
        return np.asarray(self.indices[int(self.indptr[term_id]) : int(self.indptr[term_id + 1])])

    def close(self) -> None:
        self._vocab.close()
