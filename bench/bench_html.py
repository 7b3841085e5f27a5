"""HTML reader benchmark: parse time of the engine fixtures and of hostile pages (median of runs, and per comment),
and the parser choice: selectolax (Lexbor) against lxml and BeautifulSoup on the same pages (when installed).

    .venv/bin/python bench/bench_html.py [--runs 5] [--big 50000] [--json]

Writes bench/results/html_reader.json. Run it alone: CPU time on a shared 2-core box is skewed by other load;
the figures that matter are the ratios and the per-comment cost.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from index.corpus import parse_bytes  # noqa: E402
from index.corpus.html import dom  # noqa: E402

FIXTURES = ROOT / "tests" / "index" / "data" / "html"


def wp_page(n: int, depth: int = 0) -> str:
    def one(i: int, inner: str = "") -> str:
        return (f"<li class='comment' id='li-comment-{i}'><div class='comment-author'><cite class='fn'>Person {i}"
                f"</cite></div><div class='comment-meta'><a>March 3, 2010 at 9:14 am</a></div><p>Comment {i} on "
                f"whether B2B firms need Twitter.</p>{inner}</li>")
    if depth:
        inner = ""
        for i in reversed(range(depth)):
            inner = f"<ul class='children'>{one(i, inner)}</ul>" if i else one(i, inner)
        items = inner
    else:
        items = "".join(one(i) for i in range(n))
    return (f"<html><head><title>Big thread</title></head><body><div class='entry-content'><p>A post.</p></div>"
            f"<ol class='commentlist'>{items}</ol></body></html>")


def timed(fn, runs: int) -> tuple[float, object]:
    ts, out = [], None
    for _ in range(runs):
        t = time.perf_counter()
        out = fn()
        ts.append(time.perf_counter() - t)
    return statistics.median(ts), out


def reader_figures(runs: int, big: int) -> list[dict]:
    pages = {f.name: f.read_text() for f in sorted(FIXTURES.glob("*.html"))}
    pages[f"{big:,} comments (WordPress)"] = wp_page(big)
    pages["reply chain 1,000 deep"] = wp_page(0, depth=1000)
    pages["nesting 9,000 deep"] = "<html><body>" + "<div>" * 9000 + "<p>Deep.</p>" + "</div>" * 9000
    pages["nesting 100,000 deep (refused)"] = "<div>" * 100_000 + "<p>Deep.</p>"
    pages["entity flood (1.4 M entities)"] = "<p>" + "&amp;&lt;&#x1F600;&#0;&#xD800;&#99999999;&bogus;" * 200_000
    rows = []
    for name, html in pages.items():
        data = html.encode("utf-8", "surrogatepass")
        n_runs = 1 if len(data) > 5_000_000 else runs
        sec, page = timed(lambda d=data, nm=name: parse_bytes(d, "p.html", max_bytes=200_000_000), n_runs)
        cs = len(page.comments)
        rows.append({"page": name, "bytes": len(data), "shape": page.shape, "comments": cs,
                     "attributed": round(sum(1 for c in page.comments if c.author) / cs, 3) if cs else None,
                     "median_ms": round(sec * 1000, 1), "ms_per_comment": round(sec * 1000 / cs, 3) if cs else None,
                     "runs": n_runs})
        print(f"{name:36} {len(data) / 1e6:6.2f} MB {page.shape:22} {cs:6} comments {sec * 1000:9.1f} ms",
              flush=True)
    return rows


def parser_figures(runs: int) -> list[dict]:
    """Raw parse + finding every comment's author and text, the same work in each library."""
    html = wp_page(5000)
    out = []

    def sel():
        d = dom.parse(html)
        return [(n.css_first("cite.fn").text(), n.css_first("p").text()) for n in d.css("li.comment")]

    libs = {"selectolax (Lexbor)": sel}
    try:
        import lxml.html

        libs["lxml"] = lambda: [(n.xpath(".//cite")[0].text_content(), n.xpath(".//p")[0].text_content())
                                for n in lxml.html.fromstring(html).xpath("//li[contains(@class,'comment')]")]
        deep = "<html><body>" + "<div>" * 5000 + "<p>Deep text.</p>" + "</div>" * 5000
        lxml_deep = "Deep text." in lxml.html.fromstring(deep).text_content()
    except ImportError:
        lxml_deep = None
    try:
        from bs4 import BeautifulSoup

        libs["BeautifulSoup (html.parser)"] = lambda: [
            (n.select_one("cite.fn").get_text(), n.select_one("p").get_text())
            for n in BeautifulSoup(html, "html.parser").select("li.comment")]
    except ImportError:
        pass
    base = None
    for name, fn in libs.items():
        sec, res = timed(fn, runs)
        assert len(res) == 5000, name
        base = base or sec
        out.append({"library": name, "median_ms_5000_comments": round(sec * 1000, 1), "ratio": round(sec / base, 1)})
        print(f"{name:28} {sec * 1000:8.1f} ms  x{sec / base:.1f}", flush=True)
    if lxml_deep is not None:
        out.append({"library": "lxml", "keeps_text_5000_deep": lxml_deep})
        print(f"lxml keeps the text of a page nested 5,000 deep: {lxml_deep}")
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--big", type=int, default=50_000)
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    result = {"reader": reader_figures(a.runs, a.big), "parsers": parser_figures(a.runs)}
    out = ROOT / "bench" / "results" / "html_reader.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    if a.json:
        print(json.dumps(result))


if __name__ == "__main__":
    main()
