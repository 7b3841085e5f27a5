"""Fit the refusal model (index/refusal.py) on the tuning questions; report it on the held-out ones.

    .venv/bin/python bench/fit_refusal.py          # fit, print the weights to paste and the errors per set

Tuning questions: the shared development sets, our own `tune` split, the issue's edge cases and the first session's
set. Held-out questions (`own.jsonl` split `holdout`, and any `--heldout FILE` of {"question", "on_topic"} rows) are
only scored. Logistic regression (scikit-learn, here only: the bot reads the pasted weights), C chosen by
leave-one-out error on the tuning questions.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.quality import Question, answerer, load_jsonl, question_sets  # noqa: E402

FEATURES = ("evidence", "subject", "coverage", "outside")  # plain facts and writing requests: refused by rule


def evidence(ans, questions: list[Question]) -> list[dict]:
    rows = []
    for q in questions:
        a = ans.ask(q.text, k=1, force=True)
        rows.append({"q": q.text, "on": q.on_topic, "set": q.set, "split": q.split, **a.evidence})
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--heldout", type=Path, action="append", default=[])
    a = ap.parse_args()
    import numpy as np
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import LeaveOneOut, cross_val_predict

    qs = question_sets()
    for p in a.heldout:
        qs += [Question(r["question"], bool(r["on_topic"]), p.stem, "holdout") for r in load_jsonl(p)]
    rows = evidence(answerer(), qs)
    tune = [r for r in rows if r["split"] == "tune" and not r["fact"]]
    x = np.array([[r[f] for f in FEATURES] for r in tune])
    y = np.array([r["on"] for r in tune])
    best = None
    for c in (0.3, 1.0, 3.0, 10.0, 30.0):
        pred = cross_val_predict(LogisticRegression(C=c, max_iter=5000), x, y, cv=LeaveOneOut())
        err = int((pred != y).sum())
        print(f"C={c}: leave-one-out errors {err}/{len(y)}")
        if best is None or err <= best[0]:  # ties: the least regularised (decisive weights)
            best = (err, c)
    m = LogisticRegression(C=best[1], max_iter=5000).fit(x, y)
    weights = {f: round(float(w), 2) for f, w in zip(FEATURES, m.coef_[0], strict=True)}
    print(f"\nC={best[1]}\nWEIGHTS = {json.dumps(weights)}\nBIAS = {round(float(m.intercept_[0]), 2)}\n")
    for name, group in (("tune", [r for r in rows if r["split"] == "tune"]),
                        ("holdout", [r for r in rows if r["split"] != "tune"])):
        if not group:
            continue
        p = m.predict_proba(np.array([[r[f] for f in FEATURES] for r in group]))[:, 1]
        p = np.where([r["fact"] > 0 for r in group], 0.0, p)
        wrong = [(r["q"], round(float(pi), 2)) for r, pi in zip(group, p, strict=True) if (pi >= 0.5) != r["on"]]
        on = sum(r["on"] for r in group)
        print(f"{name}: {len(wrong)} wrong of {len(group)} ({on} on-topic, {len(group) - on} off)")
        for w in wrong:
            print("   ", w)


if __name__ == "__main__":
    main()
