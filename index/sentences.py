"""Sentence vectors of a generation: which sentence of a comment answers, not only which comment.

A chunk is ~8 sentences; its vector says the comment is on the subject, not which sentence makes the point. Each
record's sentences (index.text.sentence_spans, the splitter chunks and quotes use) are embedded once at build time
(through the same content-hash cache as chunks) and written beside the generation as a float16 matrix that
answering processes memory-map: a question reads only the rows of its ~40 candidate records, so the file's size
does not become the process's memory.

Files in the generation folder:
  sentences.f16.npy  (n, dim) float16, L2-normalised rows
  sentences.spans.npy (n, 2) int32: character spans into the record's text
  sentences.rows.npy  (records + 1,) int64: record i owns rows [rows[i], rows[i+1]) (the store's record order)
"""

from __future__ import annotations

import hashlib
import logging
import struct
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from index.errors import UserError
from index.models import Record
from index.text import sentence_spans

log = logging.getLogger(__name__)

VECTORS = "sentences.f16.npy"
SPANS = "sentences.spans.npy"
ROWS = "sentences.rows.npy"


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


def write(out_dir: Path, records: Iterable[Record], vectors_for: Callable[[list[str]], dict[str, np.ndarray]],
          dim: int) -> int:
    """Embed (through `vectors_for`: texts -> {hash: vector}, cached) and write the generation's sentence files."""
    w = SentenceWriter(out_dir, vectors_for, dim)
    try:
        for r in records:
            w.add(r)
        return w.finish()
    except BaseException:
        w.abort()
        raise


class SentenceWriter:
    """Writes the sentence files record by record, embedding `batch` sentences at a time: a build holds one batch,
    never the corpus's sentences (a million comments have ~5M of them, 3.7 GB of float16 vectors)."""

    def __init__(self, out_dir: Path, vectors_for: Callable[[list[str]], dict[str, np.ndarray]], dim: int,
                 batch: int = 4096) -> None:
        self.vectors_for, self.dim, self.batch = vectors_for, dim, batch
        self._files = [_NpyAppender(Path(out_dir) / VECTORS, np.float16, (dim,)),
                       _NpyAppender(Path(out_dir) / SPANS, np.int32, (2,)),
                       _NpyAppender(Path(out_dir) / ROWS, np.int64, ())]
        self.n = 0
        self._texts: list[str] = []
        self._spans: list[tuple[int, int]] = []
        self._rows: list[int] = [0]

    def add(self, record: Record) -> None:
        """The next record (records order): its sentences get rows n .. n + len - 1."""
        spans = sentence_spans(record.text)
        self._texts.extend(record.text[s:e] for s, e in spans)
        self._spans.extend(spans)
        self.n += len(spans)
        self._rows.append(self.n)
        if len(self._texts) >= self.batch:
            self._flush()

    def _flush(self) -> None:
        vecs, spans, rows = self._files
        if self._texts:
            got = self.vectors_for(self._texts)
            vecs.append(np.stack([got[sentence_hash(t)] for t in self._texts]).astype(np.float16))
            spans.append(np.asarray(self._spans, dtype=np.int32).reshape(-1, 2))
        rows.append(np.asarray(self._rows, dtype=np.int64))
        self._texts, self._spans, self._rows = [], [], []

    def finish(self) -> int:
        """Write what is left and the files' final headers; returns the number of sentences."""
        self._flush()
        for f in self._files:
            f.close()
        return self.n

    def abort(self) -> None:
        for f in self._files:
            f.abort()


class _NpyAppender:
    """A .npy file written front to back without knowing its length: a fixed-size header, rewritten at the end
    with the final shape (np.load and mmap_mode read it like any other)."""

    _HEADER = 128

    def __init__(self, path: Path, dtype: Any, row: tuple[int, ...]) -> None:
        self.path, self.dtype, self.row = path, np.dtype(dtype), row
        self.rows = 0
        self._f = open(path, "wb")
        self._f.write(self._header(0))

    def _header(self, n: int) -> bytes:
        d = (f"{{'descr': {np.lib.format.dtype_to_descr(self.dtype)!r}, 'fortran_order': False, "
             f"'shape': {(n, *self.row)!r}, }}")
        body = self._HEADER - 10
        return b"\x93NUMPY\x01\x00" + struct.pack("<H", body) + (d.ljust(body - 1) + "\n").encode("latin1")

    def append(self, arr: np.ndarray) -> None:
        arr = np.ascontiguousarray(arr, dtype=self.dtype)
        self._f.write(arr.tobytes())
        self.rows += len(arr)

    def close(self) -> None:
        self._f.seek(0)
        self._f.write(self._header(self.rows))
        self._f.close()

    def abort(self) -> None:
        self._f.close()
        self.path.unlink(missing_ok=True)


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
        """(spans, vectors) of record i (the store's record order)."""
        lo, hi = int(self.rows[i]), int(self.rows[i + 1])
        return np.asarray(self._spans[lo:hi]), np.asarray(self._vecs[lo:hi], dtype=np.float32)

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
