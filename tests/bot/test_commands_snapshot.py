"""`adoptbot bot --print-commands`: the JSON the bot would sync, compared with a reviewed snapshot.

A change to a command (a name, an option, a permission) shows up as a diff here before it reaches Discord.
Update after review: `.venv/bin/adoptbot bot --print-commands > tests/bot/snapshots/commands.json`.
"""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SNAPSHOT = Path(__file__).parent / "snapshots" / "commands.json"


def test_print_commands_matches_snapshot(tmp_path):
    out = subprocess.run([sys.executable, "-m", "bot.cli", "bot", "--print-commands"], capture_output=True,
                         text=True, cwd=ROOT, check=True, env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)})
    got = json.loads(out.stdout)
    assert got == json.loads(SNAPSHOT.read_text()), "commands changed: review, then update the snapshot"


def test_snapshot_keeps_discord_rules():
    cmds = {c["name"]: c for c in json.loads(SNAPSHOT.read_text())}
    admin = {"reindex", "addpost", "removepost", "channels", "feedback"}
    for name in admin:
        assert cmds[name]["default_member_permissions"] == 32, name  # Manage Server
        assert cmds[name]["contexts"] == [0], name  # guild only
    for name in set(cmds) - admin:
        assert cmds[name]["default_member_permissions"] is None and 0 in cmds[name]["contexts"], name
    ask = {o["name"]: o for o in cmds["ask"]["options"]}
    assert ask["count"]["min_value"] == 1 and ask["count"]["max_value"] == 10
    assert cmds["topic"]["options"][0]["autocomplete"] and cmds["author"]["options"][0]["autocomplete"]
    assert sorted(o["name"] for o in cmds["channels"]["options"]) == ["disable", "enable"]
    # /addpost takes a file or a url (downloaded): neither is required on its own; the command says which is missing
    addpost = {o["name"]: o for o in cmds["addpost"]["options"]}
    assert addpost["file"]["type"] == 11 and not addpost["file"]["required"] and not addpost["url"]["required"]
    for c in cmds.values():
        assert len(c["description"]) <= 100
