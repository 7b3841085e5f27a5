"""Turning a scraped file's bytes into text, or into a clear reason why it is not a page.

Scrapes arrive as UTF-8 most of the time and as cp1252 often enough (Windows tools); a file that is neither, or
that is binary, is refused with a message naming it rather than indexed as mojibake.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Decoded:
    text: str | None
    encoding: str | None
    problem: str | None = None  # why the file cannot be read as a page (text is None then)
    note: str | None = None  # a non-fatal remark (e.g. decoded as cp1252)


def _looks_binary(data: bytes) -> bool:
    head = data[:8192]
    if b"\x00" in head:
        return True
    if not head:
        return False
    ctrl = sum(1 for b in head if b < 32 and b not in (9, 10, 12, 13))
    return ctrl / len(head) > 0.05


def decode(data: bytes, max_bytes: int | None = None) -> Decoded:
    """Decode a page; UTF-8 (with or without BOM) first, then cp1252, else refuse."""
    if max_bytes is not None and len(data) > max_bytes:
        return Decoded(
            None,
            None,
            f"too large ({len(data) / 1e6:.1f} MB; the limit is {max_bytes / 1e6:.0f} MB, "
            "set ADOPTBOT_CORPUS_MAX_FILE_MB to raise it)",
        )
    if not data.strip():
        return Decoded(None, None, "empty file: nothing to read")
    for bom, enc in ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16")):
        if data.startswith(bom):
            try:
                return Decoded(data.decode(enc), enc)
            except UnicodeDecodeError as e:
                return Decoded(None, None, f"not valid {enc} at byte {e.start}")
    if _looks_binary(data):
        return Decoded(None, None, "binary file (not text): is this really a scraped page?")
    try:
        return Decoded(data.decode("utf-8"), "utf-8")
    except UnicodeDecodeError as e:
        bad_line = data[: e.start].count(b"\n") + 1
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError:
            return Decoded(None, None, f"not UTF-8 (line {bad_line}) nor cp1252 text")
        return Decoded(text, "cp1252", note=f"not UTF-8 (first bad byte on line {bad_line}); read as cp1252")
