import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_help_is_light_and_fast():
    """--help must not import torch, chromadb or discord: it starts in well under a second."""
    code = (
        "import sys, time; t=time.perf_counter(); from bot.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "heavy=[m for m in ('torch','chromadb','discord','sentence_transformers') if m in sys.modules]\n"
        "print(heavy, time.perf_counter()-t)"
    )
    t = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    wall = time.perf_counter() - t
    heavy = out.stdout.strip().splitlines()[-1]
    assert heavy.startswith("[]"), heavy
    assert wall < 5  # generous bound for a loaded CI box; the real figure is ~0.05 s


def test_readme_and_ci_share_the_test_command():
    readme = (ROOT / "README.md").read_text()
    assert "<!-- test-command -->" in readme and "<!-- main-command -->" in readme
    assert "README.md" in (ROOT / ".ci" / "run").read_text()
