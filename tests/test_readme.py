"""What the README and the docs promise is what the code does: the example answer, the command table, the log levels,
the page types, the Docker lines. Each test prints the text to paste when the two drift apart."""

from __future__ import annotations

import argparse
import re
import sys
import tomllib
from pathlib import Path

import pytest

from index.corpus.reader import CORPUS_SUFFIXES, page_types

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
sys.path.insert(0, str(ROOT))


def section(title: str) -> str:
    m = re.search(rf"^## {re.escape(title)}\s*$(.*?)(?=^## |\Z)", README, re.M | re.S)
    assert m, f"README has no '## {title}' section"
    return m.group(1)


# --- the example answer -------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def shipped_data(tmp_path_factory, real_embedder) -> Path:
    """An index of the shipped corpus, built once with the real model."""
    from index.build import build_index
    from tests.conftest import SHIPPED_CORPUS

    db = tmp_path_factory.mktemp("shipped") / "data"
    build_index(SHIPPED_CORPUS, db, embedder=real_embedder)
    return db


@pytest.mark.integration
def test_readme_example_answer_is_what_the_chat_prints(shipped_data):
    """The README's example is the chat's real output on the shipped corpus. It drifts whenever retrieval is tuned:
    the failure message shows the diff and the one command that updates the README."""
    from bench.readme_example import block, chat_answer, drift, readme_block

    fresh, current = block(chat_answer(shipped_data)), readme_block(README)
    assert current == fresh, drift(fresh, current)


def test_readme_example_block_is_found_and_drift_is_explained():
    """The helpers the drift test relies on: the block is found, and a changed answer gives a diff and the fix."""
    from bench.readme_example import QUESTION, block, drift, readme_block

    current = readme_block(README)
    assert current.startswith("<!-- example-answer") and f"```text\n{QUESTION}\n" in current
    changed = current.replace(QUESTION + "\n", QUESTION + "\n\nsomething else\n", 1)
    msg = drift(changed, current)
    assert "+something else" in msg and "bench/readme_example.py --write" in msg
    assert block("x\n") == block("x") and block("x").endswith("<!-- /example-answer -->")


# --- the command table --------------------------------------------------------------------------------------------


def _leaf_parsers() -> dict[str, argparse.ArgumentParser]:
    """'ask' -> its parser, 'index build' -> its parser, ...: every command a user can run."""
    from bot.cli import build_parser

    out: dict[str, argparse.ArgumentParser] = {}

    def walk(parser: argparse.ArgumentParser, prefix: str) -> None:
        subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
        if not subs:
            out[prefix] = parser
            return
        for name, p in subs[0].choices.items():
            walk(p, f"{prefix} {name}".strip())

    walk(build_parser(), "")
    return out


def _usage(name: str, parser: argparse.ArgumentParser) -> tuple[str, str]:
    """(`adoptbot NAME ARGS`, `--opt X`, ...) as the README's command table writes them."""
    args, opts = [], []
    for a in parser._actions:
        if isinstance(a, argparse._HelpAction):
            continue
        if not a.option_strings:
            meta = a.metavar or a.dest.upper()
            args.append({"+": f"{meta}…", "*": f"[{meta}…]", "?": f"[{meta}]"}.get(a.nargs, meta))
        else:
            flag = max(a.option_strings, key=len)
            opts.append(f"`{flag}`" if a.nargs == 0 else f"`{flag} {a.metavar or a.dest.upper()}`")
    return f"`adoptbot {' '.join([name, *args])}`", ", ".join(opts)


def expected_command_rows() -> dict[str, tuple[str, str]]:
    return {name: _usage(name, p) for name, p in _leaf_parsers().items()}


def test_readme_command_table_is_exactly_the_cli():
    rows = {}
    for line in section("Commands").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 3 and cells[0].startswith("`adoptbot "):
            name = next(n for n in sorted(expected_command_rows(), key=len, reverse=True)
                        if cells[0].startswith(f"`adoptbot {n}`") or cells[0].startswith(f"`adoptbot {n} "))
            rows[name] = (cells[0], cells[1])
            assert len(cells[2]) > 10, f"{name}: say what it does"
    want = expected_command_rows()
    paste = "\n".join(f"| {u} | {o} | … |" for u, o in want.values())
    assert rows == want, f"the README's command table differs from `adoptbot --help`; its first columns are:\n{paste}"


