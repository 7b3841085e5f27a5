"""The one command, `adoptbot`, that fronts the corpus reader, the index, the answers and the bot.

Argument parsing is stdlib argparse and every handler is imported only when its command runs, so light commands
(`corpus parse`, `--help`) never pay for torch, chromadb or discord.py.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from index.errors import UserError
from index.logs import LEVELS as LOG_LEVELS


def _add_db(p: argparse.ArgumentParser) -> None:
    p.add_argument("--db", metavar="DIR", help="index folder (default: ADOPTBOT_DATA_DIR, else ./data)")


def _add_corpus(p: argparse.ArgumentParser, default: str = "ADOPTBOT_CORPUS_DIR, else ./corpus") -> None:
    p.add_argument("--corpus", metavar="DIR", help=f"corpus folder (default: {default})")


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(
        prog="adoptbot",
        description="Answers questions about adopting social media in business with attributed, verbatim "
        "quotes from practitioners' blog comment threads.",
    )
    ap.add_argument("--log-level", type=str.upper, choices=LOG_LEVELS, metavar="LEVEL",
                    help=f"override ADOPTBOT_LOG_LEVEL for this command: {', '.join(LOG_LEVELS)}")
    sub = ap.add_subparsers(dest="command", metavar="COMMAND")

    # corpus ---------------------------------------------------------------------------------------------------
    corpus = sub.add_parser("corpus", help="read scraped pages: parse them, check them before indexing")
    csub = corpus.add_subparsers(dest="corpus_command", metavar="SUBCOMMAND")
    p = csub.add_parser("parse", help="parse pages into post and comment records")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("--json", action="store_true", help="JSON Lines, one record per line")
    p.set_defaults(handler="index.corpus.cli:cmd_parse")
    p = csub.add_parser("check", help="a table per file: posts, comments, share attributed, warnings")
    p.add_argument("paths", nargs="*", metavar="PATH", help="pages or folders to check (default: the corpus folder)")
    _add_corpus(p)
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler="index.corpus.cli:cmd_check")
    p = csub.add_parser("fetch", help="download pages by URL into the corpus folder (never overwriting) and check "
                        "them", description="Downloads each URL (an HTML page or a WordPress export), saves it with a "
                        ".meta.toml sidecar, and reports what it read. Loopback, private and link-local addresses are "
                        "refused unless ADOPTBOT_FETCH_ALLOW_PRIVATE=true.")
    p.add_argument("urls", nargs="+", metavar="URL")
    _add_corpus(p)
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler="index.corpus.cli:cmd_fetch")
    corpus.set_defaults(handler=None, _parser=corpus)

    # index ----------------------------------------------------------------------------------------------------
    index = sub.add_parser("index", help="build, inspect and verify the search index")
    isub = index.add_subparsers(dest="index_command", metavar="SUBCOMMAND")
    p = isub.add_parser("build", help="read the corpus and update the index incrementally")
    _add_corpus(p)
    _add_db(p)
    p.add_argument("--json", action="store_true", help="print the counts as one JSON object")
    p.add_argument("--full", action="store_true", help="ignore stored embeddings and embed everything again")
    p.set_defaults(handler="index.cli:cmd_build")
    p = isub.add_parser("status", help="what is live: model, counts, corpus files, when built")
    _add_db(p)
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler="index.cli:cmd_status")
    p = isub.add_parser("verify", help="check every chunk's vector and text, BM25 against Chroma, counts")
    _add_corpus(p, default="the folder the index was built from")
    _add_db(p)
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler="index.cli:cmd_verify")
    index.set_defaults(handler=None, _parser=index)

    # answers --------------------------------------------------------------------------------------------------
    p = sub.add_parser("ask", help="answer a question with practitioner quotes ('-' reads one per line)")
    _add_db(p)
    p.add_argument("question", nargs="+", metavar="QUESTION", help="the question; '-' reads one question per line "
                   "from stdin and answers each in turn")
    p.add_argument("--json", action="store_true", help="one JSON object per answer (JSON Lines with '-')")
    p.add_argument("--mode", choices=["hybrid", "dense", "bm25"], help="retrieval mode (default hybrid)")
    p.add_argument("-k", type=int, metavar="N", help="number of quotes (default 5)")
    p.set_defaults(handler="bot.answer_cli:cmd_ask")
    p = sub.add_parser("topics", help="list the topics derived from the corpus")
    _add_db(p)
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler="bot.answer_cli:cmd_topics")
    p = sub.add_parser("topic", help="what practitioners said on one topic")
    _add_db(p)
    p.add_argument("name", nargs="+", metavar="NAME")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler="bot.answer_cli:cmd_topic")
    p = sub.add_parser("author", help="every comment of one person, across posts")
    _add_db(p)
    p.add_argument("name", nargs="+", metavar="NAME")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler="bot.answer_cli:cmd_author")

    # bot ------------------------------------------------------------------------------------------------------
    p = sub.add_parser("chat", help="ask in the terminal: the bot's answers and rendering, no Discord token needed")
    _add_corpus(p)
    _add_db(p)
    p.add_argument("question", nargs="*", metavar="QUESTION", help="ask once and exit (default: interactive)")
    p.set_defaults(handler="bot.chat:cmd_chat")
    p = sub.add_parser("serve", help="the main job: build the index if needed, then run the Discord bot when "
                       "DISCORD_TOKEN is set, else answer in the terminal")
    _add_corpus(p)
    _add_db(p)
    p.set_defaults(handler="bot.runner:cmd_serve")
    p = sub.add_parser("bot", help="run the Discord bot (needs DISCORD_TOKEN)")
    _add_corpus(p)
    _add_db(p)
    p.add_argument("--print-commands", action="store_true", help="print the application commands JSON and exit")
    p.set_defaults(handler="bot.runner:cmd_bot")
    p = sub.add_parser("health", help="exit 0 when the index is readable and the bot's heartbeat is recent")
    _add_db(p)
    p.add_argument("--max-age", type=float, default=120.0, metavar="S", help="oldest heartbeat accepted (s)")
    p.add_argument("--no-bot", action="store_true", help="check the index only")
    p.set_defaults(handler="bot.health:cmd_health")
    return ap


def main(argv: Sequence[str] | None = None) -> int:
    ap = build_parser()
    args = ap.parse_args(argv)
    if not getattr(args, "handler", None):
        (getattr(args, "_parser", None) or ap).print_help()
        return 2
    from index.logs import setup_logging

    setup_logging(level=args.log_level)
    module, func = args.handler.split(":")
    try:
        fn = getattr(importlib.import_module(module), func)
        return int(fn(args) or 0)
    except UserError as e:
        print(f"adoptbot: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("adoptbot: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
