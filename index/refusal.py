"""Answer or refuse: does the corpus speak to this question, or does it only share its words?

A small logistic model over signals a question gives before any quote is chosen:
  evidence  the best cosine between the question and one sentence of the candidate comments;
  subject   the cosine with the corpus's subject (the mean of its record vectors, saved at build time);
  coverage  the best share of the question's idf-weighted stems that one candidate holds (everyday words of
            the corpus weigh little; words the corpus never uses count against it);
  outside   how much closer the question comes to prompts/scope.toml's refused examples than to its answered ones;
  fact      1 when the question asks for a plain fact (a year, a founder, a price right now, a platform's limits)
            or for a piece of writing (a tweet, a caption, hashtags): index.scope. No practitioner's opinion
            answers that, so it is refused whatever the rest says (a rule, not a weight: the tuning questions hold
            too few such questions to learn it).
The weights were fitted by `bench/fit_refusal.py` on our tuning questions (never the held-out ones) and are
written here so a reader can see what decides; refit and paste when the signals change.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

# bench/fit_refusal.py output (logistic regression, C=3, 125 tuning questions that ask no plain fact:
# 2 leave-one-out errors).
WEIGHTS = {"evidence": 2.7, "subject": 4.03, "coverage": 2.7, "outside": -3.71}
BIAS = -3.3
THRESHOLD = 0.5


@dataclass
class Evidence:
    evidence: float = 0.0
    subject: float = 0.0
    coverage: float = 0.0
    outside: float = 0.0
    fact: float = 0.0

    def to_json(self) -> dict[str, float]:
        return {k: round(v, 3) for k, v in asdict(self).items()}


def probability(ev: Evidence, weights: dict[str, float] | None = None, bias: float | None = None) -> float:
    """The model's probability that the corpus answers the question."""
    w = WEIGHTS if weights is None else weights
    z = (BIAS if bias is None else bias) + sum(w[k] * getattr(ev, k) for k in w)
    return 1.0 / (1.0 + math.exp(-z))


def answers(ev: Evidence) -> bool:
    return not ev.fact and probability(ev) >= THRESHOLD
