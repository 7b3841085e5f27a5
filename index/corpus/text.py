"""Splitting a scraped text page into its post and its comments, with the evidence for each author.

Shapes read: name/date headers, WordPress (`X says:` / date / text / `Reply`), Blogger (`X said...` / text / date),
CommentLuv threads (no header; `<Name>s last blog post..<title>` trailers; comments repeated by the scraper), and
plain threads (no header, greetings that open comments, sign-offs, hard-wrapped lines).

Rules, not lists: a comment boundary comes from a header, a trailer, a block the scraper repeated, a greeting or a
reaction that opens a comment, or a sign-off that closes one. A name comes only from a header, a trailer, a
sign-off or the page's own byline/copyright; never from a greeting (that names the addressee).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from index.corpus import lines as L
from index.corpus.dates import parse_date_line

MIN_DUP_CHARS = 25


def fold(s: str) -> str:
    return re.sub(r"\s+", " ", s).strip()


@dataclass
class Line:
    no: int  # 1-based line number in the file
    text: str


@dataclass
class Segment:
    """One comment (or the post) before it becomes a Record."""

    lines: list[Line]
    author: str | None = None
    author_source: str | None = None
    date: str | None = None

    @property
    def line(self) -> int | None:
        return self.lines[0].no if self.lines else None


@dataclass
class PageParse:
    shape: str
    post: Segment
    comments: list[Segment]
    dropped: list[tuple[int, str, str]] = field(default_factory=list)  # (line, text, reason)
    notes: list[tuple[int | None, str]] = field(default_factory=list)  # warnings (line, message)


# ----------------------------------------------------------------------------------------------------------------
# Furniture


def _strip_furniture(
    raw: list[Line], dropped: list[tuple[int, str, str]]
) -> tuple[list[Line], list[str], set[int]]:
    """Drops page chrome; returns the content lines, any copyright names seen (post-author evidence), and the
    positions where a 'N Responses to …' / 'Comments' heading said the comments begin."""
    out: list[Line] = []
    copyright_names: list[str] = []
    marks: set[int] = set()
    in_sidebar = False
    for ln in raw:
        s = ln.text.strip()
        if not s:
            continue
        reason = L.furniture_reason(s)
        if reason == "copyright":
            m = L.COPYRIGHT_NAME.search(s)
            if m:
                copyright_names.append(m.group("name"))
        if L.SIDEBAR.match(s):
            in_sidebar = True
            reason = "sidebar"
            # short title-like lines right above a sidebar heading belong to the sidebar (widgets, book plugs)
            while out and _widget_like(out[-1].text) and not _is_header_pair(out, len(out) - 1):
                w = out.pop()
                dropped.append((w.no, w.text, "sidebar"))
        elif in_sidebar:
            if _widget_like(s) or reason:
                reason = reason or "sidebar"
            else:
                in_sidebar = False
        if reason:
            if reason == "comment count":
                marks.add(len(out))
            dropped.append((ln.no, ln.text, reason))
            continue
        out.append(Line(ln.no, s))
    return out, copyright_names, marks


def _widget_like(s: str) -> bool:
    words = s.split()
    if not words or len(words) > 10 or L.ends_sentence(s) or parse_date_line(s):
        return False
    if L.is_lone_name(s) or L.is_closing_line(s) or L.trailer_name(s):
        return False
    return any(w[:1].islower() for w in words) or any(c in s for c in "–—:|")


def _is_header_pair(lines: list[Line], i: int) -> bool:
    return i + 1 < len(lines) and parse_date_line(lines[i + 1].text) is not None


# ----------------------------------------------------------------------------------------------------------------
# Headers


def _header_at(lines: list[Line], i: int, mode: str) -> tuple[str | None, str | None, int] | None:
    """(author, date, lines consumed) if a comment header starts at line i in this page's mode."""
    s = lines[i].text
    if mode == "wordpress":
        m = L.WP_SAYS.match(s)
        if m and L.looks_like_name_line(m.group("name")):
            if i + 1 < len(lines):
                d = parse_date_line(lines[i + 1].text)
                if d:
                    return m.group("name"), d, 2
            return m.group("name"), None, 1
        return None
    if mode == "blogger":
        m = L.BLOGGER_SAID.match(s)
        if m and L.looks_like_name_line(m.group("name")):
            return m.group("name"), None, 1
        return None
    if mode == "header":
        if i + 1 < len(lines) and L.looks_like_name_line(s):
            d = parse_date_line(lines[i + 1].text)
            if d and parse_date_line(s) is None:
                return s, d, 2
        m = L.INLINE_HEADER.match(s)
        if m and L.name_like(m.group("name")):
            d = parse_date_line(m.group("date"))
            if d:
                return m.group("name"), d, 1
        m = L.RELATIVE_HEADER.match(s)
        if m and L.name_like(m.group("name")):
            return m.group("name"), None, 1
    return None


