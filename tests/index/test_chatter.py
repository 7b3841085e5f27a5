import pytest

from index.chatter import THRESHOLD, chatter_score, is_chatter, substance

CHATTER = [
    "Great post! Thank you for this.",
    "Waste management.",
    "Drug traffickers?",
    "Thanks Amber, great post.",
    "I agree.",
    "Well said.",
    "Food for thought.",
    "Just my two cents.",
    "Looking forward to the next post.",
    "We saw the same thing last year.",
    "That matches my experience.",
    "This is a really interesting discussion.",
    "I could not agree more.",
    "Great post, thanks for sharing.",
    "Why bother?",
    "Hi all!",
    "Thanks so much for the great insights, Jane!",
    "What a great read. Bookmarked!",
    "+1",
    "lol",
    "Exactly!",
    "Amber, I promoted this post on my blog… I hope you don’t mind.",
    "Keep up the good work!",
    "Hello there. Very informative article, thanks a lot.",
    "Cheers,\nDave",
    "",
    "   ",
]

SUBSTANCE = [
    "B2B is hard.",
    "Boilerplate is no longer possible.",
    "Measuring ROI of campaigns needs metrics.",
    "Lawyers worry about liability when employees tweet.",
    "Use Twitter for customer service.",
    "I was going to say Plumbers and Electricians.",
    "Great post! Our legal team blocked Facebook until we wrote a policy for employees.",
    "Thanks Amber. I think small firms should start by listening before they post anything.",
    "Nice post. I can agree how businesses are more prone now to at least explore the possibility of using social "
    "media as a business plan.",
    "Pillow upgrade with purchase of deluxe burial package.",
]


@pytest.mark.parametrize("text", CHATTER)
def test_chatter_is_recognised(text):
    assert is_chatter(text), (text, chatter_score(text))


@pytest.mark.parametrize("text", SUBSTANCE)
def test_a_claim_is_not_chatter_even_behind_a_pleasantry(text):
    assert not is_chatter(text), (text, chatter_score(text))


def test_score_is_a_bounded_smooth_feature():
    scores = [chatter_score(t) for t in CHATTER + SUBSTANCE]
    assert all(0.0 <= s <= 1.0 for s in scores)
    assert chatter_score("Great post! Thank you for this.") == 1.0
    # more substance, less chatter: a ranker can use the score, not only the verdict
    short = "Start small."
    longer = "Start small with one channel."
    longest = "Start small with one channel, one owner and a monthly report to the board."
    assert chatter_score(short) > chatter_score(longer) > chatter_score(longest)
    assert chatter_score(longest) < 0.05


def test_pleasantries_add_nothing_and_take_nothing_away():
    claim = "Our legal team blocked Facebook until we wrote a policy for employees."
    assert substance("Great post, thanks for sharing! " + claim) == substance(claim)
    assert substance("Hi Jane, " + claim + " Cheers!") == substance(claim)


def test_fragments_count_for_little_and_clauses_in_full():
    assert substance("Legal risk.") < 1.0  # a label, not a claim
    assert substance("Legal risk is real.") >= 2.0
    # the same words as a sentence with a subject count in full
    assert substance("Plumbers.") < substance("Plumbers are busy.")


def test_threshold_is_the_documented_default():
    assert is_chatter("Waste management.") == (chatter_score("Waste management.") >= THRESHOLD)
    assert not is_chatter("Waste management.", threshold=0.9)
