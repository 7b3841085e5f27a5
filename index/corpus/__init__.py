"""Reading the corpus: scraped blog pages (and WordPress exports) into post and comment records.

Public API (other layers use only these):
  parse_file(path)            -> ParsedPage   (never raises for bad content: problems become warnings)
  parse_bytes(data, name)     -> ParsedPage   (for uploads that are not on disk yet)
  read_corpus(dir)            -> list[ParsedPage]  (raises UserError when the folder is missing)
"""

from __future__ import annotations

from index.corpus.reader import CORPUS_SUFFIXES, derive_title, list_pages, parse_bytes, parse_file, read_corpus

__all__ = ["CORPUS_SUFFIXES", "derive_title", "list_pages", "parse_bytes", "parse_file", "read_corpus"]
