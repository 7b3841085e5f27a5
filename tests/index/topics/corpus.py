"""A small themed corpus for topic tests: each theme's comments share words (the fake embedder is a bag of stems),
spread over several posts and people, with chatter mixed in."""

from index.models import Record

THEMES = {
    "roi": [
        "Measuring ROI of our campaigns needs metrics the CFO trusts.",
        "We track campaign metrics to prove ROI every quarter.",
        "ROI metrics convinced the board to fund the campaigns.",
        "Measuring ROI is hard when campaigns run on five channels.",
        "Campaign metrics and ROI reports go to finance monthly.",
        "Without metrics nobody believes the ROI of a campaign.",
    ],
    "legal": [
        "Legal risk grows when employees tweet about clients.",
        "Our lawyers wrote a policy on legal risk for employees.",
        "Employees need training on legal risk before they post.",
        "Legal risk and confidential client data worry the lawyers.",
        "A written policy limits legal risk from employees online.",
        "The lawyers review what employees publish to cut legal risk.",
    ],
    "b2b": [
        "B2B buyers research suppliers on LinkedIn groups.",
        "Our B2B sales team finds leads in LinkedIn groups.",
        "LinkedIn groups bring B2B leads cheaper than trade shows.",
        "B2B suppliers answer engineering questions in LinkedIn groups.",
        "Trade shows cost more than B2B leads from LinkedIn.",
        "B2B purchasing managers read LinkedIn groups daily.",
    ],
    "crisis": [
        "An angry customer complaint on YouTube became a crisis overnight.",
        "Answer a viral complaint within the hour or the crisis grows.",
        "The airline ignored the complaint and the crisis hit the news.",
        "A crisis plan says who answers a viral customer complaint.",
        "Monitoring alerts catch a complaint before it is a crisis.",
        "Apologise publicly when a customer complaint goes viral, then fix it.",
    ],
}
CHATTER = ["Great post! Thank you for this.", "Waste management.", "Well said, thanks for sharing!", "I agree."]
PEOPLE = ["Ann Lee", "Bob Cruz", "Cy Diaz", "Di Evans", "Ed Fox", "Flo Gray", "Gus Hill"]


def rec(post: str, cid: str, author: str, text: str) -> Record:
    return Record(post_id=post, comment_id=cid, kind="comment", author=author, date="2010-01-01", text=text,
                  post_title=f"Title of {post}", post_url=f"https://example.com/{post}")


def themed_records(themes=THEMES, posts: int = 3, chatter: bool = True) -> list[Record]:
    """Theme comments spread round-robin over `posts` posts and seven people; chatter in every post."""
    out = []
    n = 0
    for t, texts in themes.items():
        for i, text in enumerate(texts):
            out.append(rec(f"p{n % posts}", f"{t}{i}", PEOPLE[n % len(PEOPLE)], text))
            n += 1
    if chatter:
        for i, text in enumerate(CHATTER):
            out.append(rec(f"p{i % posts}", f"chat{i}", PEOPLE[i], text))
    return out


def page(post: str, texts: list[str], prefix: str = "new") -> list[Record]:
    """A new page: one post's comments, by people the corpus already has."""
    return [rec(post, f"{prefix}{i}", PEOPLE[(i + 3) % len(PEOPLE)], t) for i, t in enumerate(texts)]
