"""docs/benchmarks.md and its plots, generated from bench/results/latest.json (never typed by hand).

    .venv/bin/python bench/report.py [RESULTS] [DOC] [FIGS]    # or: bench/run --report-only

Also fits how cost grows (query time, memory, build time and disk against chunks) and projects it to 10M chunks.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

TARGETS = {"latency_1m_ms": 50.0, "chunks_per_s": 150.0, "cold_start_s": 8.0, "rss_100k_mb": 1536.0,
           "bot_1m_embedded_mb": 1536.0, "bot_1m_server_mb": 1024.0, "open_1m_s": 5.0, "build_1m_s": 1200.0,
           "build_1m_mb": 4096.0}
TEN_M = 10_000_000
PARTS = ("embed", "dense", "lexical", "quotes")


# --- numbers ------------------------------------------------------------------------------------------------------


def fit_linear(xs: list[float], ys: list[float]) -> dict[str, float]:
    """Least squares y = a + b·x, with R²."""
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    b = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sxx if sxx else 0.0
    a = my - b * mx
    ss_tot = sum((y - my) ** 2 for y in ys)
    ss_res = sum((y - a - b * x) ** 2 for x, y in zip(xs, ys, strict=True))
    return {"a": a, "b": b, "r2": 1 - ss_res / ss_tot if ss_tot else 1.0}


def exponent(x1: float, y1: float, x2: float, y2: float) -> float | None:
    """The local growth exponent p of y ∝ x^p between two sizes."""
    if min(x1, y1, x2, y2) <= 0 or x1 == x2:
        return None
    return math.log(y2 / y1) / math.log(x2 / x1)


def project(x1: float, y1: float, x2: float, y2: float, x: float) -> float | None:
    """y at x, continuing the growth exponent seen between the two largest sizes (never below y2)."""
    p = exponent(x1, y1, x2, y2)
    if p is None:
        return None
    return y2 * (x / x2) ** max(p, 0.0)


def fmt_n(n: float) -> str:
    """189, 10k, 101k, 1M, 10M: sizes as a reader says them."""
    n = float(n)
    if n >= 1_000_000:
        return f"{n / 1e6:.3g}M"
    if n >= 1000:
        return f"{n / 1e3:.3g}k"
    return f"{n:.0f}"


def f1(x: Any, nd: int = 1) -> str:
    return "—" if x is None else f"{x:.{nd}f}"


def miss(measured: float, target: float, higher_is_better: bool) -> str:
    """'met' or 'missed by N× (…)' — how far from the target, as a ratio."""
    ok = measured >= target if higher_is_better else measured <= target
    if ok:
        r = measured / target if higher_is_better else target / measured
        return f"**met** ({r:.2f}× margin)"
    r = target / measured if higher_is_better else measured / target
    return f"**missed** by {r:.2f}×"


def growth(r: dict) -> dict:
    """Fits and 10M projections from the latency, bot and build sections."""
    out: dict[str, Any] = {}
    lat = [s for s in r.get("latency", {}).get("sizes", []) if s.get("chunks")]
    lat.sort(key=lambda s: s["chunks"])
    if len(lat) >= 2:
        a, b = lat[-2], lat[-1]
        comp = {}
        for contender in ("embedded", "server"):
            for part in ("total", *PARTS):
                key = "median_ms" if part == "total" else f"median_{part}_ms"
                y1, y2 = a["contenders"][contender][key], b["contenders"][contender][key]
                xs = [s["chunks"] for s in lat]
                ys = [s["contenders"][contender][key] for s in lat]
                comp[f"{contender}.{part}"] = {
                    "exponent": exponent(a["chunks"], y1, b["chunks"], y2),
                    "linear": fit_linear(xs, ys),
                    "at_10M": project(a["chunks"], y1, b["chunks"], y2, TEN_M) if part != "embed" else y2,
                    "at_largest": y2,
                }
        for contender in ("embedded", "server"):
            comp[f"{contender}.sum_10M"] = sum(comp[f"{contender}.{p}"]["at_10M"] or 0.0 for p in PARTS)
        out["latency"] = comp
        out["latency_sizes"] = [a["chunks"], b["chunks"]]
    bot = r.get("bot", {}).get("indexes", {})
    for variant, key in (("torch", "bot_rss"), ("torch+server", "bot_rss_server")):
        pts = sorted((v["records"], v["backends"][variant]["median_peak_rss_mb"]) for v in bot.values()
                     if variant in v["backends"] and v["records"] >= 1000)
        if len(pts) >= 2:
            fit = fit_linear([p[0] for p in pts], [p[1] for p in pts])
            out[key] = {"fit": fit, "mb_per_100k": fit["b"] * 1e5, "at_10M_mb": fit["a"] + fit["b"] * TEN_M,
                        "points": pts}
    builds = r.get("scale_build", {})
    bp = sorted((v["full_cached"]["chunks"], v["full_cached"]["seconds"], v.get("server_copy", {}).get("seconds"),
                 v.get("disk_mb", {}), v["full_cached"].get("peak_rss_mb"), v["full_cached"].get("cpu_s"))
                for v in builds.values() if "full_cached" in v)
    if len(bp) >= 2:
        xs = [p[0] for p in bp]
        fit = fit_linear(xs, [p[1] for p in bp])
        cpu = fit_linear(xs, [p[5] or 0 for p in bp])
        disk = fit_linear(xs, [sum(p[3].get(k, 0) for k in ("chroma", "embedding_cache", "generation")) for p in bp])
        rss = fit_linear(xs, [p[4] or 0 for p in bp])
        out["build"] = {"fit": fit, "at_10M_h": (fit["a"] + fit["b"] * TEN_M) / 3600,
                        "per_1k_chunks_s": fit["b"] * 1000, "cpu_per_1k_chunks_s": cpu["b"] * 1000,
                        "cpu_at_10M_h": (cpu["a"] + cpu["b"] * TEN_M) / 3600,
                        "exponent": exponent(bp[-2][0], bp[-2][1], bp[-1][0], bp[-1][1]),
                        "disk_fit": disk, "disk_at_10M_gb": (disk["a"] + disk["b"] * TEN_M) / 1024,
                        "rss_fit": rss, "rss_at_10M_gb": (rss["a"] + rss["b"] * TEN_M) / 1024,
                        "rss_exponent": exponent(bp[-2][0], bp[-2][4] or 1, bp[-1][0], bp[-1][4] or 1)}
    out["hnsw_vectors_10M_gb"] = TEN_M * 384 * 4 / 2**30
    return out


# --- plots --------------------------------------------------------------------------------------------------------


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update({"figure.dpi": 110, "font.size": 9, "axes.grid": True, "grid.alpha": 0.3})
    return plt


def plot_quality(r: dict, path: Path) -> bool:
    q = (r.get("quality") or {}).get("contenders")
    if not q:
        return False
    plt = _plt()
    names = list(q)
    metrics = ("ndcg@5", "success@5", "precision@5")
    fig, ax = plt.subplots(figsize=(8.5, 3.6))
    w = 0.26
    for j, m in enumerate(metrics):
        xs = [i + (j - 1) * w for i in range(len(names))]
        bars = ax.bar(xs, [q[n][m] for n in names], w, label=m)
        for x, b in zip(xs, bars, strict=True):
            ax.text(x, b.get_height() + 0.01, f"{b.get_height():.2f}", ha="center", va="bottom", fontsize=7)
    ax.set_xticks(range(len(names)), [f"{n.replace('hybrid-', 'hybrid ')}\noff-topic refused {q[n]['abstain']}"
                                      for n in names], fontsize=7)
    ax.set_ylim(0, 1.25)
    ax.set_ylabel("score (higher is better)")
    ax.set_title(f"Retrieval quality on the {r['quality'].get('questions', '?')} development questions")
    ax.legend(loc="upper center", ncols=3)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return True


def plot_latency(r: dict, path: Path) -> bool:
    sizes = sorted((s for s in r.get("latency", {}).get("sizes", [])), key=lambda s: s["chunks"])
    if not sizes:
        return False
    plt = _plt()
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(10, 3.8), gridspec_kw={"width_ratios": [1.25, 1]})
    xs = [s["chunks"] for s in sizes]
    for name, color in (("embedded", "tab:blue"), ("server", "tab:orange")):
        med = [s["contenders"][name]["median_ms"] for s in sizes]
        p90 = [s["contenders"][name]["p90_ms"] for s in sizes]
        ax.plot(xs, med, "o-", color=color, label=f"{'embedded Chroma' if name == 'embedded' else 'Chroma server'}"
                " median")
        ax.plot(xs, p90, "--", color=color, alpha=0.6, label="p90")
    ax.axhline(TARGETS["latency_1m_ms"], color="red", lw=1, ls=":", label="target at 1M: 50 ms")
    ax.set_xscale("log")
    ax.set_xticks(xs, [fmt_n(x) for x in xs])
    ax.minorticks_off()
    ax.set_xlabel("chunks in the index (log)")
    ax.set_ylabel("ms per answer (warm, in process)")
    ax.set_ylim(0, max(max(s["contenders"][n]["p90_ms"] for s in sizes for n in ("embedded", "server")) * 1.15, 60))
    ax.set_title("Answer latency against corpus size")
    ax.legend(fontsize=7)
    labels = [fmt_n(s["chunks"]) for s in sizes]
    bottom = [0.0] * len(sizes)
    for part in PARTS:
        vals = [s["contenders"]["embedded"][f"median_{part}_ms"] for s in sizes]
        bx.bar(labels, vals, bottom=bottom, label=part)
        bottom = [b + v for b, v in zip(bottom, vals, strict=True)]
    bx.axhline(TARGETS["latency_1m_ms"], color="red", lw=1, ls=":")
    bx.set_ylabel("median ms per step (embedded Chroma)")
    bx.set_xlabel("chunks")
    bx.set_title("Where the time goes")
    bx.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return True


def plot_embedding(r: dict, path: Path) -> bool:
    ix = r.get("indexing")
    if not ix:
        return False
    plt = _plt()
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(10, 3.8))
    cps = ix["shipped"]["chunks_per_s"]
    names = list(cps)
    bars = ax.bar(names, [cps[n] for n in names], color=["tab:blue", "tab:green", "tab:purple"][: len(names)])
    for b in bars:
        ax.text(b.get_x() + b.get_width() / 2, b.get_height() + 2, f"{b.get_height():.1f}", ha="center", fontsize=8)
    ax.axhline(TARGETS["chunks_per_s"], color="red", ls=":", lw=1, label="target: 150 chunks/s")
    ax.axhline(ix["shipped"]["ceiling_chunks_per_s"], color="gray", ls="--", lw=1,
               label=f"compute ceiling at {ix['shipped']['mean_pieces']:.0f} word pieces")
    ax.set_ylabel("chunks embedded per second")
    ax.set_title(f"Shipped corpus chunks ({ix['shipped']['chunks']}, mean {ix['shipped']['mean_pieces']:.0f} "
                 "word pieces)")
    ax.legend(fontsize=7)
    bl = ix["by_length"]
    xs = bl["pieces"]
    for n, color in zip(names, ["tab:blue", "tab:green", "tab:purple"], strict=False):
        bx.plot(xs, [bl["chunks_per_s"][n][str(x)] for x in xs], "o-", color=color, label=n)
    bx.plot(xs, [bl["ceiling_chunks_per_s"][str(x)] for x in xs], "--", color="gray",
            label="fp32 compute ceiling (measured matmul peak)")
    bx.axhline(TARGETS["chunks_per_s"], color="red", ls=":", lw=1, label="target: 150 chunks/s")
    bx.set_xscale("log", base=2)
    bx.set_yscale("log")
    bx.set_xticks(xs, [str(x) for x in xs])
    ticks = [t for t in (5, 10, 20, 50, 100, 150, 200, 500, 1000, 2000)
             if min(min(v.values()) for v in bl["chunks_per_s"].values()) / 2 <= t
             <= max(max(v.values()) for v in bl["chunks_per_s"].values()) * 2]
    bx.set_yticks(ticks, [str(t) for t in ticks])
    bx.minorticks_off()
    bx.set_xlabel("word pieces per chunk (log)")
    bx.set_ylabel("chunks per second (log)")
    bx.set_title("Throughput against chunk length")
    bx.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return True


def plot_bot(r: dict, path: Path) -> bool:
    bot = r.get("bot", {}).get("indexes")
    if not bot:
        return False
    plt = _plt()
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(10, 3.6))
    labels = list(bot)
    backends = list(dict.fromkeys(b for v in bot.values() for b in v["backends"]))
    w = 0.8 / len(backends)
    for j, b in enumerate(backends):
        xs = [i + (j - (len(backends) - 1) / 2) * w for i in range(len(labels))]
        got = [bot[lb]["backends"].get(b) or {} for lb in labels]
        ax.bar(xs, [x.get("median_first_answer_s", 0) for x in got], w, label=b)
        bx.bar(xs, [x.get("median_peak_rss_mb", 0) / 1024 for x in got], w, label=b)
    short = [lb if not lb.startswith("synthetic ") else f"synthetic {fmt_n(int(lb.split()[1]))}" for lb in labels]
    ax.set_xticks(range(len(labels)), short)
    bx.set_xticks(range(len(labels)), short)
    ax.axhline(TARGETS["cold_start_s"], color="red", ls=":", lw=1, label="target: 8 s")
    bx.axhline(TARGETS["rss_100k_mb"] / 1024, color="red", ls=":", lw=1, label="target at 100k: 1.5 GB")
    ax.set_ylabel("seconds from process start to the first answer")
    bx.set_ylabel("peak RSS (GB)")
    ax.set_title("Cold start (`adoptbot chat QUESTION`)")
    bx.set_title("Peak memory of that process")
    ax.legend(fontsize=7)
    bx.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return True


def plot_growth(r: dict, g: dict, path: Path) -> bool:
    builds = sorted((v for v in r.get("scale_build", {}).values() if "full_cached" in v),
                    key=lambda v: v["full_cached"]["chunks"])
    if len(builds) < 2 or "build" not in g:
        return False
    plt = _plt()
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(10, 3.6))
    xs = [v["full_cached"]["chunks"] for v in builds]
    stages = sorted(builds[-1]["full_cached"]["stages"], key=lambda k: -builds[-1]["full_cached"]["stages"][k])
    bottom = [0.0] * len(xs)
    labels = [fmt_n(x) for x in xs]
    for st in stages:
        vals = [v["full_cached"]["stages"].get(st, 0.0) / 60 for v in builds]
        ax.bar(labels, vals, bottom=bottom, label=st)
        bottom = [b + v for b, v in zip(bottom, vals, strict=True)]
    ax.set_ylabel("minutes")
    ax.set_xlabel("chunks")
    ax.set_title("Full build by stage (`index build`, every vector cached)", fontsize=9)
    ax.legend(fontsize=6, ncol=2)
    grid = [1e3, 1e4, 1e5, 1e6, TEN_M]
    for key, colour, what in (("bot_rss", "tab:blue", "bot process, embedded Chroma"),
                              ("bot_rss_server", "tab:green", "bot process, Chroma server")):
        if key in g:
            pts, fit = g[key]["points"], g[key]["fit"]
            bx.plot([p[0] for p in pts], [p[1] / 1024 for p in pts], "o", color=colour, label=f"{what}, measured")
            flat = g[key]["mb_per_100k"] < 10  # as in growth_md: no slope to project
            line = [max(p[1] for p in pts)] * len(grid) if flat else [fit["a"] + fit["b"] * x for x in grid]
            bx.plot(grid, [y / 1024 for y in line], "--" if flat else "-", color=colour, alpha=0.5,
                    label="flat" if flat else "linear fit")
    bf = g["build"]["rss_fit"]
    bx.plot(xs, [(v["full_cached"].get("peak_rss_mb") or 0) / 1024 for v in builds], "s", color="tab:orange",
            label="build process, measured")
    bx.plot(grid, [max(0.05, (bf["a"] + bf["b"] * x) / 1024) for x in grid], "-", color="tab:orange", alpha=0.5,
            label="linear fit")
    mem = r.get("machine", {}).get("mem_gb")
    if mem:
        bx.axhline(mem, color="red", ls=":", lw=1, label=f"this machine's RAM ({mem:g} GB)")
    bx.set_xscale("log")
    bx.set_yscale("log")
    bx.set_xlabel("records / chunks (log)")
    bx.set_ylabel("peak RSS, GB (log)")
    bx.set_title("Memory against corpus size, projected to 10M")
    bx.legend(fontsize=6)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return True


# --- the document -------------------------------------------------------------------------------------------------


def _table(head: list[str], rows: list[list[Any]]) -> str:
    out = ["| " + " | ".join(head) + " |", "|" + "|".join("---" if i == 0 else "---:" for i in range(len(head))) + "|"]
    out += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(out)


def render(r: dict, figs_rel: str, figs_ok: dict[str, bool]) -> str:
    g = growth(r)
    r["growth"] = g
    m = r.get("machine", {})
    L: list[str] = []
    add = L.append
    add("# Benchmarks")
    add("")
    add("<!-- generated by bench/report.py from bench/results/latest.json: edit those, not this file -->")
    add("")
    add(f"Measured by `{r.get('command', 'bench/run')}` on {r.get('generated_at', '?')}: {m.get('cpus')} cores "
        f"({m.get('cpu', '?')}), {m.get('mem_gb')} GB RAM, no GPU; Python {m.get('python')}, torch "
        f"{m.get('torch')}, chromadb {m.get('chromadb')}, onnxruntime {m.get('onnxruntime') or 'not installed'}."
        + (" **Quick smoke run: tiny sizes, one round; the figures mean nothing.**" if r.get("quick") else "")
        + (" That run measured only the sections it names; every other section keeps the figures of the run that last"
           " measured it (the section's own load and date say which)." if "--only" in str(r.get("command")) else ""))
    add("")
    add("How: each section runs in its own process; inside it, the contenders run in the same process, alternating "
        "(the order rotates every round), and every figure is a median over rounds and questions, with ratios "
        "between contenders. The cores are shared with other jobs, so the 1-minute load average is recorded next "
        "to each section: compare ratios within a table rather than absolute times across tables.")
    add("")
    add(summary(r, g))
    if r.get("scale_1m"):
        add(scale_1m_md(r))
    sections = (quality_md, latency_md, indexing_md, bot_md, scale_md, engines_md)
    for fn in sections:
        text = fn(r, figs_rel, figs_ok)
        if text:
            add(text)
    add(growth_md(r, g, figs_rel, figs_ok))
    add(reproduce_md())
    return "\n".join(L).rstrip() + "\n"


def _lat_at(r: dict, chunks_at_least: int) -> dict | None:
    sizes = sorted(r.get("latency", {}).get("sizes", []), key=lambda s: s["chunks"])
    big = [s for s in sizes if s["chunks"] >= chunks_at_least]
    return big[0] if big else None


def _bot_at(r: dict, records_at_least: int) -> tuple[str, dict] | None:
    bot = r.get("bot", {}).get("indexes", {})
    hit = sorted(((k, v) for k, v in bot.items() if v["records"] >= records_at_least), key=lambda kv: kv[1]["records"])
    return hit[0] if hit else None


def summary(r: dict, g: dict) -> str:
    rows = []
    lat = (r.get("scale_1m") or {}).get("latency") or _lat_at(r, 900_000)  # the current design's, when measured
    if lat:
        e = lat["contenders"]["embedded"]
        rows.append(["query latency at 1M chunks, embedded Chroma, median", "≤ 50 ms",
                     f"{e['median_ms']:.1f} ms ({lat['chunks']:,} chunks; p90 {e['p90_ms']:.1f} ms)",
                     miss(e["median_ms"], TARGETS["latency_1m_ms"], False)])
    elif r.get("latency"):
        big = max(r["latency"]["sizes"], key=lambda s: s["chunks"])
        proj = g.get("latency", {}).get("embedded.total", {})
        rows.append(["query latency at 1M chunks, embedded Chroma, median", "≤ 50 ms",
                     f"not measured (largest: {big['chunks']:,} chunks, {big['contenders']['embedded']['median_ms']}"
                     " ms)", "—" if not proj else "see growth"])
    ix = r.get("indexing")
    if ix:
        t = ix["shipped"]["chunks_per_s"]["torch"]
        rows.append(["chunks embedded per second, default backend (torch)", "≥ 150 /s",
                     f"{t:.1f} /s (shipped chunks, mean {ix['shipped']['mean_pieces']:.0f} word pieces)",
                     miss(t, TARGETS["chunks_per_s"], True)])
    shipped = r.get("bot", {}).get("indexes", {}).get("shipped")
    if shipped:
        s = shipped["backends"]["torch"]["median_first_answer_s"]
        rows.append(["bot process: cold start to the first answer (index present)", "≤ 8 s",
                     f"{s:.2f} s (median of {shipped['runs']})", miss(s, TARGETS["cold_start_s"], False)])
    b100 = _bot_at(r, 90_000)
    if b100:
        label, v = b100
        mb = v["backends"]["torch"]["median_peak_rss_mb"]
        rows.append([f"bot process: peak memory, {v['records']:,} comments ({label})", "≤ 1.5 GB",
                     f"{mb / 1024:.2f} GB", miss(mb, TARGETS["rss_100k_mb"], False)])
    if shipped:
        mb = shipped["backends"]["torch"]["median_peak_rss_mb"]
        rows.append(["bot process: peak memory, shipped corpus", "—", f"{mb / 1024:.2f} GB", ""])
    rows += scale_targets(r)
    if not rows:
        return ""
    return "## Targets\n\n" + _table(["what", "target", "measured", ""], rows) + "\n"


def scale_targets(r: dict) -> list[list[str]]:
    """Issue 15's targets at 1.01M chunks: the bot process, opening the index, a full build and a no-op one."""
    if r.get("scale_1m"):
        return []  # measured with the new design in their own section (scale_1m_md)
    rows = []
    b1m = _bot_at(r, 900_000)
    if b1m:
        label, v = b1m
        for variant, what, key in (("torch", "embedded Chroma", "bot_1m_embedded_mb"),
                                   ("torch+server", "Chroma server", "bot_1m_server_mb")):
            x = v["backends"].get(variant)
            if x:
                mb = x["median_peak_rss_mb"]
                rows.append([f"bot process at {v['records']:,} records, {what}: peak memory",
                             f"≤ {TARGETS[key] / 1024:.1f} GB", f"{mb / 1024:.2f} GB", miss(mb, TARGETS[key], False)])
    lat = _lat_at(r, 900_000)
    if lat:
        rows.append([f"bot process at {lat['chunks']:,} chunks, embedded: opening the index (and a warm-up answer)",
                     "≤ 5 s", f"{lat['open_s']:.2f} s (server: {lat.get('open_server_s', float('nan')):.2f} s)",
                     miss(lat["open_s"], TARGETS["open_1m_s"], False)])
    big = [v for v in r.get("scale_build", {}).values() if v.get("full_cached", {}).get("chunks", 0) >= 900_000]
    if big:
        f, n = big[0]["full_cached"], big[0].get("noop", {})
        rows.append([f"full build of {f['chunks']:,} chunks, vectors cached: time", "≤ 20 min",
                     f"{f['seconds'] / 60:.1f} min (CPU {f['cpu_s'] / 60:.1f} min; load {f['load_avg_start']}"
                     f"→{f['load_avg_end']})", miss(f["seconds"], TARGETS["build_1m_s"], False)])
        rows.append(["the same build: peak memory", "≤ 4 GB", f"{f['peak_rss_mb'] / 1024:.2f} GB",
                     miss(f["peak_rss_mb"], TARGETS["build_1m_mb"], False)])
        if n:
            rows.append(["no-op rebuild of it", "a small fraction", f"{n['seconds'] / 60:.1f} min, "
                         f"{n['seconds'] / f['seconds']:.2f}× the full build", ""])
    return rows


