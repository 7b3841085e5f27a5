"""Recognising a line that is only a date (comment headers and Blogger trailers) and writing it as ISO 8601."""

from __future__ import annotations

import re

MONTHS = {
    m: i
    for i, names in enumerate(
        [
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ],
        start=1,
    )
    for m in names
}
_MON = r"(?P<mon>" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"
_TIME = r"(?:,?\s*(?:at|@|-)?\s*(?P<h>\d{1,2})[:.](?P<mi>\d{2})(?::\d{2})?\s*(?P<ap>[ap]\.?\s?m\.?)?)?"
_WD = r"(?:(?:mon|tues?|wed(?:nes)?|thu(?:rs)?|fri|sat(?:ur)?|sun)(?:day)?\.?,?\s+)?"
_PRE = r"^\s*(?:on\s+|posted\s+(?:on\s+)?)?" + _WD
_PATTERNS = [
    re.compile(_PRE + _MON + r"\s+(?P<d>\d{1,2})(?:st|nd|rd|th)?,?\s+(?P<y>\d{4})" + _TIME + r"\s*$", re.I),
    re.compile(
        _PRE + r"(?P<d>\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?" + _MON + r",?\s+(?P<y>\d{4})" + _TIME + r"\s*$", re.I
    ),
    re.compile(r"^\s*(?P<y>\d{4})-(?P<m>\d{2})-(?P<d>\d{2})(?:[ T](?P<h>\d{2}):(?P<mi>\d{2})(?::\d{2})?)?\s*$"),
    re.compile(_PRE + r"(?P<m>\d{1,2})/(?P<d>\d{1,2})/(?P<y>\d{4})" + _TIME + r"\s*$", re.I),
]


def parse_date_line(line: str) -> str | None:
    """The ISO date (with time, when the line gives one) if the whole line is a date, else None."""
    if len(line) > 60 or not any(c.isdigit() for c in line):
        return None
    for pat in _PATTERNS:
        m = pat.match(line)
        if not m:
            continue
        g = m.groupdict()
        month = MONTHS[g["mon"].lower()] if g.get("mon") else int(g["m"])
        day, year = int(g["d"]), int(g["y"])
        if not (1 <= month <= 12 and 1 <= day <= 31 and 1900 <= year <= 2100):
            return None
        iso = f"{year:04d}-{month:02d}-{day:02d}"
        if g.get("h") is not None:
            hour, minute = int(g["h"]), int(g["mi"])
            ap = (g.get("ap") or "").lower().replace(".", "").replace(" ", "")
            if ap == "pm" and hour < 12:
                hour += 12
            elif ap == "am" and hour == 12:
                hour = 0
            if hour < 24 and minute < 60:
                iso += f"T{hour:02d}:{minute:02d}"
        return iso
    return None


def parse_date_value(value: str) -> str | None:
    """A date from metadata (sidecar, export): ISO or any whole-line form above; None if unreadable."""
    value = value.strip()
    iso = parse_date_line(value)
    if iso:
        return iso
    m = re.match(r"^(\d{4}-\d{2}-\d{2})(?:[ T](\d{2}:\d{2}))?", value)
    if m:
        return m.group(1) + (f"T{m.group(2)}" if m.group(2) and m.group(2) != "00:00" else "")
    # RFC 822 (WXR pubDate): "Wed, 03 Feb 2010 09:14:00 +0000"
    m = re.match(r"^(?:\w{3},\s*)?(\d{1,2})\s+(\w{3})\w*\s+(\d{4})(?:\s+(\d{2}):(\d{2}))?", value)
    if m and m.group(2).lower() in MONTHS:
        iso = f"{int(m.group(3)):04d}-{MONTHS[m.group(2).lower()]:02d}-{int(m.group(1)):02d}"
        return iso + (f"T{m.group(4)}:{m.group(5)}" if m.group(4) else "")
    return None
