"""Property tests: the reader never crashes and never silently loses a line, whatever text it is fed."""

from __future__ import annotations

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from index.corpus import parse_bytes

TRICKY = [
    "Amber,", "Hi Chris,", "@Jen", "Mike", "Cheers, Shim.", "Take care,", "Reply", "Recent Posts",
    "Copyright © 2009 Jim Mitchem.", "Dec 4, 2009", "Scott Hepburn", "Jane Doe says:", "February 3, 2010 at 9:14 am",
    "Jane Doe said...", "Anonymous said...", "Danny Browns last blog post..It's Not All About The Blog",
    "Great post!", "3 Responses to “x”", "Leave a Reply", "I agree with you.", "let me know in the comments",
    "", "   ", "Posted by Rita Ortega", "Archives",
]
words = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=80)
line = st.one_of(words, st.sampled_from(TRICKY))


def fold(s: str) -> str:
    return re.sub(r"\s+", " ", s).strip()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(line, min_size=0, max_size=40))
def test_reader_never_crashes_and_never_loses_a_line(lines):
    data = "\n".join(lines).encode("utf-8")
    page = parse_bytes(data, "fuzz.txt")
    out = " \n ".join(fold(r.text) for r in page.records)
    dropped = {fold(t) for _, t, _ in page.dropped}
    for ln in "\n".join(lines).splitlines():
        s = fold(ln)
        if not s:
            continue
        assert s in out or s in dropped, f"lost line {s!r}"
    ids = [r.comment_id for r in page.comments]
    assert len(ids) == len(set(ids))
    assert all(r.text.strip() for r in page.records)


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=2000))
def test_reader_never_crashes_on_bytes(data):
    page = parse_bytes(data, "blob.txt")
    assert page.records or page.warnings