def quality_md(r: dict, figs: str, ok: dict) -> str:
    q = r.get("quality")
    if not q:
        return ""
    if "skipped" in q:
        return f"## Quality\n\nNot measured in this run: {q['skipped']}.\n"
    rows = []
    desc = {"hybrid": "adoptbot, hybrid (default)", "dense": "adoptbot, dense only", "bm25": "adoptbot, BM25 only",
            "naive": "naive peer: each comment (and post) embedded whole, plain Chroma query, top 5",
            "hybrid-onnx": "adoptbot hybrid, ONNX fp32 query embedder",
            "hybrid-onnx-int8": "adoptbot hybrid, ONNX int8 (its own int8 index)"}
    for n, v in q["contenders"].items():
        rows.append([desc.get(n, n), v["ndcg@5"], v["success@5"], v["precision@5"], v["abstain"], v["false_abstain"],
                     v["verbatim"], f"{v['median_ms']:.1f}", f"{q['ratio_ms_vs_hybrid'][n]:.2f}×"])
    out = ["## Quality", "",
           f"The {q['questions']} development questions (`../shared/eval/questions_dev.jsonl`, {q['on_topic']} "
           f"on-topic with graded gold, {q['questions'] - q['on_topic']} off-topic) on the shipped corpus "
           f"({q['build']['chunks']} chunks, {q.get('naive_records', '?')} records), scored the way "
           "`../shared/eval/score_retrieval.py` scores them (its `verbatim` function and the same nDCG@5, "
           "success@5 and precision@5 code over the same parsed records). Refused: off-topic questions answered "
           "\"nothing on this\" (higher is better) and on-topic questions wrongly refused. Latency: warm, in process, "
           f"all contenders alternating, median over {q['rounds']} rounds (load average "
           f"{q.get('load_avg_start')}→{q.get('load_avg_end')}).", "",
           _table(["contender", "nDCG@5", "success@5", "precision@5", "off-topic refused", "on-topic refused",
                   "verbatim", "median ms", "time vs hybrid"], rows), ""]
    if "scorer" in q:
        agree = q.get("scorer_agrees", {})
        sc = q["scorer"]
        if "error" in sc:
            out.append(f"The scorer itself failed in this run: `{sc['error'][-200:]}`.")
        else:
            same = all(agree.values())
            out.append("The scorer itself, run as its docstring says (it builds its own index through the CLI), "
                       "gives " + "; ".join(f"{mode} {sc[mode]['ndcg@5']} / {sc[mode]['success@5']} / "
                                             f"{sc[mode]['precision@5']}" for mode in ("hybrid", "dense", "bm25"))
                       + " (nDCG@5 / success@5 / precision@5): "
                       + ("the same figures as the table." if same else
                          "**not** the same as the table for " + ", ".join(k for k, v in agree.items() if not v)
                          + "."))
        out.append("")
    c = q["contenders"]
    if "naive" in c:
        h, nv = c["hybrid"], c["naive"]
        out.append(f"The naive peer finds less (nDCG@5 {nv['ndcg@5']} against {h['ndcg@5']}, precision@5 "
                   f"{nv['precision@5']} against {h['precision@5']}) and never refuses (off-topic refused "
                   f"{nv['abstain']}): it answers \"How do I bake sourdough bread?\" with five comments. Its "
                   "quotes are whole comments, so they are verbatim by construction, but a reader gets a wall of "
                   "text instead of the sentences that answer.")
    if "hybrid-onnx" in c:
        o, h = c["hybrid-onnx"], c["hybrid"]
        same = all(o[k] == h[k] for k in ("ndcg@5", "success@5", "precision@5", "abstain", "false_abstain"))
        faster = q["ratio_ms_vs_hybrid"]["hybrid-onnx"]
        out.append("")
        out.append(f"**ONNX fp32 as the query embedder: {'the same quality' if same else 'different quality'}"
                   f"** (it computes the same vectors) at {faster:.2f}× the torch hybrid's answer time "
                   f"({o['median_ms']:.1f} ms against {h['median_ms']:.1f} ms). "
                   + ("So for answering questions ONNX is the faster choice, with identical answers: since "
                      "2026-12-02 the CLI and the bot embed questions with it by default over the same torch-built "
                      "index (`ADOPTBOT_EMBED_QUERY_BACKEND=auto`, one onnxruntime thread; docs/retrieval.md, "
                      "\"Latency\"). The other latency figures on this page were measured with torch questions "
                      "before that change, so they are upper bounds."
                      if same and faster < 0.95 else ""))
    if "hybrid-onnx-int8" in c:
        i8, h = c["hybrid-onnx-int8"], c["hybrid"]
        out.append("")
        out.append(f"**ONNX int8** (its own index of int8 vectors): nDCG@5 {i8['ndcg@5']} / success@5 "
                   f"{i8['success@5']} against {h['ndcg@5']} / {h['success@5']}, at "
                   f"{q['ratio_ms_vs_hybrid']['hybrid-onnx-int8']:.2f}× the time: "
                   + ("quality holds." if i8["ndcg@5"] >= h["ndcg@5"] - 0.005 and i8["success@5"] >= h["success@5"]
                      else "it loses quality, so it is not recommended."))
    if ok.get("quality"):
        out += ["", f"![quality]({figs}/quality.png)"]
    return "\n".join(out) + "\n"