def _typepad_at(lines: list[Line], i: int) -> tuple[str, str | None] | None:
    m = L.TYPEPAD_TRAILER.match(lines[i].text)
    if m and L.name_like(m.group("name")):
        return m.group("name"), parse_date_line(m.group("date"))
    return None


def _detect_mode(lines: list[Line]) -> str:
    def count(pat: re.Pattern[str]) -> int:
        return sum(1 for ln in lines if (m := pat.match(ln.text)) and L.looks_like_name_line(m.group("name")))

    says, said = count(L.WP_SAYS), count(L.BLOGGER_SAID)
    pairs = sum(1 for i in range(len(lines)) if _header_at(lines, i, "header"))
    typepad = sum(1 for i in range(len(lines)) if _typepad_at(lines, i))
    if says and says >= said:
        return "wordpress"
    if said:
        return "blogger"
    if typepad and typepad >= pairs:
        return "typepad"
    if pairs:
        return "header"
    return "plain"


def _split_typepad(
    lines: list[Line], marks: set[int], dropped: list[tuple[int, str, str]]
) -> tuple[list[Line], list[Segment]]:
    """TypePad: each comment's name and date come after its text; a 'Comments' heading (if any) ends the post,
    else the paragraph just before the first trailer is the first comment."""
    trailers = [i for i in range(len(lines)) if _typepad_at(lines, i)]
    first = min(marks) if marks and min(marks) <= trailers[0] else max(trailers[0] - 1, 1)
    first = min(first, trailers[0])
    post = lines[:first]
    comments: list[Segment] = []
    cur: list[Line] = []
    for i in range(first, len(lines)):
        t = _typepad_at(lines, i)
        if t:
            dropped.append((lines[i].no, lines[i].text, "comment header"))
            name = L.clean_author(t[0])
            comments.append(Segment(cur, name, "header" if name else None, t[1]))
            cur = []
        else:
            cur.append(lines[i])
    if cur:
        comments.append(Segment(cur))
    return post, [c for c in comments if c.lines]


def _split_headers(
    lines: list[Line], mode: str, dropped: list[tuple[int, str, str]]
) -> tuple[list[Line], list[Segment], Segment | None]:
    """Post lines, comment segments, and a byline segment when the page opens with a header."""
    post: list[Line] = []
    comments: list[Segment] = []
    cur: Segment | None = None
    byline: Segment | None = None
    i = 0
    while i < len(lines):
        h = _header_at(lines, i, mode)
        if h:
            name, date, used = h
            for k in range(i, i + used):
                dropped.append((lines[k].no, lines[k].text, "comment header"))
            seg = Segment([], L.clean_author(name), "header" if L.clean_author(name) else None, date)
            if not post and not comments and cur is None and mode == "header":
                byline = seg  # a name/date pair before any text is the post's byline
                i += used
                continue
            cur = seg
            comments.append(cur)
            i += used
            continue
        ln = lines[i]
        if mode == "blogger" and cur is not None and cur.date is None:
            d = parse_date_line(ln.text)
            if d:  # Blogger puts the date after the text: it closes the comment
                cur.date = d
                dropped.append((ln.no, ln.text, "comment date"))
                cur = None
                i += 1
                continue
        if cur is None:
            if comments:  # text after a closed Blogger comment and before the next header
                cur = Segment([])
                comments.append(cur)
                cur.lines.append(ln)
            else:
                post.append(ln)
        else:
            cur.lines.append(ln)
        i += 1
    return post, [c for c in comments if c.lines], byline


# ----------------------------------------------------------------------------------------------------------------
# Plain and CommentLuv threads


def _dup_runs(lines: list[Line]) -> tuple[dict[int, int], set[int]]:
    """Blocks the scraper repeated: returns {copy line index: original index} and the boundaries they imply."""
    norm = [fold(ln.text) for ln in lines]
    first: dict[str, int] = {}
    copy_of: dict[int, int] = {}
    starts: set[int] = set()
    n = len(lines)
    for i in range(n):
        key = norm[i]
        if i in copy_of:
            continue
        j = first.get(key)
        if j is None or len(key) < MIN_DUP_CHARS or j in copy_of:
            first.setdefault(key, i)
            continue
        t = 0
        while i + t < n and j + t < i and norm[i + t] == norm[j + t] and (i + t) not in copy_of:
            t += 1
            if L.trailer_name(lines[i + t - 1].text):
                break  # a trailer closes a comment: the next line belongs to the next one
        # short lines at the run's end ('Amber,') more likely open the next comment than close this copy
        while t > 1 and len(norm[i + t - 1]) < MIN_DUP_CHARS and _greeting_like(norm[i + t - 1]):
            t -= 1
        b = 0
        while (
            i - 1 - b >= j + t
            and j - 1 - b >= 0
            and (i - 1 - b) not in copy_of
            and norm[i - 1 - b] == norm[j - 1 - b]
            and not L.trailer_name(lines[i - 1 - b].text)
        ):
            b += 1
        chars = sum(len(norm[i + k]) for k in range(t))
        if t + b < 2 and chars < 100:
            continue  # a single short repeated line may be a quotation, not a repeated comment
        for k in range(-b, t):
            copy_of[i + k] = j + k
        starts.update({j - b, j + t, i - b, i + t})
    return copy_of, starts


