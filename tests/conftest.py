"""Shared fixtures: a fake embedder for unit tests, the real model once per session, a real Chroma server.

Others may add fixtures here; keep each one cheap unless it is session-scoped.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
SHIPPED_CORPUS = ROOT / "corpus"

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")


class FakeEmbedder:
    """Deterministic bag-of-words hashing vectors: texts sharing words are close, and it loads instantly.

    Same interface as index.embedding.Embedder (name, dim, max_seq_length, embed, embed_query). `delay` slows
    every embed call (to catch a build mid-way); `calls` counts texts embedded.
    """

    def __init__(self, dim: int = 32, name: str = "fake-bow-32", delay: float = 0.0) -> None:
        self.name = name
        self.dim = dim
        self.max_seq_length = 256
        self.delay = delay
        self.calls = 0

    def _vec(self, text: str) -> np.ndarray:
        v = np.zeros(self.dim, dtype=np.float32)
        for w in re.findall(r"\w+", text.lower()) or ["\x00"]:
            h = int.from_bytes(hashlib.blake2b(w.encode(), digest_size=8).digest(), "little")
            v[h % self.dim] += 1.0 if (h >> 32) & 1 else -1.0
        n = float(np.linalg.norm(v))
        if n == 0:
            v[0], n = 1.0, 1.0
        return v / n

    def embed(self, texts: list[str]) -> np.ndarray:
        if self.delay:
            time.sleep(self.delay)
        self.calls += len(texts)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([self._vec(t) for t in texts]).astype(np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed([text])[0]


@pytest.fixture
def fake_embedder() -> FakeEmbedder:
    return FakeEmbedder()


@pytest.fixture(scope="session")
def real_embedder():
    """The packaged all-MiniLM-L6-v2, loaded once for the whole session (about 5 s)."""
    from index.embedding import get_embedder
    from index.settings import EmbedSettings

    return get_embedder(EmbedSettings(backend="torch"))


@pytest.fixture(scope="session")
def shipped_db(tmp_path_factory, real_embedder):
    """The shipped corpus built once with the real model, for the tests that only read it."""
    from index.build import build_index

    db = tmp_path_factory.mktemp("answers-db")
    build_index(SHIPPED_CORPUS, db, embedder=real_embedder)
    return db


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory):
    """A real `chroma run` on 127.0.0.1 (a free port, a temporary path), stopped at the end of the session."""
    exe = shutil.which("chroma", path=str(Path(sys.executable).parent)) or shutil.which("chroma")
    if exe is None:
        pytest.fail("the chroma CLI is not installed (it comes with chromadb)")
    path = tmp_path_factory.mktemp("chroma-server")
    port = _free_port()
    log = open(path / "server.log", "wb")
    proc = subprocess.Popen([exe, "run", "--path", str(path / "data"), "--host", "127.0.0.1", "--port", str(port)],
                            stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/api/v2/heartbeat"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(url, timeout=1).read()
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail(f"chroma server did not start: {(path / 'server.log').read_text(errors='replace')[-500:]}")
            time.sleep(0.2)
    yield {"host": "127.0.0.1", "port": port, "proc": proc}
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


@pytest.fixture(params=["embedded", "server"])
def chroma_mode(request, monkeypatch):
    """Run a test twice: embedded PersistentClient, and against the real Chroma server (CHROMA_HOST set)."""
    if request.param == "server":
        srv = request.getfixturevalue("chroma_server")
        monkeypatch.setenv("CHROMA_HOST", srv["host"])
        monkeypatch.setenv("CHROMA_PORT", str(srv["port"]))
    else:
        monkeypatch.delenv("CHROMA_HOST", raising=False)
    return request.param


def write_page(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    p = folder / name
    p.write_text(text, encoding="utf-8")
    return p


@pytest.fixture
def small_corpus(tmp_path) -> Path:
    """Three short plain pages (one record each with the placeholder reader; never an empty corpus)."""
    d = tmp_path / "corpus"
    write_page(d, "a.txt", "Social media helps small businesses find customers. Twitter was our first channel.\n"
               "We measured ROI by counting leads from each channel. It took a year to pay off.")
    write_page(d, "b.txt", "Legal risk worried our compliance team. Banks cannot tweet freely.\n"
               "We wrote a policy first and trained every employee before opening accounts.")
    write_page(d, "c.txt", "B2B companies doubt that LinkedIn groups sell anything. Our pipeline says otherwise.")
    return d