def latency_md(r: dict, figs: str, ok: dict) -> str:
    lat = r.get("latency")
    if not lat:
        return ""
    sizes = sorted(lat["sizes"], key=lambda s: s["chunks"])
    rows = []
    for s in sizes:
        e, v = s["contenders"]["embedded"], s["contenders"]["server"]
        label = "shipped corpus" if s["label"] == "shipped" else f"synthetic {fmt_n(s['label'])}"
        rows.append([label, f"{s['chunks']:,}", f"{e['median_ms']:.1f} / {e['p90_ms']:.1f}",
                     f"{v['median_ms']:.1f} / {v['p90_ms']:.1f}", f"{s['ratio_server_vs_embedded']:.2f}×",
                     " / ".join(f1(e[f"median_{p}_ms"]) for p in PARTS),
                     f"{s['open_s']:.1f}", f"{s['load_avg_start']}"])
    q = sizes[0]
    out = ["## Query latency against corpus size", "",
           f"One warm question at a time in one process: embedding the question (torch, one thread), dense search "
           f"(Chroma, 80 candidates), BM25 (80 candidates), fusion and quote cutting; `timings_ms` of the answer. "
           f"{q['questions']} questions (the development and held-out questions) × {q['rounds']} rounds, the "
           "embedded store and a Chroma server (`chroma run` on 127.0.0.1, its own data folder) alternating question "
           "by question over the same generation (same chunks, BM25 and records; only the vector store differs). "
           "Synthetic corpora: `bench/synth.py` (deterministic WordPress exports, one chunk per comment), built by "
           "the real `build_index`; their vectors are the normalised mean of real sentence vectors (each distinct "
           "sentence embedded once), so the index has a realistic neighbourhood structure without paying the "
           "model for every chunk (its cost is measured under Indexing). The server copy is made as the README's "
           "migration does it (`index build` with `CHROMA_HOST`, vectors from the embedding cache).", "",
           _table(["index", "chunks", "embedded median / p90 ms", "server median / p90 ms", "server ÷ embedded",
                   "embedded: embed / dense / BM25 / quotes ms", "open s", "load avg"], rows), ""]
    srv = max((s.get("server_mem_mb", {}).get("VmHWM", 0) for s in sizes), default=0)
    out.append("`open s`: opening the index and warming the answerer in a running process (reading chunks, records "
               "and BM25, term statistics, loading the HNSW index), the part of a bot's start-up that grows with the "
               "corpus. Peak RSS of the benchmark process (one copy of chunks, records and BM25 shared by both "
               "contenders, plus embedded Chroma's index; the shipped row also built its index): " + "; ".join(
                   f"{fmt_n(s['chunks'])}: {s.get('peak_rss_mb', 0) / 1024:.1f} GB" for s in sizes)
               + (f". The Chroma server, holding every size's collection, peaked at {srv / 1024:.1f} GB." if srv
                  else "."))
    e1, s1 = sizes[-1]["contenders"]["embedded"], sizes[-1]["contenders"]["server"]
    out.append("")
    out.append(f"The server costs {s1['median_dense_ms'] - e1['median_dense_ms']:.1f} ms more per dense search at "
               f"{fmt_n(sizes[-1]['chunks'])} chunks (an HTTP round trip; the search itself is the same HNSW), "
               f"{sizes[-1]['ratio_server_vs_embedded']:.2f}× the embedded answer time overall; what it buys is "
               "the index out of the bot's process (see the bot's memory below) and one store for several bots.")
    if ok.get("latency"):
        out += ["", f"![latency]({figs}/latency.png)"]
    return "\n".join(out) + "\n"


