"""bench/bench_hnsw.py on a tiny cache: Chroma's HNSW against exact search, as the 1M figures were measured."""

from __future__ import annotations

import sqlite3

import numpy as np

from bench.bench_hnsw import load_vectors, run


def _cache(path, n: int, dim: int = 16) -> np.ndarray:
    rng = np.random.default_rng(7)
    vecs = rng.normal(size=(n, dim)).astype(np.float32)
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE vectors (model TEXT NOT NULL, content_hash TEXT NOT NULL, dim INTEGER NOT NULL, "
                "vec BLOB NOT NULL, PRIMARY KEY (model, content_hash))")
    con.executemany("INSERT INTO vectors VALUES ('m', ?, ?, ?)", [(f"h{i:05d}", dim, v.tobytes())
                                                                  for i, v in enumerate(vecs)])
    con.commit()
    con.close()
    return vecs


def test_vectors_and_queries_are_disjoint_slices_of_the_cache(tmp_path):
    _cache(tmp_path / "e.sqlite", 50)
    a, b = load_vectors(tmp_path / "e.sqlite", 40), load_vectors(tmp_path / "e.sqlite", 10, offset=40)
    assert a.shape == (40, 16) and b.shape == (10, 16)
    assert not any(np.array_equal(x, y) for x in a for y in b)


def test_recall_is_measured_against_exact_cosine_search(tmp_path):
    _cache(tmp_path / "e.sqlite", 420)
    vectors = load_vectors(tmp_path / "e.sqlite", 400)
    queries = load_vectors(tmp_path / "e.sqlite", 20, offset=400)
    got = run(vectors, queries, {}, tmp_path)
    assert got["n"] == 400 and got["add_s"] >= 0
    # 80 of 400 with default parameters: HNSW finds (nearly) all of the exact neighbours
    assert got["recall@80"] >= 0.9 and got["top10_in_80"] >= 0.95
    # a degenerate graph (one neighbour, no search breadth) must show as lower recall, or the measure measures nothing
    poor = run(vectors, queries, {"hnsw:M": 2, "hnsw:construction_ef": 2, "hnsw:search_ef": 1}, tmp_path)
    assert poor["recall@80"] < got["recall@80"]
