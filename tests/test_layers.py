"""The layers depend one way: index/ (a library) never imports bot/ or discord; inside bot/ no module imports
another that (directly or not) imports it back. Every import counts: at module level, inside a function, or under
TYPE_CHECKING, because each is a dependency a reader has to hold in their head."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def imports(path: Path) -> set[str]:
    """Every module a file imports (absolute names)."""
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.add(node.module)
            out.update(f"{node.module}.{a.name}" for a in node.names)
    return out


def modules(package: str) -> dict[str, Path]:
    found = {}
    for p in sorted((ROOT / package).rglob("*.py")):
        parts = p.relative_to(ROOT).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = p
    return found


def test_index_never_imports_bot_or_discord():
    bad = {name: sorted(i for i in imports(p) if i.split(".")[0] in ("bot", "discord"))
           for name, p in modules("index").items()}
    assert not {k: v for k, v in bad.items() if v}


def cycles(graph: dict[str, set[str]]) -> list[str]:
    found = []

    def visit(node, path, seen):
        for nxt in sorted(graph[node]):
            if nxt == path[0]:
                found.append(" -> ".join([*path, nxt]))
            elif nxt not in seen:
                seen.add(nxt)
                visit(nxt, [*path, nxt], seen)

    for start in graph:
        visit(start, [start], {start})
    return sorted(set(found))


def bot_graph() -> dict[str, set[str]]:
    mods = modules("bot")
    return {name: {m for m in imports(p) if m in mods and m != name} for name, p in mods.items()}


def test_no_import_cycle_in_bot():
    assert not cycles(bot_graph()), "\n".join(cycles(bot_graph())[:10])


def test_the_check_sees_a_cycle_through_a_type_checking_or_function_import():
    graph = {"bot.client": {"bot.replies"}, "bot.replies": {"bot.render"}, "bot.render": set()}
    assert cycles(graph) == []
    graph["bot.render"] = {"bot.client"}  # e.g. `if TYPE_CHECKING: from bot.client import AdoptBot`
    assert "bot.client -> bot.replies -> bot.render -> bot.client" in cycles(graph)
    src = "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from bot.client import AdoptBot\n" \
          "def f():\n    from bot.state import BotState\n"
    tree_imports = imports_of(src)
    assert {"bot.client", "bot.state"} <= tree_imports


def imports_of(src: str) -> set[str]:
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "m.py"
        p.write_text(src)
        return imports(p)