def indexing_md(r: dict, figs: str, ok: dict) -> str:
    ix = r.get("indexing")
    if not ix:
        return ""
    sh = ix["shipped"]
    cpus = r.get("machine", {}).get("cpus", 2)
    mm = ix["matmul_gflops"]
    peak = ix.get("peak_gflops") or max(mm.values())
    rows = [[b, f"{sh['chunks_per_s'][b]:.1f}", f"{sh['ratio_vs_torch'][b]:.2f}×",
             f"{sh['effective_gflops'][b]:.0f}", ", ".join(f"{x:.1f}" for x in sh["runs"][b])]
            for b in sh["chunks_per_s"]]
    bl = ix["by_length"]
    lrows = [[str(n), f"{bl['gflop_per_chunk'][str(n)]:.2f}"]
             + [f"{bl['chunks_per_s'][b][str(n)]:.1f}" for b in bl["chunks_per_s"]]
             + [f"{bl['ceiling_chunks_per_s'][str(n)]:.0f}"] for n in bl["pieces"]]
    t = sh["chunks_per_s"]["torch"]
    need = TARGETS["chunks_per_s"] * sh["gflop_per_chunk"]
    reach = [n for n in bl["pieces"] if bl["chunks_per_s"]["torch"][str(n)] >= TARGETS["chunks_per_s"]]
    out = ["## Indexing", "",
           f"Chunks embedded per second, batch {sh['batch_size']}, all {cpus} cores (as `adoptbot index build` runs), "
           f"backends alternating, median of {ix['rounds']} rounds over the shipped corpus's {sh['chunks']} chunks "
           f"(mean {sh['mean_pieces']:.0f}, median {sh['median_pieces']:.0f} word pieces; load average "
           f"{ix.get('load_avg_start')}→{ix.get('load_avg_end')}).", "",
           _table(["backend", "chunks/s", "vs torch", "effective GFLOP/s", "rounds"], rows), "",
           f"**Why 150 chunks/s is out of reach for chunks this long.** One chunk of {sh['mean_pieces']:.0f} word "
           f"pieces costs {sh['gflop_per_chunk']:.2f} GFLOP in the model (6 layers × (Q/K/V/O projections + "
           "feed-forward + attention), 2 FLOPs per multiply-add). 150 chunks/s would need "
           f"{need:.0f} GFLOP/s; a 1024×1024 fp32 matmul, the best case for these cores, reaches {mm['1_thread']:.0f} "
           f"GFLOP/s on one thread and {mm.get(f'{cpus}_threads', 0):.0f} on {cpus} threads (measured in the same "
           f"run, the cores shared). Even with every core at the one-thread peak ({peak:.0f} GFLOP/s) the "
           f"ceiling is {sh['ceiling_chunks_per_s']:.0f} chunks/s, so the target is missed by "
           f"{TARGETS['chunks_per_s'] / t:.1f}× as measured and would be missed by "
           f"{TARGETS['chunks_per_s'] / sh['ceiling_chunks_per_s']:.1f}× at 100% of peak. torch reaches "
           f"{sh['effective_gflops']['torch'] / peak:.0%} of that peak (attention softmax, layer norms, GELU, "
           "tokenization and pooling are not matmuls). The same model on short texts is another story:", "",
           _table(["word pieces per chunk", "GFLOP per chunk", *[f"{b} chunks/s" for b in bl["chunks_per_s"]],
                   "fp32 ceiling chunks/s"], lrows), "",
           (f"With the default backend 150 chunks/s is reached at {reach[-1]} word pieces per chunk or fewer: the "
            "target fits tweet-length chunks, not the ~115-token chunks of blog comments."
            if reach else "The default backend stays below 150 chunks/s at every length measured.")]
    if "onnx-int8" in sh["chunks_per_s"]:
        out[-1] += (f" ONNX int8 embeds {sh['ratio_vs_torch']['onnx-int8']:.2f}× as fast as torch but changes the "
                    "vectors (see Quality for what it costs in retrieval).")
    rb = ix.get("rebuild", {})
    if rb:
        rr = [["in process (model loaded)", f"{rb['in_process']['full_s']:.2f}", f"{rb['in_process']['noop_s']:.3f}",
               f"{rb['in_process']['ratio']:.3f}"]]
        if "processes" in rb:
            rr.append(["`adoptbot index build` processes", f"{rb['processes']['full_s']:.2f}",
                       f"{rb['processes']['noop_s']:.2f}", f"{rb['processes']['ratio']:.3f}"])
        out += ["", "**A no-op rebuild against a full one** (shipped corpus; a full build of a fresh data folder, then "
                "the same build again, which finds nothing changed, never loads the model and writes no generation; "
                f"medians of {ix['rounds']} rounds):", "", _table(["", "full s", "no-op s", "no-op ÷ full"], rr)]
        if "processes" in rb:
            out.append("")
            out.append("As processes the no-op is dominated by start-up (Python, pydantic, chromadb imports), not by "
                       "index work.")
    if ok.get("embedding"):
        out += ["", f"![embedding]({figs}/embedding.png)"]
    return "\n".join(out) + "\n"


