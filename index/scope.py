"""What the bot answers: example questions in and out of its subject (prompts/scope.toml), and fact-seeking forms.

Cosine similarity to the corpus alone cannot tell "should a law firm be on Facebook?" from "what year was Facebook
founded?": both are near comments about Facebook. Two cheap signals help the refusal rule (index/refusal.py):
- how close the question comes to example questions the bot refuses (trivia about platforms, prices right now,
  account help, tradespeople, writing for the asker, everyday subjects) against examples of what it answers; the
  examples live in prompts/scope.toml so admins can extend them;
- whether the question asks for a plain fact (a year, a founder, a head count, a price right now, opening hours),
  which no practitioner's opinion answers.
"""

from __future__ import annotations

import logging
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from index.errors import UserError

if TYPE_CHECKING:
    from index.embedding import Embedder

log = logging.getLogger(__name__)

# A question that asks for a fact, not for experience or judgement. Each pattern is a question form, never a topic.
_FACT = [re.compile(p, re.IGNORECASE) for p in (
    r"^\s*(?:in\s+)?(?:what|which)\s+(?:year|month|date|day)\b",
    r"^\s*when\s+(?:was|were|did|is|does|do)\b.*\b(?:founded|launched|started|created|invented|born|released|"
    r"open|opens|close|closes|bought|acquired|go(?:ing)?\s+public)\b",
    r"^\s*who\s+(?:is|was|are|were)\s+(?:the\s+)?(?:current\s+)?(?:ceo|founder|founders|owner|owners|president|"
    r"chairman|head|creator|inventor)s?\b",
    r"^\s*who\s+(?:founded|owns|started|created|invented|runs|bought|acquired)\b",
    r"^\s*how\s+many\s+\w+(?:\s+\w+)?\s+(?:does|do|did)\s+\S+(?:\s+\S+)?\s+have\b",
    r"\b(?:price|cost|rate|fee)s?\b.*\b(?:right\s+now|today|currently|at\s+the\s+moment|these\s+days)\b",
    r"^\s*how\s+much\s+(?:does|do|is|are|should|would|will|can)\b.{0,60}\b(?:cost|costs|charge|charges|"
    r"price|priced)\b",
    r"^\s*what\s+(?:time|hours)\s+(?:does|do|is|are)\b",
)]


def asks_for_fact(question: str) -> bool:
    return any(p.search(question or "") for p in _FACT)


@dataclass
class Scope:
    out_examples: list[str]
    in_examples: list[str]
    out_vectors: np.ndarray | None = None
    in_vectors: np.ndarray | None = None

    @classmethod
    def load(cls, path: Path) -> Scope:
        """The examples of prompts/scope.toml; a broken file is a UserError naming the file and the problem."""
        try:
            data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except FileNotFoundError:
            log.warning("no %s: refusing by corpus evidence alone", path)
            return cls([], [])
        except (OSError, tomllib.TOMLDecodeError) as e:
            raise UserError(f"{path}: {e}") from None
        outs: list[str] = []
        for i, cat in enumerate(data.get("out_of_scope", []), 1):
            ex = cat.get("examples") if isinstance(cat, dict) else None
            if not isinstance(ex, list) or not all(isinstance(x, str) and x.strip() for x in ex):
                raise UserError(f"{path}: [[out_of_scope]] number {i} needs examples = [\"a question\", ...]")
            outs.extend(x.strip() for x in ex)
        ins = data.get("in_scope", {}).get("examples", [])
        if not isinstance(ins, list) or not all(isinstance(x, str) and x.strip() for x in ins):
            raise UserError(f"{path}: [in_scope] needs examples = [\"a question\", ...]")
        return cls(outs, [x.strip() for x in ins])

    def embed(self, embedder: Embedder) -> Scope:
        """Vectors of the examples, once per process (a few dozen short sentences)."""
        dim = int(getattr(embedder, "dim", 0) or 0)
        self.out_vectors = embedder.embed(self.out_examples) if self.out_examples else np.zeros((0, dim), "float32")
        self.in_vectors = embedder.embed(self.in_examples) if self.in_examples else np.zeros((0, dim), "float32")
        return self

    def closeness(self, qvec: np.ndarray) -> tuple[float, float]:
        """(best cosine with an out-of-scope example, best cosine with an in-scope example); 0 where none."""
        def best(m: np.ndarray | None) -> float:
            return float((m @ qvec).max()) if m is not None and len(m) and m.shape[1] == qvec.shape[0] else 0.0

        return best(self.out_vectors), best(self.in_vectors)
