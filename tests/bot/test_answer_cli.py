"""`adoptbot ask | topic | author` over the real look-up API (fake index and embedder), rendered as the chat does."""

import io
import json
from argparse import Namespace

import pytest

from bot import answer_cli
from index.errors import UserError
from tests.index.test_lookup import lookup  # noqa: F401 (fixture)


def test_cli_batch_reads_stdin_and_writes_one_json_line_per_question(lookup, monkeypatch, capsys):  # noqa: F811
    monkeypatch.setattr(answer_cli, "_open", lambda args: lookup)
    monkeypatch.setattr("sys.stdin", io.StringIO("Does Twitter help with customer service?\n\nHow do I bake bread?\n"))
    rc = answer_cli.cmd_ask(Namespace(question=["-"], json=True, mode="hybrid", k=3, db=None))
    lines = capsys.readouterr().out.splitlines()
    assert rc == 0 and len(lines) == 3  # one output line per input line, the blank one included
    first, blank, third = (json.loads(x) for x in lines)
    assert first["answered"] and len(first["quotes"]) == 3 and set(first["timings_ms"]) >= {"embed", "total"}
    assert blank == {**blank, "question": "", "answered": False, "quotes": []}
    assert third == {**third, "question": "How do I bake bread?", "answered": False, "quotes": []}


def test_cli_text_output_and_unknown_author(lookup, monkeypatch, capsys):  # noqa: F811
    monkeypatch.setattr(answer_cli, "_open", lambda args: lookup)
    answer_cli.cmd_ask(Namespace(question=["How", "do", "I", "bake", "bread?"], json=False, mode=None, k=None,
                                 db=None))
    assert "nothing on" in capsys.readouterr().out
    answer_cli.cmd_ask(Namespace(question=["customer service on Twitter"], json=False, mode=None, k=2, db=None))
    out = capsys.readouterr().out
    assert "\n— " in out and "practitioner" in out and "> " in out  # the chat's layout
    answer_cli.cmd_ask(Namespace(question=["Twitter", "plumbers", "local", "customers"], json=False, mode=None,
                                 k=8, db=None))
    out = capsys.readouterr().out
    assert out.count("\n— ") == 8  # every quote asked for, over as many cards as they need
    with pytest.raises(UserError, match="Zebulon"):
        answer_cli.cmd_author(Namespace(name=["Zebulon"], json=False, db=None))
    with pytest.raises(UserError, match="-k must be at least 1"):
        answer_cli.cmd_ask(Namespace(question=["x"], json=True, mode=None, k=0, db=None))


def test_cli_author_json(lookup, monkeypatch, capsys):  # noqa: F811
    monkeypatch.setattr(answer_cli, "_open", lambda args: lookup)
    answer_cli.cmd_author(Namespace(name=["annie"], json=True, db=None))
    js = json.loads(capsys.readouterr().out)
    assert js["answered"] and len(js["quotes"]) == 3 and js["practitioners"] == 1




def test_cli_unknown_or_ambiguous_names_are_one_line(lookup, monkeypatch):  # noqa: F811
    monkeypatch.setattr(answer_cli, "_open", lambda args: lookup)
    with pytest.raises(UserError, match="Nobody named “Zebulon”"):
        answer_cli.cmd_author(Namespace(name=["Zebulon"], json=False, db=None))
    with pytest.raises(UserError, match="Did you mean|“Bob Smith”"):
        answer_cli.cmd_author(Namespace(name=["Bob", "Smyth"], json=False, db=None))