def bot_md(r: dict, figs: str, ok: dict) -> str:
    b = r.get("bot")
    if not b:
        return ""
    rows = []
    for label, v in b["indexes"].items():
        for be, x in v["backends"].items():
            be = be.replace("+server", ", Chroma server") if "+" in be else f"{be}, embedded Chroma"
            rows.append([label, f"{v['records']:,}", be, f"{x['median_first_answer_s']:.2f}",
                         ", ".join(f"{s:.2f}" for s in x["first_answer_runs_s"]),
                         f"{x['median_peak_rss_mb'] / 1024:.2f}", "yes" if x["all_ok"] else "**no**"])
    an = b.get("anatomy_s", {})
    total = sum(v for v in an.values() if v)
    imports = sum(v for k, v in an.items() if k.startswith("import"))
    out = ["## The bot process", "",
           f"`adoptbot chat \"{b['question']}\"` with the index present, from process start to the first answer "
           "line on its stdout (unbuffered), and the peak RSS of that process (wait4 from a small launcher: a "
           "child's `ru_maxrss` starts at its parent's RSS). The chat builds the same `Answers` (model, index, "
           "answerer) as the Discord bot and renders the same card; the bot also imports discord.py and connects "
           f"to the gateway. torch and ONNX alternate, and, for the synthetic indexes, torch with the vectors on the "
           f"Chroma server (`CHROMA_HOST`: the bots of a several-bots deployment; the server's own memory is not "
           f"the bot's) (load average {b.get('load_avg_start')}→{b.get('load_avg_end')}).", "",
           _table(["index", "records", "backend", "first answer s (median)", "runs", "peak RSS GB", "answered"], rows),
           ""]
    if an:
        out.append(f"Where the start-up goes (shipped corpus, torch, median of the runs, {total:.2f} s in all; "
                   f"imports are {imports:.2f} s of it):")
        out.append("")
        out.append(_table(["step", "s"], [[k, f"{v:.2f}"] for k, v in an.items()]))
        out.append("")
        out.append("Importing the libraries is most of a cold start; reading the model and the index is not.")
    sh = b["indexes"].get("shipped", {}).get("backends", {})
    if "onnx" in sh and "torch" in sh:
        o, t = sh["onnx"]["median_first_answer_s"], sh["torch"]["median_first_answer_s"]
        out.append("")
        out.append(f"The ONNX backend starts in {o:.2f} s against {t:.2f} s for torch ({o / t:.2f}×) with "
                   f"{sh['onnx']['median_peak_rss_mb'] / 1024:.2f} GB against "
                   f"{sh['torch']['median_peak_rss_mb'] / 1024:.2f} GB: it never imports torch, transformers, "
                   "sentence-transformers or scikit-learn (the exported model runs on onnxruntime with the "
                   "tokenizers library), and it answers with the same vectors (see Quality).")
    if ok.get("bot"):
        out += ["", f"![bot]({figs}/bot.png)"]
    return "\n".join(out) + "\n"