def test_every_command_that_reads_the_corpus_takes_corpus_and_every_index_command_takes_db():
    parsers = _leaf_parsers()
    corpus_readers = {"corpus check", "corpus fetch", "index build", "index verify", "chat", "serve", "bot"}
    index_users = {"index build", "index status", "index verify", "ask", "topics", "topic", "author", "chat", "serve",
                   "bot", "health"}
    for name, p in parsers.items():
        flags = {f for a in p._actions for f in a.option_strings}
        assert ("--corpus" in flags) == (name in corpus_readers), name
        assert ("--db" in flags) == (name in index_users), name


# --- log levels, page types ---------------------------------------------------------------------------------------


def test_log_levels_agree_in_help_readme_and_code(capsys):
    from bot.cli import build_parser
    from index.logs import LEVELS

    build_parser().print_help()
    help_text = " ".join(capsys.readouterr().out.split())
    assert f"ADOPTBOT_LOG_LEVEL for this command: {', '.join(LEVELS)}" in help_text
    row = next(line for line in section("Settings").splitlines() if line.startswith("| `ADOPTBOT_LOG_LEVEL`"))
    assert re.findall(r"`([A-Z]+)`", row.split("|")[3]) == list(LEVELS)


def test_ask_says_json_lines_only_with_json():
    """`ask -` prints plain text per question; JSON Lines only with --json (bot/answer_cli.py)."""
    row = next(line for line in section("Commands").splitlines() if line.startswith("| `adoptbot ask "))
    assert "JSON Lines out" not in row and "JSON Lines with `--json`" in row, row


def _suffixes_in(text: str) -> set[str]:
    return set(re.findall(r"(?<![\w/])(\.(?:txt|text|md|html|htm|xml|pdf|docx?|json|csv))\b", text))


@pytest.mark.parametrize("where", ["README", "architecture", "addpost", "binary", "code"])
def test_every_list_of_page_types_is_the_code_list(where):
    """The README, docs/architecture.md, /addpost's option text, the upload refusal and the build's 'no pages'
    message all name the same page types as index/corpus/reader.py's CORPUS_SUFFIXES."""
    if where == "README":
        text = section("Adding posts and reindexing").split("```")[0]
    elif where == "architecture":
        text = next(line for line in (ROOT / "docs" / "architecture.md").read_text().splitlines()
                    if line.startswith("| corpus reader"))
    elif where == "addpost":
        text = tomllib.loads((ROOT / "prompts" / "commands.toml").read_text())["addpost"]["file"]
    elif where == "binary":
        text = next(v for k, v in _flat(tomllib.loads((ROOT / "prompts" / "replies.toml").read_text()))
                    if k.endswith(".binary"))
    else:
        text = page_types()
    assert _suffixes_in(text) == set(CORPUS_SUFFIXES), f"{where}: {text!r} should name {page_types()}"


def _flat(d: dict, prefix: str = "") -> list[tuple[str, str]]:
    out = []
    for k, v in d.items():
        out += _flat(v, f"{prefix}{k}.") if isinstance(v, dict) else [(f"{prefix}{k}", v)]
    return out


# --- Docker -------------------------------------------------------------------------------------------------------


def test_readme_docker_run_lines_use_init_and_compose_does_too():
    """--init (tini as PID 1) forwards docker stop's SIGTERM and reaps children; the bot also handles SIGTERM itself
    from its first instant (bot/runner.py), so either way a stop during the first build is immediate."""
    import yaml

    runs = re.findall(r"docker run\b[^`]*?(?=\n\n|```|`)", section("Run it in Docker"), re.S)
    assert runs, "README shows no docker run line"
    for run in runs:
        assert "--init" in run, run
    assert yaml.safe_load((ROOT / "compose.yaml").read_text())["services"]["bot"]["init"] is True


def test_readme_names_every_network_need_of_the_docker_build():
    dockerfile = (ROOT / "Dockerfile").read_text()
    docker = " ".join(section("Run it in Docker").split())
    hosts = set(re.findall(r"https?://([^/\s]+)", "\n".join(line for line in dockerfile.splitlines()
                                                               if not line.startswith("#"))))
    assert hosts == {"download.pytorch.org"}, hosts
    for need in ("Docker Hub", "PyPI", "download.pytorch.org"):
        assert need in docker, need
    if re.search(r"^# *syntax *=", dockerfile, re.M):  # BuildKit pulls this frontend image from Docker Hub too
        assert "docker/dockerfile" in docker
