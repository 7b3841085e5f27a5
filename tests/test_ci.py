""".ci/run starts the README's commands from a fresh machine's state: a copy of the checkout without ignored files, an
empty HOME and XDG_CACHE_HOME, none of the caller's settings. Checked with its --dry-run, which stops before
installing anything."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_ci_runs_from_an_empty_home_and_cache_and_a_clean_copy(tmp_path):
    home = tmp_path / "home"
    (home / ".cache" / "adoptbot" / "onnx").mkdir(parents=True)  # an export an earlier run left behind
    env = {**os.environ, "HOME": str(home), "XDG_CACHE_HOME": str(home / ".cache"), "ADOPTBOT_DATA_DIR": "/nowhere",
           "ADOPTBOT_EMBED_BACKEND": "onnx", "CHROMA_HOST": "example.invalid", "DISCORD_TOKEN": "x",
           "HF_HOME": str(home / "hf"), "SENTENCE_TRANSFORMERS_HOME": str(home / "st")}
    out = subprocess.run([str(ROOT / ".ci" / "run"), "--dry-run"], capture_output=True, text=True, env=env,
                         timeout=120, check=True).stdout
    head, rest = out.split("--- home:\n", 1)
    listed_home, rest = rest.split("--- cache:\n", 1)
    listed_cache, listed_repo = rest.split("--- repo:\n", 1)
    seen = dict(line.split("=", 1) for line in head.splitlines() if "=" in line)
    assert listed_home == "" and listed_cache == "", "HOME and XDG_CACHE_HOME start empty"
    assert seen["HOME"] != str(home) and seen["XDG_CACHE_HOME"] != str(home / ".cache")
    assert seen["XDG_CACHE_HOME"].startswith(os.path.dirname(seen["HOME"]))  # both in the run's own scratch folder
    for var in ("ADOPTBOT_DATA_DIR", "ADOPTBOT_EMBED_BACKEND", "CHROMA_HOST", "DISCORD_TOKEN", "HF_HOME",
                "SENTENCE_TRANSFORMERS_HOME"):
        assert var not in seen, f"{var} leaked into CI"
    assert seen["HF_HUB_OFFLINE"] == "1"
    files = set(listed_repo.split())
    assert {"README.md", "pyproject.toml", "tests", "corpus", ".ci"} <= files
    assert not files & {".venv", "data", ".env", ".pytest_cache", "adoptbot.egg-info"}, files
    assert seen["PWD"] != str(ROOT), "the commands run in a fresh copy, not in this checkout"


def test_ci_copy_leaves_out_ignored_files_without_git_too(tmp_path):
    """CI's own copy has no .git (and an unpacked archive neither): the copy still leaves out what .gitignore lists,
    a .venv, build leftovers and caches included (the test command above runs inside such a copy)."""
    import shutil

    src = tmp_path / "checkout"
    shutil.copytree(ROOT, src, ignore=shutil.ignore_patterns(".git", ".venv", "data", "*.egg-info", ".*_cache",
                                                             ".hypothesis", "__pycache__"))
    for junk in (".venv/bin", "data/generations", "adoptbot.egg-info", ".pytest_cache", ".ruff_cache", ".hypothesis",
                 "index/__pycache__", "tests/data/keep"):
        (src / junk).mkdir(parents=True, exist_ok=True)
    (src / ".env").write_text("DISCORD_TOKEN=x\n")
    out = subprocess.run([str(src / ".ci" / "run"), "--dry-run"], capture_output=True, text=True, timeout=120,
                         check=True, env={**os.environ, "GIT_DIR": str(tmp_path / "no-such-git")}).stdout
    files = set(out.split("--- repo:\n", 1)[1].split())
    assert {"README.md", "tests", "index"} <= files
    assert not files & {".venv", "data", ".env", ".pytest_cache", ".ruff_cache", ".hypothesis", "adoptbot.egg-info"}