def scale_1m_md(r: dict) -> str:
    """Issue 15's targets at 1.01M chunks with the new storage design (store on disk, memory-mapped BM25 and sentence
    vectors, streaming builds): bench/suite.py's scale-build, bot and latency sections on one synthetic index."""
    x = r.get("scale_1m")
    if not x:
        return ""
    rows: list[list[str]] = []
    bot = (x.get("bot") or {}).get("backends", {})
    lat = x.get("latency") or {}
    build = x.get("build") or {}
    full = x.get("full_cached") or {}
    noop = x.get("noop") or {}
    n_rec = (x.get("bot") or {}).get("records") or lat.get("records")
    n_chunks = lat.get("chunks") or build.get("chunks")
    for variant, what, key in (("torch", "embedded Chroma", "bot_1m_embedded_mb"),
                               ("torch+server", "a Chroma server", "bot_1m_server_mb")):
        b = bot.get(variant)
        rows.append([f"bot process (`adoptbot chat`), {what}: peak memory", f"≤ {TARGETS[key] / 1024:.1f} GB",
                     f"{b['median_peak_rss_mb'] / 1024:.2f} GB (first answer after {b['median_first_answer_s']:.1f} s)"
                     if b else "not measured (no server copy of the 1M index in this run)",
                     miss(b["median_peak_rss_mb"], TARGETS[key], False) if b else "—"])
    if lat:
        rows.append(["opening the index in a running process, embedded (with a warm-up answer)", "≤ 5 s",
                     f"{lat['open_s']:.2f} s", miss(lat["open_s"], TARGETS["open_1m_s"], False)])
        e = lat["contenders"]["embedded"]
        rows.append(["warm answer, embedded Chroma, median", "≤ 50 ms",
                     f"{e['median_ms']:.1f} ms (p90 {e['p90_ms']:.1f}; embed / dense / BM25 / quotes "
                     f"{e['median_embed_ms']:.1f} / {e['median_dense_ms']:.1f} / {e['median_lexical_ms']:.1f} / "
                     f"{e['median_quotes_ms']:.1f} ms; load {lat['load_avg_start']}→{lat['load_avg_end']})",
                     miss(e["median_ms"], TARGETS["latency_1m_ms"], False)])
    if full:
        rows.append(["full build, vectors cached (`adoptbot index build`): time", "≤ 20 min",
                     f"{full['seconds'] / 60:.1f} min", miss(full["seconds"], TARGETS["build_1m_s"], False)])
        rows.append(["the same build: peak memory", "≤ 4 GB", f"{full['peak_rss_mb'] / 1024:.2f} GB",
                     miss(full["peak_rss_mb"], TARGETS["build_1m_mb"], False)])
    elif build:
        mins = build["seconds"] / 60
        rows.append(["full build: time", "≤ 20 min",
                     f"{mins:.1f} min for the first build (in the benchmark process, vectors from the sentence "
                     f"table; load {build['load_avg_start']}→{build['load_avg_end']}); the cached-vector "
                     "`adoptbot index build` was not run", miss(build["seconds"], TARGETS["build_1m_s"], False)])
        rows.append(["the same build: peak memory", "≤ 4 GB",
                     f"{build['peak_rss_mb'] / 1024:.2f} GB (the benchmark process: the model and sentence table "
                     "included)", miss(build["peak_rss_mb"], TARGETS["build_1m_mb"], False)])
    whole = full or build
    rows.append(["no-op rebuild (`adoptbot index build`, nothing changed)", "a small fraction of a full one",
                 f"{noop['seconds'] / 60:.1f} min, {noop['seconds'] / whole['seconds']:.2f}× the full build; peak "
                 f"{noop['peak_rss_mb'] / 1024:.2f} GB (embedded Chroma loads its index to check the ids; load "
                 f"{noop['load_avg_start']}→{noop['load_avg_end']})" if noop and whole else "not measured in this run",
                 ""])
    out = ["## Issue 15: the new storage design at 1.01M chunks", "",
           f"{x.get('note', '')} Index: {fmt_n(n_chunks or 0)} chunks, {fmt_n(n_rec or 0)} records "
           f"(`bench/synth.py`); measured {x.get('measured_at', '?')}; 1-minute load average during the runs "
           f"{x.get('load', '?')} on the 2 shared cores (other engineers' test runs).", "",
           _table(["what", "target", "measured", ""], rows), ""]
    if build.get("stages"):
        st = build["stages"]
        out += [f"Where the first build's {build['seconds'] / 60:.0f} minutes went (seconds per step; the steps "
                "interleave batch by batch):", "",
                _table(["step", "s", "share"], [[k, f"{st[k]:.0f}", f"{st[k] / build['seconds']:.0%}"]
                                                for k in sorted(st, key=lambda k: -st[k])]), ""]
    if x.get("disk_mb"):
        out += ["On disk (MB): " + ", ".join(f"{k} {v:,.0f}" for k, v in x["disk_mb"].items()) + ".", ""]
    if x.get("projection"):
        out += [x["projection"], ""]
    return "\n".join(out) + "\n"


