"""Sentence vectors of a generation: which sentence of a comment answers, not only which comment.

A chunk is ~8 sentences; its vector says the comment is on the subject, not which sentence makes the point. Each
record's sentences (index.text.sentence_spans, the splitter chunks and quotes use) are embedded once at build time
(through the same content-hash cache as chunks) and written beside the generation as a float16 matrix that
answering processes memory-map: a question reads only the rows of its ~40 candidate records, so the file's size
does not become the process's memory.

Files in the generation folder:
  sentences.f16.npy  (n, dim) float16, L2-normalised rows
  sentences.spans.npy (n, 2) int32: character spans into the record's text
  sentences.rows.npy  (records + 1,) int64: record i owns rows [rows[i], rows[i+1]) (records.jsonl order)
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import numpy as np

from index.errors import UserError
from index.models import Record
from index.text import sentence_spans

log = logging.getLogger(__name__)

VECTORS = "sentences.f16.npy"
SPANS = "sentences.spans.npy"
ROWS = "sentences.rows.npy"
MIN_WORDS = 3  # "Waste management." alone says nothing a question can match on its own merits


def sentence_hash(text: str) -> str:
    """Cache key of a sentence vector: the same as a chunk's (a text embeds to one vector whatever it is part of)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def plan(records: Sequence[Record]) -> tuple[list[tuple[int, int]], np.ndarray]:
    """Every record's sentence spans in records order, and the row offsets (CSR) of each record's sentences."""
    spans: list[tuple[int, int]] = []
    rows = np.zeros(len(records) + 1, dtype=np.int64)
    for i, r in enumerate(records):
        spans.extend(sentence_spans(r.text))
        rows[i + 1] = len(spans)
    return spans, rows


def write(out_dir: Path, records: Sequence[Record], vectors_for: Callable[[list[str]], dict[str, np.ndarray]],
          dim: int) -> int:
    """Embed (through `vectors_for`: texts -> {hash: vector}, cached) and write the generation's sentence files."""
    spans, rows = plan(records)
    texts: list[str] = []
    owner = np.repeat(np.arange(len(records)), np.diff(rows))
    for (s, e), i in zip(spans, owner, strict=True):
        texts.append(records[int(i)].text[s:e])
    mat = np.lib.format.open_memmap(out_dir / VECTORS, mode="w+", dtype=np.float16, shape=(len(texts), dim))
    step = 4096
    for lo in range(0, len(texts), step):
        part = texts[lo:lo + step]
        got = vectors_for(part)
        mat[lo:lo + len(part)] = np.stack([got[sentence_hash(t)] for t in part]).astype(np.float16) if part else 0
    mat.flush()
    del mat
    np.save(out_dir / SPANS, np.asarray(spans, dtype=np.int32).reshape(-1, 2))
    np.save(out_dir / ROWS, rows)
    return len(texts)


def batched(items: list[str], n: int) -> Iterator[list[str]]:
    for i in range(0, len(items), n):
        yield items[i:i + n]


class SentenceVectors:
    """Read side: memory-mapped, so opening costs nothing and a question touches only its candidates' rows."""

    def __init__(self, gen_dir: Path, records: int | None = None) -> None:
        try:
            self.vectors = np.load(gen_dir / VECTORS, mmap_mode="r")
            self.spans = np.load(gen_dir / SPANS, mmap_mode="r")
            self.rows = np.load(gen_dir / ROWS)
        except (OSError, ValueError, EOFError) as e:
            raise _damaged(gen_dir, str(e)) from None
        # plain ndarray views of the maps: slicing an np.memmap costs a Python-level finalize per slice
        self._vecs = self.vectors.view(np.ndarray)
        self._spans = self.spans.view(np.ndarray)
        n = int(self.rows[-1]) if len(self.rows) else -1
        if (self.vectors.ndim != 2 or self.spans.shape != (len(self.vectors), 2) or n != len(self.vectors)
                or (records is not None and len(self.rows) != records + 1)):
            raise _damaged(gen_dir, f"{len(self.vectors)} vectors, {len(self.spans)} spans, {n} rows for "
                                    f"{len(self.rows) - 1} records" + (f" (the generation has {records})"
                                                                       if records is not None else ""))

    @classmethod
    def open(cls, gen_dir: Path | None, records: int | None = None) -> SentenceVectors | None:
        """None for a generation built before sentence vectors existed (answers then fall back to chunk spans);
        a UserError saying how to repair when the files are damaged."""
        if gen_dir is None or not any((Path(gen_dir) / f).exists() for f in (VECTORS, SPANS, ROWS)):
            return None
        return cls(Path(gen_dir), records)

    def of(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        """(spans, vectors) of record i (records.jsonl order)."""
        lo, hi = int(self.rows[i]), int(self.rows[i + 1])
        return np.asarray(self._spans[lo:hi]), np.asarray(self._vecs[lo:hi], dtype=np.float32)

    def scores(self, i: int, qvec: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(spans, cosine of each sentence of record i with the question)."""
        spans, vecs = self.of(i)
        return spans, vecs @ qvec if len(vecs) else np.zeros(0, dtype=np.float32)

    def scores_many(self, rows: Sequence[int], qvec: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
        """`scores` for many records in one gather and one matrix product (a question's candidates)."""
        if not rows:
            return []
        bounds = [(int(self.rows[i]), int(self.rows[i + 1])) for i in rows]
        idx = np.concatenate([np.arange(lo, hi) for lo, hi in bounds])
        cos = self._vecs[idx].astype(np.float32) @ qvec.astype(np.float32)
        spans = self._spans[idx]
        out, at = [], 0
        for lo, hi in bounds:
            n = hi - lo
            out.append((spans[at:at + n], cos[at:at + n]))
            at += n
        return out


def _damaged(gen_dir: Path, detail: str) -> UserError:
    return UserError(f"the sentence vectors of generation {Path(gen_dir).name} are damaged ({detail}); "
                     "run `adoptbot index build` (vectors come back from the cache)")
