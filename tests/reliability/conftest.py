"""Fixtures for the reliability tests: the tests/bot Discord harness (stand-in + injected gateway events), a small
real index (shipped corpus, fake embedder, embedded Chroma) and the real-model index for the load test.

Every server these tests start listens on 127.0.0.1 only and is stopped by its fixture.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.bot.conftest import api, harness, settings_kw  # noqa: F401 (fixtures re-exported for this folder)
from tests.conftest import ROOT

SUBPROCESS_TIMEOUT = 120


def copy_corpus(dest: Path) -> Path:
    shutil.copytree(ROOT / "corpus", dest)
    return dest


@pytest.fixture(scope="session")
def fake_index_base(tmp_path_factory) -> tuple[Path, Path]:
    """The shipped corpus indexed with the fake embedder (embedded Chroma), built in a subprocess so that this
    process never caches a Chroma client on it; tests copy it (`fake_index`)."""
    base = tmp_path_factory.mktemp("fake_index_base")
    corpus, db = copy_corpus(base / "corpus"), base / "data"
    run_py(f"from index.build import build_index; from tests.conftest import FakeEmbedder; "
           f"build_index({str(corpus)!r}, {str(db)!r}, embedder=FakeEmbedder())")
    return corpus, db


@pytest.fixture
def fake_index(fake_index_base, tmp_path) -> tuple[Path, Path]:
    """A private copy of the fake-embedder index: (corpus, db)."""
    corpus, db = tmp_path / "corpus", tmp_path / "data"
    shutil.copytree(fake_index_base[0], corpus)
    shutil.copytree(fake_index_base[1], db)
    return corpus, db


def run_probe(*args: str, timeout: float = SUBPROCESS_TIMEOUT) -> subprocess.CompletedProcess:
    """tests/reliability/probes.py in a fresh interpreter; the caller checks the exit code."""
    return subprocess.run([sys.executable, "-m", "tests.reliability.probes", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=timeout)


def run_py(code: str, *args: str, timeout: float = SUBPROCESS_TIMEOUT, check: bool = True,
           env: dict | None = None) -> subprocess.CompletedProcess:
    """Python code in a fresh interpreter (risky loads, kills, start-ups), from the repository root."""
    p = subprocess.run([sys.executable, "-c", code, *args], cwd=ROOT, capture_output=True, text=True,
                       timeout=timeout, env=env)
    if check and p.returncode != 0:
        raise AssertionError(f"subprocess failed ({p.returncode}):\n{p.stdout[-2000:]}\n{p.stderr[-3000:]}")
    return p