def scale_md(r: dict, figs: str, ok: dict) -> str:
    """Building at scale: `adoptbot index build` as a process, every vector cached, then the no-op rebuild."""
    builds = sorted((v for v in r.get("scale_build", {}).values() if "full_cached" in v),
                    key=lambda v: v["full_cached"]["chunks"])
    if not builds:
        return ""
    rows = []
    for v in builds:
        f, n, c = v["full_cached"], v.get("noop") or {}, v.get("server_copy") or {}
        d = v.get("disk_mb", {})
        rows.append([fmt_n(f["chunks"]), f"{f['seconds']:.0f}", f"{f['cpu_s']:.0f}", f"{f['peak_rss_mb'] / 1024:.2f}",
                     f1(n.get("seconds"), 0), f"{n['peak_rss_mb'] / 1024:.2f}" if n else "—",
                     f"{n['seconds'] / f['seconds']:.2f}" if n else "—", f1(c.get("seconds"), 0),
                     f"{d.get('chroma', 0):.0f} / {d.get('generation', 0):.0f} / {d.get('embedding_cache', 0):.0f}",
                     f"{f['load_avg_start']}→{f['load_avg_end']}"])
    big = builds[-1]["full_cached"]
    st = big["stages"]
    total = big["seconds"]
    srows = [[k, f"{st[k]:.0f}", f"{st[k] / total:.0%}"] for k in sorted(st, key=lambda k: -st[k])]
    out = ["## Building at scale", "",
           "`adoptbot index build --json` as its own process (wall and CPU seconds; peak RSS of the build and its "
           "vector-writer process together, sampled every 0.2 s: embedded Chroma and 32 MB of pages or more, so the "
           "101k and 1.01M rows; the 10.1k build writes in process), into a "
           "fresh data folder whose embedding cache already holds every vector (a full build without the model: "
           "reading, chunking, the store, the lexical index, Chroma, topics, swap), then the same command again "
           "(a no-op: nothing changed). The server copy is the same command with `CHROMA_HOST` set. Disk: Chroma / "
           "the generation (store and lexical index) / the embedding cache, MB.", "",
           _table(["chunks", "full s", "full CPU s", "full peak GB", "no-op s", "no-op peak GB", "no-op ÷ full",
                   "server copy s", "disk MB", "load avg"], rows), "",
           f"Where the largest build's time went (seconds per step; the steps interleave batch by batch, measured "
           f"inside the build; {fmt_n(big['chunks'])} chunks; with a writer process, `store` is the time the build "
           "waited for it):", "",
           _table(["step", "s", "share"], srows), ""]
    return "\n".join(out) + "\n"


def engines_md(r: dict, figs: str, ok: dict) -> str:
    """The storage choices measured on their own: Chroma writes, and the lexical index."""
    e = r.get("engines")
    if not e:
        return ""
    out = ["## Storage engines", ""]
    st = (e.get("store") or {}).get("store")
    if st:
        desc = {"old": "upsert, chunk text as documents + 4 metadata fields, 1,000 per call (the build before)",
                "no-docs": "upsert, ids and vectors only, 1,000 per call",
                "add": "add, ids and vectors only, Chroma's batch limit per call (the build now)",
                "add-sync": "the same, HNSW persisted every 100,000 writes instead of 1,000"}
        rows = [[desc.get(x["variant"], x["variant"]), f"{x['wall_s']:.0f}", f"{x['cpu_s']:.0f}",
                 f"{x['wall_vs_old']:.2f}×", f"{x['cpu_vs_old']:.2f}×", f"{x['disk_mb']:.0f}", f"{x['load_avg']}"]
                for x in st]
        out += [f"**Where a build's store time went.** {st[0]['n']:,} vectors written into a fresh embedded "
                "collection, each way in its own process (`bench/bench_store.py`):", "",
                _table(["how", "wall s", "CPU s", "wall vs before", "CPU vs before", "disk MB", "load avg"], rows), ""]
    lx = e.get("lexical")
    if lx:
        names = {"bm25s": "bm25s in memory (before)", "ours": "ours: CSC memory-mapped, streamed build (now)",
                 "fts5": "SQLite FTS5, bm25() ranking"}
        rows = []
        for k, x in lx["engines"].items():
            rows.append([names.get(k, k), f1(x.get("build_s")), f"{x['build_peak_mb'] / 1024:.2f}" if
                         x.get("build_peak_mb") else "—", f1(x.get("disk_mb"), 0), f"{x['open_s']:.2f}",
                         f"{x['median_ms']:.2f} / {x['p90_ms']:.2f}", f"{x['rss_growth_mb']:.0f}",
                         f"{x['same_top80_as_bm25s']}/{lx['questions']}", f"{x['top10_overlap_with_bm25s']:.2f}"])
        out += [f"**The lexical index.** {lx['docs']:,} synthetic comments, the {lx['questions']} development and "
                f"held-out questions × 3 rounds, top {lx['k']} each; every engine built and queried in its own "
                f"process (`bench/bench_lexical.py`; load {lx['load_avg_start']}→{lx['load_avg_end']}). RSS growth: "
                "the process's resident memory after opening and querying, less before.", "",
                _table(["engine", "build s", "build peak GB", "disk MB", "open s", "query median / p90 ms",
                        "RSS growth MB", "top 80 = bm25s's", "top-10 overlap"], rows), "",
                "FTS5 ranks with its own BM25 (k1 1.2, b 0.75 fixed, another idf), so its lists differ from the "
                "ones the answers were tuned on, and it scores every document that holds a query word; ours gives "
                "bm25s's lists exactly, from a memory map."]
    return "\n".join(out) + "\n"


