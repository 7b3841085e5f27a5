"""Chatter: comments (or sentences) that say nothing a reader asked for, such as "Great post! Thank you for this."

A blog thread is full of greetings, thanks, praise of the post, bare agreement and one-word quips ("Waste
management."). They share words with real answers, so neither BM25 nor the embedding keeps them out of an answer or a
topic page; this module gives one cheap, model-free judgement that ranking and topics both use.

How: every sentence loses its pleasantries (greeting, thanks, praise of the post, agreement, sign-off, "my two
cents", a leading vocative such as "Amber –"); what is left counts as substance by its content words, where a
sentence with a clause (a verb or a subject pronoun) counts in full and a verbless fragment of a few words counts
for little. The vocabulary is ordinary English conversation, not this corpus' subject, so it holds for any thread.
"""

from __future__ import annotations

import math
import re
from functools import lru_cache

from index.text import STOPWORDS, sentence_spans

__all__ = ["chatter_score", "is_chatter", "substance", "THRESHOLD", "FILLER_WORDS"]

THRESHOLD = 0.5  # is_chatter's default: about 1.4 words of substance or less

_POST = r"(?:blog(?:\s+post)?|post(?:ing)?s?|articles?|pieces?|reads?|write-?ups?|entry|entries|series|site|thread)"
_PRAISE_ADJ = (
    r"(?:great|good|nice|excellent|awesome|fantastic|wonderful|brilliant|terrific|superb|interesting|insightful|"
    r"thoughtful|thought[- ]provoking|helpful|useful|informative|amazing|fabulous|cool|solid|lovely|valuable|"
    r"important|timely|fun|fascinating|refreshing|spot[- ]on|well[- ]written|excellent)"
)
_PRAISE_NOUN = (
    r"(?:blog|posts?|articles?|pieces?|reads?|write-?ups?|points?|stuff|job|work|questions?|discussions?|"
    r"conversations?|thoughts?|insights?|summary|overview|list|ones?|shares?|reminders?|perspectives?|takes?|"
    r"topics?|ideas?|advice|tips?|comments?|observations?|analysis|examples?|stories|story|series|site|thread)"
)

