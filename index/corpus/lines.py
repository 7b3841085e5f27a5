"""Line-level recognisers for scraped pages: headers, trailers, sign-offs, greetings, page furniture.

Each is a small rule with a name, so the parser can say why it dropped a line or started a new comment.
Names are only ever taken from evidence (a header, a CommentLuv trailer, a sign-off, the page's copyright): a
greeting names the person addressed, never the writer.
"""

from __future__ import annotations

import re

# Words that start lines, close letters or praise posts: never a person's name on their own.
COMMON_WORDS = frozenset(
    """
    a about absolutely actually again agreed all also amen and anyway anonymous any as at awesome bam best big
    bravo brilliant but by bye cheers ciao congrats congratulations cool correct definitely do does done
    enjoy even every exactly excellent fantastic finally first for from fyi good great ha haha happy he hello
    here hey hi hmm how however i if im in indeed interesting is it just kind kudos later let like lol love
    many maybe me meanwhile more most much my nah never nice no nope not note now of oh ok okay on one or
    our overall p.s. peace perfect perhaps personally please plus ps rather really regards reply right sadly
    second see she sincerely so some sorry still sure take thank thanks that the their then there these they
    think this those though thus to today too totally true twitter facebook linkedin yelp google unfortunately
    update us very wait was we well what when where which while who why will with wow yay yeah yep yes yet you
    your yup social media blog post posts business marketing comment comments web internet warmly
    merry christmas holidays holiday new year god bless done luck mate folks everyone guys team soon less yours
    truly go ahead onward forward cheerio toodles xoxo xo agree disagree ditto bingo touche noted hear word same
    whoa yikes ouch ugh damn sigh huh oops sweet nicely truth fact facts boom winner classic priceless genius lovely
    welcome nonsense rubbish wrong false seriously honestly obviously clearly spot exactly precisely
    """.split()
)

CLOSINGS = (
    r"(?:cheers|thanks|thank you|many thanks|thanks again|best|best wishes|all the best|regards|best regards|"
    r"kind regards|warm regards|warmly|take care|sincerely|cordially|peace|later|ciao|love|hugs|yours|"
    r"respectfully|talk soon|until next time)"
)
_CLOSING_LINE = re.compile(r"^\s*" + CLOSINGS + r"\s*[,.!]*\s*$", re.I)
_NAME_TOKEN = r"[A-Z][A-Za-z'’\-]*\.?"
_NAMES = r"(?P<name>" + _NAME_TOKEN + r"(?:\s+" + _NAME_TOKEN + r"){0,2})"
_SIGNOFF_INLINE = re.compile(r"^\s*" + CLOSINGS + r"\s*[,!.]*\s+[-–—~]*\s*" + _NAMES + r"\s*[.!]?\s*$", re.I)
_DASH_NAME = re.compile(r"^\s*[-–—~]+\s*(?P<name>" + _NAME_TOKEN + r"(?:\s+" + _NAME_TOKEN + r"){0,2})\s*$")
_LONE_NAME = re.compile(r"^\s*(?P<name>" + _NAME_TOKEN + r"(?:\s+" + _NAME_TOKEN + r"){0,2})\s*\.?\s*$")

TRAILER = re.compile(r"^(?P<name>\S.{0,80}?)(?:['’]s|s['’]?)?\s+last blog post\s*\.\.+\s*(?P<title>.*)$", re.I)
_TRAILER_RAW = re.compile(r"^(?P<raw>\S.{0,80}?)\s+last blog post\s*\.\.+", re.I)
# One-line headers before the text: 'Jane Doe on March 3, 2010 at 4:00 pm said:', 'Jane Doe | March 3, 2010'
INLINE_HEADER = re.compile(
    r"^\s*(?P<name>\S.{0,60}?)\s+(?:on|@|\||-|–|—|·|•)\s+(?P<date>[^|]{6,40}?)\s*(?:said|says|wrote)?\s*:?\s*$", re.I
)
# Disqus-style: 'Jane Doe • 3 years ago' (no usable date)
RELATIVE_HEADER = re.compile(
    r"^\s*(?P<name>\S.{0,60}?)\s*[•·|]\s*(?:\d+|an?|one)\s+(?:years?|months?|weeks?|days?|hours?|minutes?)\s+ago\s*$",
    re.I,
)
# TypePad puts name and date after the text: 'Posted by: Jane Doe | March 03, 2010 at 04:00 PM'
TYPEPAD_TRAILER = re.compile(r"^\s*posted by:?\s*(?P<name>\S.{0,60}?)\s*\|\s*(?P<date>.{6,40}?)\s*$", re.I)
WP_SAYS = re.compile(r"^\s*(?P<name>\S.{0,80}?)\s+says:?\s*$")
BLOGGER_SAID = re.compile(r"^\s*(?P<name>\S.{0,80}?)\s+(?:said|wrote)(?:\.{2,3}|…|:)\s*$")

