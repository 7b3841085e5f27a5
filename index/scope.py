"""What the bot answers: example questions in and out of its subject (prompts/scope.toml), and fact-seeking forms.

Cosine similarity to the corpus alone cannot tell "should a law firm be on Facebook?" from "what year was Facebook
founded?": both are near comments about Facebook. Two cheap signals help the refusal rule (index/refusal.py):
- how close the question comes to example questions the bot refuses (trivia about platforms, prices right now,
  account help, tradespeople, writing for the asker, everyday subjects) against examples of what it answers; the
  examples live in prompts/scope.toml so admins can extend them;
- whether the question asks for a plain fact (a year, a founder, a head count, a price right now, opening hours, a
  platform's limits and sizes) or for a piece of writing (a tweet, a caption, hashtags, a slogan): no practitioner's
  opinion answers either, and the bot never writes.
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
    # a platform's specifications: limits, lengths and sizes of what one posts
    r"\b(?:character|characters|word|caption|hashtag|video|upload|file|tweet|bio)\s+(?:limit|limits|cap)\b",
    r"\b(?:max|maximum|min|minimum)\s+(?:file\s+)?(?:size|length|duration|characters|hashtags)\b",
    r"^\s*how\s+many\s+(?:characters|hashtags|words|letters|emojis|photos|images)\s+(?:can|may|does|do|is|are|fit|in)\b",
    r"^\s*how\s+long\s+can\s+(?:a|an|my|the|your)\s+(?:\w+\s+)?(?:video|reel|reels|story|stories|post|tweet|"
    r"caption|clip|live\s*stream|bio|title)\s+be\b",
    r"^\s*what(?:'s|s|\s+is|\s+are)?\s+(?:the\s+)?(?:best\s+)?(?:size|dimensions?|resolution|aspect\s+ratio)\b.{0,40}"
    r"\b(?:image|photo|picture|pic|banner|cover|header|avatar|thumbnail|logo|video)s?\b",
)]

_CONTENT = (r"(?:tweet|post|caption|hashtag|headline|bio|slogan|tagline|ad|advert|email|newsletter|press\s+release|"
            r"reply|response|status|update|message|copy|blurb|description|announcement|thread|script|jingle|joke|poem)")
# A request to write something for the asker: an imperative (or "can you …") to write a piece of content.
_WRITING = [re.compile(p, re.IGNORECASE) for p in (
    r"^\s*(?:please\s+)?(?:(?:can|could|would|will)\s+you\s+(?:please\s+)?|i\s+need\s+you\s+to\s+)?"
    r"(?:write|draft|compose|generate|create|come\s+up\s+with)\s+(?:me\s+|us\s+)?"
    r"(?:[\w']+\s+){0,4}?" + _CONTENT + r"s?\b",
)]


def asks_for_fact(question: str) -> bool:
    return any(p.search(question or "") for p in _FACT)


def asks_for_writing(question: str) -> bool:
    return any(p.search(question or "") for p in _WRITING)


def asks_for_no_opinion(question: str) -> bool:
    """A plain fact or a piece of writing: what no practitioner's quote answers, however close its words."""
    return asks_for_fact(question) or asks_for_writing(question)


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