# Pleasantries, removed from a sentence before its substance is counted. Plain conversational English only.
# Each pattern comes with words it cannot match without: it runs only on a sentence holding one of them (a regex
# of many alternatives costs ~0.1 ms a sentence, a set test microseconds, and ranking calls this per candidate).
_PRAISE_WORDS = frozenset(
    """great good nice excellent awesome fantastic wonderful brilliant terrific superb interesting insightful
    thoughtful thought thought-provoking helpful useful informative amazing fabulous cool solid lovely valuable
    important timely fun fascinating refreshing spot spot-on well well-written""".split()
)
_PLEASANTRIES: list[tuple[str, frozenset[str]]] = [
    # greetings and sign-offs
    (r"\b(?:hi|hello|hey|hiya|dear|greetings|howdy|good\s+(?:morning|afternoon|evening|day))\b"
     r"(?:\s+(?:there|all|everyone|everybody|folks|guys|again))?",
     frozenset("hi hello hey hiya dear greetings howdy good".split())),
    (r"\b(?:(?:best|kind|warm)\s+)?regards\b", frozenset({"regards"})),
    (r"\bcheers\b", frozenset({"cheers"})),
    (r"\ball\s+the\s+best\b|\bbest\s+wishes\b", frozenset({"best", "wishes"})),
    # thanks
    (r"\b(?:(?:many|big|special|huge)\s+)?(?:thanks|thank\s*(?:you|u)|thx|ty|kudos|much\s+appreciated)\b"
     r"(?:\s+(?:so|very)\s+much|\s+a\s+(?:lot|ton|bunch)|\s+again|\s+(?:all|everyone))?"
     r"(?:\s+for\s+(?:this|that|it|sharing|posting|writing|the\s+(?:link|share|mention|reminder)|"
     r"(?:(?:the|this|your|a|such\s+an?)\s+)?(?:\w+\s+){0,2}" + _PRAISE_NOUN + r")(?:\s+(?:this|it|that))?)?",
     frozenset("thanks thank thankyou thanku thx ty kudos appreciated".split())),
    (r"\b(?:i\s+)?(?:really\s+)?appreciate\s+(?:it|this|that|the\s+(?:post|article|share|insight|link|mention))\b",
     frozenset({"appreciate"})),
    # praise of the post ("a really great post", "what an interesting discussion"; the small words are stopwords)
    (r"\b" + _PRAISE_ADJ + r"(?:\s*,?\s*" + _PRAISE_ADJ + r")*\s+" + _PRAISE_NOUN + r"\b", _PRAISE_WORDS),
    (r"\b(?:well\s+(?:said|put|written|done|stated)|spot\s+on|right\s+on|so\s+true|too\s+true|how\s+true|bravo|"
     r"brilliant|nicely\s+(?:done|put|said)|love\s+(?:it|this|that)(?:\s+" + _POST + r")?|"
     r"(?:you\s+)?nailed\s+it|(?:you\s+)?hit\s+the\s+nail\s+on\s+the\s+head|food\s+for\s+thought|"
     r"(?:just\s+)?my\s+(?:two|2)\s+cents(?:\s+worth)?|keep\s+up\s+the\s+(?:good|great|excellent)\s+work|"
     r"keep\s+(?:it|them)\s+coming|great\s+job|good\s+job|nice\s+(?:one|job|work)|"
     r"(?:i\s+)?(?:am\s+|'m\s+)?(?:really\s+)?(?:enjoying|enjoyed|loved|liked)\s+(?:reading\s+)?"
     r"(?:(?:this|that|it|your|the)\s+)?" + _POST + r"?|"
     r"(?:i'm\s+|i\s+am\s+|i\s+was\s+)?looking\s+forward\s+to\s+(?:reading\s+)?(?:(?:the|your)\s+)?"
     r"(?:next|more|part\s+\w+)(?:\s+(?:one|" + _POST + r"))?|"
     r"can'?t\s+wait\s+(?:for|to\s+read)\s+(?:the\s+next|more)(?:\s+" + _POST + r")?|bookmarked|subscribed|"
     r"(?:i\s+)?hope\s+you\s+don'?t\s+mind|thanks\s+again|(?:this\s+is\s+)?(?:a\s+)?must[- ]read)\b",
     frozenset("well spot right true bravo brilliant nicely love nailed nail food cents keep great good nice enjoying "
               "enjoyed loved liked looking wait bookmarked subscribed hope thanks must must-read".split())),
    # bare agreement ("yes", "exactly", "lol" and the like are FILLER_WORDS: they never count)
    (r"\b(?:i\s+)?(?:(?:totally|completely|fully|strongly|wholeheartedly|absolutely|mostly|so|definitely)\s+)?"
     r"(?:agree|concur)(?:\s+with\s+(?:you|this|that|him|her|them|everything|all|[A-Z]\w+))?"
     r"(?:\s+(?:100%|completely|totally|wholeheartedly|entirely|here|on\s+this))?\b|"
     r"\b(?:i\s+)?could(?:n'?t|\s+not)\s+agree\s+(?:with\s+(?:you|this|that)\s+)?more\b",
     frozenset({"agree", "concur"})),
    (r"\b(?:that|this|it)\s+(?:matches|mirrors|reflects)\s+(?:my|our)\s+(?:own\s+)?experiences?\b",
     frozenset({"matches", "mirrors", "reflects"})),
    (r"\b(?:i\s+)?(?:am\s+not|'m\s+not|was\s+not)\s+(?:so\s+)?sure\s+(?:about\s+)?(?:that|this|it)\b",
     frozenset({"sure"})),
]
_PATTERNS = [(re.compile(p, re.IGNORECASE), words) for p, words in _PLEASANTRIES]
_URL = re.compile(r"\bhttps?://\S+|\bwww\.\S+|\S+@\S+\.\w+")
_VOCATIVE = re.compile(r"^\s*(?:@\w+|[A-Z][\w'’.-]*(?:\s+[A-Z][\w'’.-]*){0,2})\s*(?:[,:!]|\s[–—-])\s*")
_HANDLE = re.compile(r"@\w+")
_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9'’\-]*")

