"""Term statistics of a generation: how many records use each stem (idf) and each word (the speller's vocabulary).

Written once at build time (`terms.json` in the generation folder) so an answering process does not have to read
every record to weigh a question's words.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from index.errors import UserError
from index.models import Record
from index.text import WORD_RE, content_terms, normalize

FILE = "terms.json"
MIN_WORD_COUNT = 2  # a word seen once is as likely a typo of the corpus as a word to correct towards
MAX_WORDS = 50_000  # the speller's vocabulary: the most used words; rarer ones are rarely what a typo meant


@dataclass
class TermStats:
    records: int = 0
    df: dict[str, int] = field(default_factory=dict)  # stem -> records using it
    words: dict[str, int] = field(default_factory=dict)  # lower-case word -> uses (the speller's vocabulary)

    @classmethod
    def from_records(cls, records: Iterable[Record]) -> TermStats:
        df: Counter[str] = Counter()
        raw: Counter[str] = Counter()  # as written; normalized once per distinct form below
        n = 0
        for r in records:
            n += 1
            df.update(set(content_terms(r.text)))
            raw.update(WORD_RE.findall(r.text))
        words: Counter[str] = Counter()
        for w, c in raw.items():
            w = normalize(w)
            if w.isalpha() and len(w) > 1:
                words[w] += c
        kept = {w: c for w, c in words.most_common(MAX_WORDS) if c >= MIN_WORD_COUNT}
        return cls(records=n, df=dict(df), words=kept)

    def idf(self, stem: str) -> float:
        """BM25's idf: rare stems weigh most; a stem the corpus never uses weighs like the rarest."""
        d = self.df.get(stem, 0)
        n = max(1, self.records)
        return math.log(1.0 + (n - d + 0.5) / (d + 0.5))

    def save(self, out_dir: Path) -> None:
        (Path(out_dir) / FILE).write_text(json.dumps({"records": self.records, "df": self.df, "words": self.words},
                                                     ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, out_dir: Path) -> TermStats | None:
        """None when the generation predates the file (the caller then counts from its records)."""
        p = Path(out_dir) / FILE
        if not p.exists():
            return None
        try:
            d = json.loads(p.read_text(encoding="utf-8"))
            return cls(records=int(d["records"]), df=dict(d["df"]), words=dict(d["words"]))
        except (OSError, ValueError, TypeError, KeyError) as e:
            raise UserError(f"{p} is damaged ({type(e).__name__}: {e}); run `adoptbot index build` to rewrite "
                            "it") from None
