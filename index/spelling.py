"""Spelling correction of questions against the corpus's own vocabulary (symspellpy, edit distance 1).

"is socail media worth it for b2b compnaies" should find what "social" and "companies" find. A word is corrected
only when it is neither a word of the corpus nor an English word (symspellpy's bundled 82k-word frequency list, read
as a plain set: "pizza" is never turned into a corpus word), and a corpus word lies one edit away (a transposition
counts as one). Among several, the one the corpus uses most wins.
"""

from __future__ import annotations

import importlib.resources
import logging
import re
import threading
from functools import lru_cache
from typing import Any

log = logging.getLogger(__name__)

_TOKEN = re.compile(r"[A-Za-z][A-Za-z'’]*")


@lru_cache(maxsize=1)
def english_words() -> frozenset[str]:
    """symspellpy's English frequency list as a set (no symspell index of it: that costs 60 MB and seconds)."""
    path = importlib.resources.files("symspellpy") / "frequency_dictionary_en_82_765.txt"
    with path.open(encoding="utf-8") as f:
        return frozenset(line.split(" ", 1)[0] for line in f if line.strip())


class Speller:
    """Corrects a question's unknown words towards the corpus's words; built lazily, once per vocabulary."""

    def __init__(self, words: dict[str, int]) -> None:
        self.words = words
        self._sym: Any = None
        self._lock = threading.Lock()

    def _index(self) -> Any:
        with self._lock:
            if self._sym is None:
                from symspellpy import SymSpell

                sym = SymSpell(max_dictionary_edit_distance=1, prefix_length=7)
                for w, c in self.words.items():
                    sym.create_dictionary_entry(w, c)
                self._sym = sym
            return self._sym

    def known(self, word: str) -> bool:
        w = word.lower()
        return w in self.words or w in english_words()

    def correct_word(self, word: str) -> str | None:
        """The corpus word this one misspells, or None when it is fine as it is (or nothing is close)."""
        w = word.lower().replace("’", "'")
        if len(w) < 4 or "'" in w or self.known(w):
            return None
        from symspellpy import Verbosity

        hits = self._index().lookup(w, Verbosity.CLOSEST, max_edit_distance=1)
        if not hits:
            return None
        best = max(hits, key=lambda h: h.count)
        return best.term if best.term != w else None

    def correct(self, text: str) -> tuple[str, dict[str, str]]:
        """The text with misspelt words replaced (case of the first letter kept), and what was replaced."""
        fixes: dict[str, str] = {}

        def sub(m: re.Match[str]) -> str:
            word = m.group()
            fixed = self.correct_word(word)
            if fixed is None:
                return word
            fixes[word] = fixed
            return fixed[:1].upper() + fixed[1:] if word[:1].isupper() else fixed

        return _TOKEN.sub(sub, text), fixes