# Words that make a clause: a sentence holding one of them asserts something; one without is a fragment
# ("Waste management.", "Drug traffickers?").
_CLAUSE = frozenset(
    """am is are was were be been being isn't aren't wasn't weren't have has had haven't hasn't hadn't do does did
    don't doesn't didn't can can't cannot could couldn't will won't would wouldn't shall should shouldn't may might
    must mustn't need needs i you he she it we they i'm you're he's she's it's we're they're i've you've we've
    they've i'd you'd he'd she'd we'd they'd i'll you'll he'll she'll we'll they'll there's that's what's who's
    let's""".split()
)
# Everyday words that carry no subject of their own: a sentence made only of these and stopwords says nothing a
# question could be about ("We saw the same thing last year.", "I think so too.").
FILLER_WORDS = frozenset(
    """same thing things stuff last first next year years time times day days today week month ago experience
    experiences point points bit little big lot lots kind sort sense see saw seen seeing look looks looked feel
    feels felt think thought thoughts believe guess suppose agree agreed disagree true totally completely sure
    exactly right wrong nice great interesting cool fine matter matters mean means meant happen happened
    interesting funny fun glad happy sad sorry hope hoping wish wonder wondering curious add adding added comment
    comments post posts blog article read reading share sharing shared write wrote written writing question
    questions answer discussion conversation topic reply replied mention mentioned come came comes back again
    here there too also maybe perhaps probably actually basically definitely certainly quite rather pretty two
    cents anyway anyways though however yet else ever also whole part agreed indeed amen ditto yep yup yeah nope
    lol haha hahaha hehe wow oh ah hmm precisely absolutely truly quite pretty super extremely another""".split()
)


def _sentence_substance(sentence: str) -> float:
    s = _URL.sub(" ", sentence.replace("’", "'").replace("‘", "'"))
    s = _VOCATIVE.sub("", s, count=1)
    present = {t.lower() for t in _TOKEN.findall(s)}
    for rx, words in _PATTERNS:
        if words & present:
            s = rx.sub(" ", s)
    s = _HANDLE.sub(" ", s.replace("+1", " "))
    tokens = [t.lower() for t in _TOKEN.findall(s)]
    content = [t for t in tokens if len(t) > 1 and t not in STOPWORDS and t not in FILLER_WORDS and not t.isdigit()]
    if not content:
        return 0.0
    if any(t in _CLAUSE for t in tokens) or len(tokens) >= 5:
        return float(len(content))
    return 0.3 * len(content)  # a verbless fragment of a few words: a label, a quip, a one-word answer


@lru_cache(maxsize=50_000)
def substance(text: str) -> float:
    """How many words of substance the text holds once its pleasantries are gone (fragments count for 0.3)."""
    text = (text or "").strip()
    if not text:
        return 0.0
    return sum(_sentence_substance(text[s:e]) for s, e in sentence_spans(text))


def chatter_score(text: str) -> float:
    """How much the text is chatter, in [0, 1]: 1.0 for "Great post! Thank you for this." or "Waste management.",
    near 0 for a comment that argues something. Works on a whole comment or on a single sentence.

    exp(-substance/2): no substance gives 1.0, two words of substance 0.37, six 0.05; smooth, so a ranker can
    use it as a feature while `is_chatter` draws the line.
    """
    return math.exp(-substance(text) / 2.0)


def is_chatter(text: str, threshold: float = THRESHOLD) -> bool:
    """True when the text says nothing beyond greeting, thanks, praise, agreement or a bare fragment."""
    return chatter_score(text) >= threshold