_FURNITURE = [
    ("copyright", re.compile(r"^\s*(?:copyright\b|©|\(c\)\s*\d{4}|all rights reserved)", re.I)),
    ("reply link", re.compile(r"^\s*(?:reply|reply ↓|↓ reply|log in to reply|login to reply|report comment|"
                              r"report|permalink|edit|quote|like|like this|share|flag|link)\s*$", re.I)),
    ("comment count", re.compile(r"^\s*(?:(?:\d+|one|two|three|no)\s+(?:responses?|comments?|replies|thoughts?)"
                                 r"(?:\s+(?:to|on)\b.*|\s+so far|\s*:?)?|comments?(?:\s*\(\d+\))?:?|discussion|"
                                 r"responses?|reader comments|what (?:people|readers) (?:are saying|said))\s*$", re.I)),
    ("comment form", re.compile(r"^\s*(?:leave a (?:reply|comment)|post a comment|add a comment|"
                                r"cancel reply|submit comment|post comment|name\s*\(required\)|"
                                r"email\s*\(.*\)|website|mail \(will not be published\).*|"
                                r"notify me of .*|subscribe to (?:comments|this|post comments).*|"
                                r"you must be logged in to post a comment.*|comments are closed\.?|"
                                r"subscribe to: post comments \(atom\)|"
                                r"(?:newer posts?|older posts?|home)(?:\s+(?:newer posts?|older posts?|home))*)\s*$",
                                re.I)),
    # A post's byline with more after the name: 'Posted by Jane Doe in Marketing, Social Media' (WordPress and
    # Blogger themes), 'Posted by Jane Doe at 09:00 AM in Legal | Permalink' (TypePad). TypePad's comment trailer
    # ('Posted by: Jane | March 3, 2010') has a colon and a bar, and stays a trailer.
    ("byline", re.compile(r"^\s*(?i:posted|written) (?i:by)\s+(?P<name>[A-Z][\w'’.\-]*(?:\s+[A-Z][\w'’.\-]*){0,3})"
                          r"\s+(?:in|at|on)\s+[^|]*(?:\|.*)?$")),
]
# Headings that open a sidebar or footer block: the short lines under them are navigation, not writing.
SIDEBAR = re.compile(
    r"^\s*(?:recent posts|recent comments|popular posts|related posts|you might also like|archives|categories|"
    r"tags|blogroll|links|meta|search|about me|about the author|follow me|subscribe|share this:?|"
    r"like this:?|related|further reading)\s*:?\s*$",
    re.I,
)
COPYRIGHT_NAME = re.compile(
    r"(?:copyright|©|\(c\))\s*(?:©\s*)?(?:\d{4}(?:\s*[-–]\s*\d{4})?\s*,?\s*)?(?:by\s+)?"
    r"(?P<name>[A-Z][\w'’\-]+(?:\s+[A-Z][\w'’\-]+){0,3})",
    re.I,
)
BIO = re.compile(
    r"^(?P<first>[A-Z][a-z]+) is (?:a|an|the)\b.{0,200}\b(?:founder|writer|copywriter|author|blogger|consultant|"
    r"strategist|ceo|president|director|speaker|marketer|editor)\b.*?(?:twitter|follow|find (?:him|her))",
    re.I,
)

_REACTION = re.compile(
    r"^\s*(?:"
    r"(?:great|nice|good|excellent|interesting|awesome|fantastic|wonderful|terrific|brilliant|insightful|"
    r"thoughtful|fabulous|cool|super|solid|fine|timely|thought[- ]provoking)\b[^.!?\n]{0,25}?"
    r"\b(?:post|article|piece|read|write-?up|points?|blog|question|thoughts?|stuff|topic|conversation)\b"
    r"|(?:thanks|thank you)(?: so much| very much)? for (?:this|the|your|sharing|writing|posting|a great)"
    r"|i (?:totally |completely |absolutely |wholeheartedly |really |definitely )?agree(?: with you|\b)"
    r"|i couldn['’]t agree|well said|right on\b|amen\b|bravo\b|yup\b|yep\b|agreed\b"
    r"|(?:you['’]re|you are) (?:so |absolutely |totally |dead |spot )?(?:right|on|spot on|dead on)\b"
    r")",
    re.I,
)
_CTA = re.compile(
    r"(?:e-?mail me|contact me|let me know|leave a comment|in the comments|what do you think|your thoughts\?|"
    r"help me out|share your|sound off|drop me a line|get in touch)",
    re.I,
)
_GREETING = re.compile(
    r"^\s*(?:(?P<hi>(?i:hi|hello|hey|dear|yo|howdy|greetings|good (?:morning|afternoon|evening)))\b[\s,]*"
    r"(?P<hname>(?:(?i:miss|mr\.?|mrs\.?|ms\.?) )?[A-Z@][\w'’.\-]*(?:\s+[A-Z][\w'’.\-]*)?)?\s*[,.!:;–—-]?"
    r"|@(?P<at>\w+)"
    r"|(?P<name>[A-Z][\w'’\-]*)\s*(?:[,:;!]|\s[–—-]\s|,?\s+(?i:hello|hi)\b))",
)
_TERMINAL = re.compile(r"[.!?…:;)\]\"”’'*~>]\s*$|[\U0001F300-\U0001FAFF\u2600-\u27BF]\s*$")


