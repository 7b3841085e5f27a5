"""Coverage-guided fuzzing of the corpus reader with atheris (bounded: pass -runs=N and/or -max_total_time=S).

    .venv/bin/python bench/fuzz_reader.py -runs=200000 -max_len=8192          # the long run
    .venv/bin/python bench/fuzz_reader.py -runs=3000 -max_len=4096 -seed=1    # what tests/reliability runs

Each input is parsed as a text page, an HTML page and a WordPress export (parse_bytes). Checks: no exception
escapes the reader (it must turn bad content into warnings), no parse takes longer than -timeout, and no line of a
plain-text page is lost (every non-blank line is in a record or reported as dropped). A failure stops with the
input saved by libFuzzer (crash-*, timeout-*) in a temporary folder it names. Without -runs or -max_total_time,
20,000 runs.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import atheris  # noqa: E402

with atheris.instrument_imports():
    from index.corpus import parse_bytes  # noqa: E402


def fold(s: str) -> str:
    return re.sub(r"\s+", " ", s).strip()


def check(data: bytes) -> None:
    fdp = atheris.FuzzedDataProvider(data)
    kind = fdp.ConsumeIntInRange(0, 2)
    body = fdp.ConsumeBytes(fdp.remaining_bytes())
    name = ("page.txt", "page.html", "export.xml")[kind]
    page = parse_bytes(body, name)
    if not (page.records or page.warnings):
        raise AssertionError("nothing read and no reason given")
    if kind != 0 or not page.records:  # other shapes, or refused as a whole with its reason (a warning)
        return
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return
    if text.lstrip().startswith(("<", "\ufeff<")):  # read as HTML or XML, not as lines
        return
    out = " \n ".join(fold(r.text) for r in page.records)
    dropped = " \n ".join(fold(t) for _, t, _ in page.dropped)
    norm = text.replace("\r\n", "\n").replace("\r", "\n").replace("\ufeff", "")
    for ln in norm.splitlines():  # as the reader splits them
        s = fold(ln)
        if s and s not in out and s not in dropped:
            raise AssertionError(f"lost line {s!r}")


def seeds(out: Path) -> Path:
    """Starting inputs: the head of every shipped page and a small WordPress export (kind byte first)."""
    out.mkdir(parents=True, exist_ok=True)
    for i, p in enumerate(sorted((ROOT / "corpus").glob("*.txt"))):
        (out / f"page{i}").write_bytes(b"\x00" + p.read_bytes()[:3000])
    (out / "wxr").write_bytes(b"\x02" + (ROOT / "tests" / "reliability" / "seed_export.xml").read_bytes())
    (out / "html").write_bytes(b"\x01<html><body><p>A post.</p><h3>Comments</h3><p>Jane says:<br>Great.</p>")
    return out


def main() -> None:
    import tempfile

    argv = list(sys.argv)
    if not any(a.startswith(("-runs=", "-max_total_time=")) for a in argv[1:]):
        argv.append("-runs=20000")
    work = Path(tempfile.mkdtemp(prefix="fuzz-reader-"))
    if not any(not a.startswith("-") for a in argv[1:]):  # no corpus folder given: start from the seeds
        argv.append(str(seeds(work / "seeds")))
    if not any(a.startswith("-artifact_prefix=") for a in argv[1:]):  # a failing input goes here, not into the repo
        argv.append(f"-artifact_prefix={work}/")
        print(f"fuzz_reader: failing inputs are saved in {work}/", file=sys.stderr)
    atheris.Setup(argv, check)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