_COMMENT_CUE = re.compile(
    r"(?i)\b(?:your (?:post|blog|article|point)|the author|(?:great|nice|good) post|i (?:totally |completely )?agree"
    r"|you (?:wrote|say|said|write)|as you (?:say|said|point)|this post)\b"
)


def _greeting_like(s: str) -> bool:
    """'Amber,' / 'Hi Amber' / '@Jen': a short line that opens a comment rather than closing one."""
    return s.endswith((",", ":", "–", "—", "-")) or bool(re.match(r"(?i)^(hi|hello|hey|dear)\b|@", s))


def _split_plain(
    lines: list[Line], known: set[str], marks: set[int] = frozenset()
) -> tuple[int, list[list[int]], dict[int, int]]:
    """Returns (index where comments start, comment segments as line indices, copies to drop)."""
    n = len(lines)
    texts = [ln.text for ln in lines]
    trailers = {i for i, t in enumerate(texts) if L.trailer_name(t)}
    copy_of, starts = _dup_runs(lines)
    starts |= set(marks)
    starts |= {i + 1 for i in trailers}
    for i, t in enumerate(texts):
        if L.greeting(t, known):
            starts.add(i)
        elif L.is_reaction_opener(t):
            if i == 0 or not (_greeting_like(texts[i - 1]) or L.greeting(texts[i - 1], known)):
                starts.add(i)
    for i in sorted(starts):
        # '@29' / 'Jen, I think…': a bare reference line and the greeting after it open one comment together
        if i + 1 in starts and i + 1 < n and len(texts[i]) < MIN_DUP_CHARS and _greeting_like(texts[i]):
            if i + 1 not in trailers and not any(i + 1 == j + 1 for j in trailers):
                starts.discard(i + 1)
    hard = set(starts)
    for i, t in enumerate(texts):
        if i in trailers or not (L.signoff_name(t) and len(t) <= 40):
            continue
        if i + 1 in trailers:
            continue
        if i + 1 >= n or (i + 1) in hard or (i > 0 and L.is_closing_line(texts[i - 1])) or _inline_closing(t):
            starts.add(i + 1)
        elif L.is_lone_name(t) and t.strip(" .,").lower() in {k.lower() for k in known}:
            starts.add(i)
    starts = {s for s in starts if 0 < s < n}
    first = min(starts) if starts else n
    ctas = [i for i in range(1, first) if L.is_cta(texts[i]) and i + 1 < first]
    # a call to action ends the post only when what follows it reads like a reply to the post
    if ctas and starts and any(_COMMENT_CUE.search(texts[k]) for k in range(ctas[-1] + 1, first)):
        first = ctas[-1] + 1
        starts.add(first)
    segs: list[list[int]] = []
    cur: list[int] = []
    for i in range(first, n):
        if i in starts and cur:
            segs.append(cur)
            cur = []
        cur.append(i)
    if cur:
        segs.append(cur)
    return first, segs, copy_of


def _inline_closing(t: str) -> bool:
    return bool(L._SIGNOFF_INLINE.match(t)) or bool(L._DASH_NAME.match(t))


def _known_names(lines: list[Line], extra: list[str]) -> set[str]:
    known: set[str] = set()
    for n in extra:
        if n:
            known.add(n.split()[0])
    for ln in lines:
        name = L.trailer_name(ln.text)
        if name:
            known.add(name.split()[0])
        m = re.match(r"^\s*(?:hi|hello|hey|dear)\s+(?:miss |mr\.? |mrs\.? |ms\.? )?([A-Z][\w'’\-]+)", ln.text, re.I)
        if m and m.group(1).lower() not in L.COMMON_WORDS:
            known.add(m.group(1))
        for at in re.findall(r"(?:^|\s)@([A-Z][a-z][\w]+)\b", ln.text):
            known.add(at)
    return known


# ----------------------------------------------------------------------------------------------------------------
# Evidence inside one comment