def is_closing_line(line: str) -> bool:
    return bool(_CLOSING_LINE.match(line))


def _valid_name(name: str) -> bool:
    toks = name.replace(".", " ").split()
    if not toks or len(name) > 40:
        return False
    if any(t.lower().strip("'’") in COMMON_WORDS for t in toks):
        return False
    return all(t[0].isupper() for t in toks)


def signoff_name(line: str) -> str | None:
    """The name in a sign-off line ('Mike', 'Cheers, Shim.', '– Jane Doe'), else None.

    A lone word with a full stop ('Nonsense.') is an interjection, not a signature; an initial ('Dana K.') is not.
    """
    for pat in (_SIGNOFF_INLINE, _DASH_NAME, _LONE_NAME):
        m = pat.match(line)
        if m and _valid_name(m.group("name")):
            name = m.group("name").strip()
            if pat is _LONE_NAME and line.rstrip().endswith(".") and len(name.rstrip(".").split()[-1]) > 2:
                return None
            return name.rstrip(".").strip() if len(name.split()[-1].rstrip(".")) > 1 else name
    return None


def is_lone_name(line: str) -> bool:
    m = _LONE_NAME.match(line)
    return bool(m and _valid_name(m.group("name")))


def trailer_name(line: str) -> str | None:
    """The commenter's name from a CommentLuv trailer; the scraper lost the possessive apostrophe, so one 's'
    is dropped ('Danny Browns' -> 'Danny Brown')."""
    m = _TRAILER_RAW.match(line)
    if not m:
        return None
    raw = m.group("raw").strip()
    for suffix in ("'s", "’s", "s'", "s’", "'", "’"):
        if raw.endswith(suffix):
            return (raw[: -len(suffix)] + ("s" if suffix in ("s'", "s’") else "")).strip() or None
    if raw.endswith("s") and len(raw) > 2:
        return raw[:-1].strip()
    return None


def furniture_match(reason: str, line: str) -> re.Match[str] | None:
    return next((pat.match(line) for r, pat in _FURNITURE if r == reason), None)


def furniture_reason(line: str) -> str | None:
    for reason, pat in _FURNITURE:
        if pat.match(line):
            return reason
    return None


def is_reaction_opener(line: str) -> bool:
    return bool(_REACTION.match(line))


def is_cta(line: str) -> bool:
    return bool(_CTA.search(line))


def greeting(line: str, known_names: set[str]) -> str | None:
    """The addressee if the line opens a comment by greeting someone ('Hi Amber,', 'Amber,', '@Danny'), else None.

    A bare 'Word,' counts only when Word is a name known on the page, so 'However,' never opens a comment.
    """
    m = _GREETING.match(line)
    if not m:
        return None
    if m.group("hi"):
        name = m.group("hname") or m.group("hi")
        # 'Hi Amber' but not 'Hello world, this is a sentence': a greeting line is short or has a separator
        rest = line[m.end():].strip()
        if m.group("hname") or not rest or line.strip()[len(m.group("hi")):].lstrip().startswith((",", "!", ".")):
            return name.strip()
        return None
    if m.group("at"):
        return m.group("at")
    name = m.group("name")
    if name and name.lower() in {n.lower() for n in known_names} and name.lower() not in COMMON_WORDS:
        return name
    return None


def ends_sentence(line: str) -> bool:
    return bool(_TERMINAL.search(line))


def looks_like_name_line(line: str) -> bool:
    """A header's name line: short, no sentence punctuation at the end, not a date or furniture."""
    s = line.strip()
    if not s or len(s) > 60 or len(s.split()) > 6:
        return False
    if s.endswith(".") and len(s.split()[-1]) <= 3 and len(s.split()) > 1:
        s = s[:-1]  # 'Dana K.', 'John Smith Jr.'
    if s[-1] in ".!?,;:\"”)" or s.startswith(("http", "@", "#", "-", "*", "•")):
        return False
    return furniture_reason(s) is None and not SIDEBAR.match(s)


_NAME_JOINERS = {"de", "da", "van", "von", "der", "den", "la", "le", "di", "du", "of", "in", "@", "&", "and", "at"}


def name_like(s: str) -> bool:
    """Stricter than a header line: every word capitalised (or a handle), as names written in one line are."""
    toks = s.split()
    if not toks or len(toks) > 5 or not looks_like_name_line(s):
        return False
    return all(t[0].isupper() or t[0].isdigit() or t[0] in "@(“\"" or t.lower() in _NAME_JOINERS for t in toks)


def clean_author(name: str | None) -> str | None:
    """Normalise a header/export name; 'Anonymous' and empty names are no evidence of a person."""
    if not name:
        return None
    name = re.sub(r"\s+", " ", name).strip().strip(":").strip()
    if not name or name.lower() in {"anonymous", "anon", "guest", "unknown", "admin"}:
        return None
    return name
