"""Templates are checked at start-up: an unknown field is a start-up error naming file, key and field."""

import shutil
from pathlib import Path

import pytest

from bot.texts import REPLY_FIELDS, TemplateError, load_texts

PROMPTS = Path(__file__).resolve().parents[2] / "prompts"


def _copy(tmp_path: Path) -> Path:
    d = tmp_path / "prompts"
    shutil.copytree(PROMPTS, d)
    return d


def test_shipped_templates_load_and_fill():
    t = load_texts(PROMPTS)
    assert set(t.replies) == set(REPLY_FIELDS)
    assert t("answer.nothing", question="q") and t.cmd("ask")


def test_unknown_field_is_a_startup_error(tmp_path):
    d = _copy(tmp_path)
    p = d / "replies.toml"
    p.write_text(p.read_text().replace('nothing = "The corpus has nothing on “{question}”',
                                       'nothing = "The corpus has nothing on “{questoin}”'))
    with pytest.raises(TemplateError, match=r"\[answer\] nothing names unknown field \{questoin\}"):
        load_texts(d)


@pytest.mark.parametrize("bad, match", [
    ('title = "{question.__class__}"', "not a plain name"),
    ('title = "{}"', "not a plain name"),
    ('title = "{question"', "expected '}'"),
])
def test_attribute_access_and_malformed_fields_are_refused(tmp_path, bad, match):
    d = _copy(tmp_path)
    p = d / "replies.toml"
    p.write_text(p.read_text().replace('title = "{question}"', bad, 1))
    with pytest.raises(TemplateError, match=match):
        load_texts(d)


def test_missing_key_and_long_command_description(tmp_path):
    d = _copy(tmp_path)
    p = d / "replies.toml"
    p.write_text(p.read_text().replace('more = "More"\n', ""))
    with pytest.raises(TemplateError, match=r"\[buttons\] more is missing"):
        load_texts(d)
    d = _copy(tmp_path / "2")
    c = d / "commands.toml"
    c.write_text(c.read_text().replace('description = "What one practitioner said, across posts"',
                                       'description = "' + "x" * 101 + '"'))
    with pytest.raises(TemplateError, match="Discord allows 100"):
        load_texts(d)


def test_number_format_on_a_text_field_is_caught(tmp_path):
    d = _copy(tmp_path)
    p = d / "replies.toml"
    p.write_text(p.read_text().replace('title = "{question}"', 'title = "{question:.2f}"', 1))
    with pytest.raises(TemplateError, match="cannot be filled in"):
        load_texts(d)