def growth_md(r: dict, g: dict, figs: str, ok: dict) -> str:
    out = ["## How cost grows", ""]
    lat = g.get("latency")
    if lat:
        x1, x2 = g["latency_sizes"]
        rows = []
        for part in ("total", *PARTS):
            e, s = lat[f"embedded.{part}"], lat[f"server.{part}"]
            rows.append([part, f1(e["at_largest"]), f1(e["exponent"], 2),
                         f"{e['linear']['b'] * 1e6:.2f}", f1(e["at_10M"]), f1(s["at_largest"]), f1(s["exponent"], 2),
                         f1(s["at_10M"])])
        out += [f"Query time, fitted per step. Exponent p: time ∝ chunks^p between {fmt_n(x1)} and {fmt_n(x2)} "
                "chunks (0: flat, 1: linear); slope: least squares over every size. The 10M column continues the "
                "exponent (a projection, not a measurement; embedding the question does not depend on the corpus).",
                "", _table(["step", f"embedded ms at {fmt_n(x2)}", "exponent p", "slope ms per 1M chunks",
                            "embedded ms at 10M (projected)", f"server ms at {fmt_n(x2)}", "server p",
                            "server ms at 10M"], rows), ""]
        tot_e, tot_s = lat["embedded.sum_10M"], lat["server.sum_10M"]
        steps = {p: lat[f"embedded.{p}"]["at_10M"] or 0 for p in PARTS}
        worst = max(steps, key=lambda p: steps[p])
        out.append(f"Projected at 10M chunks: about {tot_e:.0f} ms per answer embedded, {tot_s:.0f} ms with the "
                   f"server; the largest step would be {worst} ({steps[worst]:.0f} ms).")
        out.append("")
    b = g.get("build")
    br, bs = g.get("bot_rss"), g.get("bot_rss_server")
    items = []
    if b:
        items.append(f"- **Build** (`index build`, every vector cached): {b['per_1k_chunks_s']:.2f} s and "
                     f"{b['cpu_per_1k_chunks_s']:.2f} CPU s per 1,000 chunks (linear fit, R² {b['fit']['r2']:.3f}; "
                     f"exponent between the two largest sizes {f1(b['exponent'], 2)}), so about "
                     f"{b['at_10M_h']:.1f} h at 10M on this machine as loaded ({b['cpu_at_10M_h']:.1f} CPU hours) "
                     "before any embedding; embedding 10M real chunks at the measured torch rate would add "
                     + (f"{TEN_M / r['indexing']['shipped']['chunks_per_s']['torch'] / 86400:.1f} days."
                        if r.get("indexing") else "days."))
        items.append(f"- **Build memory**: peak RSS {b['rss_fit']['b'] * 1e5:.0f} MB per 100k chunks on top of "
                     f"{b['rss_fit']['a'] / 1024:.2f} GB (exponent between the two largest sizes "
                     f"{f1(b['rss_exponent'], 2)}); about {b['rss_at_10M_gb']:.1f} GB at 10M. What still grows is "
                     "embedded Chroma's HNSW index, which the build loads to add to it (with a server it is the "
                     "server's), and the lexical vocabulary.")
        items.append(f"- **Disk** (Chroma + generation files + embedding cache): about {b['disk_at_10M_gb']:.0f} GB "
                     "at 10M (linear fit).")
    for fit, what in ((br, "embedded Chroma"), (bs, "a Chroma server")):
        if fit and fit["mb_per_100k"] < 10:  # two noisy points of a flat line: a slope would be noise projected
            pts = ", ".join(f"{mb / 1024:.2f} GB at {fmt_n(n)}" for n, mb in fit["points"])
            items.append(f"- **Bot memory with {what}**: flat ({pts} records): nothing the bot keeps grows with "
                         "the corpus beyond run-to-run noise.")
        elif fit:
            items.append(f"- **Bot memory with {what}**: {fit['mb_per_100k']:.0f} MB per 100k records on top of "
                         f"{fit['fit']['a'] / 1024:.2f} GB (linear fit, R² {fit['fit']['r2']:.3f}), so about "
                         f"{fit['at_10M_mb'] / 1024:.1f} GB at 10M records.")
    if items:
        items.append(f"- The float32 vectors alone are {g['hnsw_vectors_10M_gb'] / 10:.2f} GB per 1M chunks "
                     f"({g['hnsw_vectors_10M_gb']:.1f} GB at 10M) in Chroma's HNSW index: in the bot's process when "
                     "Chroma is embedded, in the server's otherwise.")
        out += items
        out.append("")
    mem = r.get("machine", {}).get("mem_gb") or 0
    verdict = []
    if br and mem and br["at_10M_mb"] / 1024 > mem:
        verdict.append(f"**the embedded vector index**: a bot with embedded Chroma would need about "
                       f"{br['at_10M_mb'] / 1024:.0f} GB at 10M records against {mem:g} GB here, nearly all of it "
                       "Chroma's in-memory HNSW; a Chroma server (or its distributed deployment) takes it out of the "
                       "bots")
    if b and b["at_10M_h"] > 2:
        verdict.append(f"**build time**: a full build of 10M chunks would take about {b['at_10M_h']:.0f} h even "
                       "with every vector cached (HNSW insertion is most of it)")
    if lat and lat["embedded.sum_10M"] > TARGETS["latency_1m_ms"]:
        verdict.append(f"**query time**: about {lat['embedded.sum_10M']:.0f} ms, over the 50 ms budget")
    if verdict:
        out.append("**The next bottleneck at 10M** is " + "; then ".join(verdict) + ".")
    else:
        out.append("No projected quantity crosses this machine's limits at 10M.")
    if ok.get("growth"):
        out += ["", f"![growth]({figs}/growth.png)"]
    return "\n".join(out) + "\n"


def reproduce_md() -> str:
    return "\n".join([
        "## Run it again", "",
        "```sh",
        ".venv/bin/pip install -e '.[dev,onnx]'     # matplotlib (dev) and the optional ONNX backend",
        "bench/run                                   # everything; the synthetic indexes are built once into "
        "/tmp/adoptbot-bench",
        "bench/run --only latency --sizes 10000      # some sections or sizes, merged into the results",
        "bench/run --quiet-load 1.0                  # wait (up to 10 min per section) for a quiet machine",
        "bench/run --quick                           # a smoke run in well under a minute, into a temp folder",
        "bench/run --report-only                     # this page and its plots again from latest.json",
        "```", "",
        "The first full run builds the synthetic indexes (1M chunks: vectors from a sentence table, then the "
        "measured builds; hours on 2 shared cores) and copies them into the Chroma server; later runs reuse "
        "them. Results: [bench/results/latest.json](../bench/results/latest.json). The "
        "README's answer table comes from `bench/bench_answers.py` (`bench/results/answers.json`).", ""])


def write_report(results: dict, doc: Path, figs: Path, results_path: Path | None = None) -> None:
    """Plots into `figs`, the page into `doc` (links relative to the page)."""
    figs.mkdir(parents=True, exist_ok=True)
    g = growth(results)
    ok = {"quality": plot_quality(results, figs / "quality.png"),
          "latency": plot_latency(results, figs / "latency.png"),
          "embedding": plot_embedding(results, figs / "embedding.png"),
          "bot": plot_bot(results, figs / "bot.png"),
          "growth": plot_growth(results, g, figs / "growth.png")}
    import os

    rel = os.path.relpath(figs, doc.parent)
    doc.write_text(render(results, rel, ok), encoding="utf-8")


def main() -> None:
    import json

    res = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "bench" / "results" / "latest.json"
    doc = Path(sys.argv[2]) if len(sys.argv) > 2 else ROOT / "docs" / "benchmarks.md"
    figs = Path(sys.argv[3]) if len(sys.argv) > 3 else ROOT / "docs" / "benchmarks"
    write_report(json.loads(res.read_text()), doc, figs, res)
    print(f"wrote {doc} and {figs}/")


if __name__ == "__main__":
    main()
