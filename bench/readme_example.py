"""The README's example answer, pasted from a real run of the terminal chat on the shipped corpus.

    .venv/bin/python bench/readme_example.py            # print the block the README should hold
    .venv/bin/python bench/readme_example.py --write    # rewrite the block in README.md
    .venv/bin/python bench/readme_example.py --check    # exit 1, with a diff, when README.md differs

It asks what `adoptbot chat "How do I prove ROI?"` asks, through the same session code, on an index built from
corpus/ into a temporary folder (or --db DIR, built there if missing). tests/test_readme.py runs the same chat and
fails when the README drifts: retrieval is tuned often, and after each change `--write` is the whole update.
"""

from __future__ import annotations

import argparse
import difflib
import io
import os
import re
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
README = ROOT / "README.md"
CORPUS = ROOT / "corpus"
QUESTION = "How do I prove ROI?"
MARKER = (f'<!-- example-answer: the output of `adoptbot chat "{QUESTION}"` on the shipped corpus, pasted by '
          "`bench/readme_example.py --write`; tests/test_readme.py fails when it drifts -->")
BLOCK_RE = re.compile(r"<!-- example-answer[^\n]*-->\n.*?<!-- /example-answer -->", re.S)


def chat_answer(db: Path, corpus: Path = CORPUS) -> str:
    """What `adoptbot chat QUESTION` prints on stdout, from the index in `db` (built from `corpus` if missing): the
    chat's own session set-up and reply, without its stderr lines."""
    from bot.chat import open_session
    from bot.texts import load_texts

    session = open_session(argparse.Namespace(corpus=str(corpus), db=str(db)), load_texts(), io.StringIO())
    return session.handle(QUESTION) or ""


def block(answer: str) -> str:
    """The README block around an answer: a text fence, so it reads exactly as the terminal shows it."""
    return f"{MARKER}\n```text\n{answer.rstrip()}\n```\n<!-- /example-answer -->"


def readme_block(text: str | None = None) -> str:
    m = BLOCK_RE.search(text if text is not None else README.read_text(encoding="utf-8"))
    if not m:
        raise SystemExit("README.md has no <!-- example-answer --> … <!-- /example-answer --> block")
    return m.group(0)


def drift(expected: str, actual: str) -> str:
    """A unified diff from the README's block to a fresh run's, and the one command that updates it."""
    diff = "\n".join(difflib.unified_diff(actual.splitlines(), expected.splitlines(), "README.md", "chat now",
                                          lineterm=""))
    return (f"the README's example answer is not what the chat prints now:\n{diff}\n"
            "update it with: .venv/bin/python bench/readme_example.py --write")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--db", type=Path, help="index folder to use (built from --corpus if missing; default: a "
                    "temporary folder)")
    ap.add_argument("--corpus", type=Path, default=CORPUS, help="corpus folder (default: the shipped corpus/)")
    how = ap.add_mutually_exclusive_group()
    how.add_argument("--write", action="store_true", help="rewrite the block in README.md")
    how.add_argument("--check", action="store_true", help="exit 1 when README.md's block differs")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="adoptbot-readme-") as tmp:
        fresh = block(chat_answer(args.db or Path(tmp) / "data", args.corpus))
    if args.write:
        text = README.read_text(encoding="utf-8")
        README.write_text(text.replace(readme_block(text), fresh), encoding="utf-8")
        print(f"README.md: example answer {'unchanged' if fresh in text else 'updated'}")
        return 0
    if args.check:
        current = readme_block()
        if current != fresh:
            print(drift(fresh, current), file=sys.stderr)
            return 1
        print("README.md: example answer matches the chat")
        return 0
    print(fresh)
    return 0


if __name__ == "__main__":
    sys.exit(main())