def _finish_comment(seg: Segment, dropped: list[tuple[int, str, str]], notes: list[tuple[int | None, str]]) -> None:
    """Takes trailers and sign-offs off a comment's text and keeps them as evidence of its author."""
    luv: str | None = None
    kept: list[Line] = []
    for ln in seg.lines:
        name = L.trailer_name(ln.text)
        if name:
            luv = luv or name
            dropped.append((ln.no, ln.text, "commentluv trailer"))
        else:
            kept.append(ln)
    sig: str | None = None
    if kept and len(kept[-1].text) <= 40:
        name = L.signoff_name(kept[-1].text)
        if name and (len(kept) > 1 or seg.author or luv):
            sig = name
            dropped.append((kept[-1].no, kept[-1].text, "sign-off"))
            kept.pop()
            if kept and L.is_closing_line(kept[-1].text):
                ln = kept.pop()
                dropped.append((ln.no, ln.text, "sign-off"))
    seg.lines = kept
    if seg.author:  # a header already named the writer
        return
    if luv:
        if sig and sig.split()[0].lower() != luv.split()[0].lower():
            notes.append((seg.line, f"sign-off '{sig}' disagrees with CommentLuv name '{luv}'; kept the latter"))
        seg.author, seg.author_source = luv, "commentluv"
    elif sig:
        seg.author, seg.author_source = sig, "signature"


def join_wrapped(lines: list[Line]) -> str:
    """Joins hard-wrapped lines (no sentence end, next starts lower-case); keeps paragraph breaks as newlines."""
    paras: list[str] = []
    for ln in lines:
        t = ln.text.strip()
        if paras and not L.ends_sentence(paras[-1]) and t[:1].islower():
            paras[-1] = paras[-1] + " " + t
        else:
            paras.append(t)
    return "\n".join(paras)


_BYLINE = re.compile(r"^\s*(?i:posted |written )?(?i:by)\s+(?P<name>[A-Z][\w'’\-]+(?:\s+[A-Z][\w'’\-]+){0,3})\s*$")


def _post_evidence(post: list[Line], dropped: list[tuple[int, str, str]]) -> tuple[list[Line], str | None, str | None]:
    """Drops an author bio at the post's end; returns the byline name ('By Jane Doe') or the bio's first name."""
    byline: str | None = None
    bio: str | None = None
    kept: list[Line] = []
    for k, ln in enumerate(post):
        m = _BYLINE.match(ln.text)
        if m and k <= 2:
            byline = m.group("name")
            dropped.append((ln.no, ln.text, "byline"))
            continue
        b = L.BIO.match(ln.text)
        if b and k >= len(post) - 2 and len(post) > 1:
            bio = b.group("first")
            dropped.append((ln.no, ln.text, "author bio"))
            continue
        kept.append(ln)
    return kept, byline, bio


def parse_text_page(text: str) -> PageParse:
    """Reads one text page into its post and comments (see the module docstring for the rules)."""
    raw = [Line(i + 1, t.rstrip()) for i, t in enumerate(text.splitlines())]
    dropped: list[tuple[int, str, str]] = []
    notes: list[tuple[int | None, str]] = []
    lines, copyright_names, marks = _strip_furniture(raw, dropped)
    mode = _detect_mode(lines)
    byline_seg: Segment | None = None
    if mode == "typepad":
        post_lines, comments = _split_typepad(lines, marks, dropped)
    elif mode == "plain":
        known = _known_names(lines, copyright_names)
        first, segs, copy_of = _split_plain(lines, known, marks)
        for i in copy_of:
            dropped.append((lines[i].no, lines[i].text, "repeated by the scraper"))
        post_lines = lines[:first]
        comments = [Segment([lines[i] for i in seg if i not in copy_of]) for seg in segs]
        comments = [c for c in comments if c.lines]
        if any(L.trailer_name(ln.text) for ln in lines):
            mode = "commentluv"
    else:
        post_lines, comments, byline_seg = _split_headers(lines, mode, dropped)
    for c in comments:
        _finish_comment(c, dropped, notes)
    comments = [c for c in comments if c.lines]
    post_lines, byline, bio = _post_evidence(post_lines, dropped)
    if not byline:  # 'Posted by Jane Doe in Marketing' was dropped as furniture, but it names the post's author
        byline = next((m.group("name") for _, t, why in dropped if why == "byline"
                       and (m := L.furniture_match("byline", t.strip()))), None)
    post = Segment(post_lines)
    header_names = {c.author.split()[0].lower() for c in comments if c.author}
    if byline_seg and byline_seg.author:
        post.author, post.author_source, post.date = byline_seg.author, "header", byline_seg.date
    elif byline:
        post.author, post.author_source = byline, "header"
    else:
        for name in copyright_names:
            first_tok = name.split()[0].lower()
            # a copyright line names the site owner: trust it for the post only when the page corroborates it
            if first_tok in header_names or (bio and bio.lower() == first_tok):
                post.author, post.author_source = name, "signature"
                break
    return PageParse(mode, post, comments, dropped, notes)
