"""A deterministic synthetic corpus for the latency benchmark: N comments as WordPress exports (WXR).

Comments are made of sentences drawn from a finite pool (templates x fillers, plus product names that give BM25
a realistic vocabulary), so `SentenceTableEmbedder` can embed the pool once with the real model and give each
chunk the normalised mean of its sentences' vectors: a 100,000-comment index is built in minutes on 2 cores,
while the query path (real model, real Chroma, real BM25) is the one the bot runs.

    .venv/bin/python bench/synth.py OUT_DIR --comments 100000
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path
from xml.sax.saxutils import escape

SEED = 20240601
FIRST = "Ann Bob Carla Dev Eve Femi Gus Hana Ivan Jo Kai Lena Max Nia Omar Pia Raj Sara Tom Uma Vic Wen".split()
LAST = "Adams Brown Chen Diaz Evans Fox Garcia Hill Ito Jones Khan Lee Moore Ng Ortiz Patel Quinn Rossi Silva".split()
AUDIENCE = ["plumbers", "restaurants", "law firms", "B2B suppliers", "hospitals", "banks", "universities",
            "charities", "airlines", "retailers", "defense contractors", "startups"]
CHANNEL = ["Twitter", "Facebook", "LinkedIn", "a company blog", "YouTube", "an intranet wiki", "a forum", "Yelp"]
GOAL = ["customer service", "recruiting", "lead generation", "internal communication", "brand awareness",
        "product feedback", "crisis response", "community building"]
TEMPLATES = [
    "I think {aud} can get real value from {ch} if they use it for {goal}.",
    "Our clients in {aud} tried {ch} for {goal} and the results were mixed.",
    "Honestly, {ch} is overrated for {goal}; {aud} should start by listening.",
    "The hardest part for {aud} is proving the ROI of {goal} on {ch}.",
    "We measured {goal} on {ch} for a year and it paid off.",
    "Legal and compliance teams at {aud} worry about {ch}.",
    "Start small: one person, one channel like {ch}, one goal like {goal}.",
    "Without executive support, {goal} on {ch} goes nowhere.",
    "{aud} rarely have the staff to keep {ch} updated every day.",
    "Using {ch} for {goal} is just communication with a new tool.",
]
FILLER = [
    "Great post, thanks for sharing.", "I could not agree more.", "This is a really interesting discussion.",
    "Just my two cents.", "Looking forward to the next post.", "We saw the same thing last year.",
    "That matches my experience.", "I am not so sure about that.", "Well said.", "Food for thought.",
]
PRODUCT = "We tried {p} last quarter and kept it."


def product_names(n: int, rng: random.Random) -> list[str]:
    syll = "ka lo mi ra zu ten vor bix qua del fin gor hul jax nep".split()
    out: set[str] = set()
    while len(out) < n:
        out.add("".join(rng.choice(syll) for _ in range(3)).capitalize())
    return sorted(out)


def sentence_pool(seed: int = SEED) -> tuple[list[str], list[str], list[str]]:
    """(topical sentences, filler sentences, product sentences): every sentence a comment can contain."""
    rng = random.Random(seed)
    topical = sorted({t.format(aud=a, ch=c, goal=g) for t in TEMPLATES for a in AUDIENCE for c in CHANNEL
                      for g in GOAL if rng.random() < 0.12})
    for i, s in enumerate(topical):  # capitalise sentence starts made by a slot
        topical[i] = s[0].upper() + s[1:]
    products = [PRODUCT.format(p=p) for p in product_names(1500, rng)]
    return topical, list(FILLER), products


def comment_text(rng: random.Random, pool: tuple[list[str], list[str], list[str]]) -> str:
    topical, filler, products = pool
    parts = [rng.choice(topical) for _ in range(rng.randint(1, 3))]
    if rng.random() < 0.5:
        parts.insert(0, rng.choice(filler))
    if rng.random() < 0.4:
        parts.append(rng.choice(products))
    return " ".join(dict.fromkeys(parts))


def write_corpus(out: Path, comments: int, *, per_post: int = 100, posts_per_file: int = 50, seed: int = SEED) -> int:
    """Write ceil(comments / per_post) posts into WXR files of posts_per_file posts; returns files written."""
    rng = random.Random(seed)
    pool = sentence_pool(seed)
    out.mkdir(parents=True, exist_ok=True)
    people = [f"{f} {la}" for f in FIRST for la in LAST]
    n_posts = -(-comments // per_post)
    files = 0
    left = comments
    for f0 in range(0, n_posts, posts_per_file):
        items = []
        for p in range(f0, min(n_posts, f0 + posts_per_file)):
            day = 1 + p % 28
            month = 1 + (p // 28) % 12
            year = 2009 + (p // 336) % 6
            body = " ".join(rng.choice(pool[0]) for _ in range(6))
            cs = []
            for c in range(min(per_post, left)):
                left -= 1
                cs.append(
                    f"<wp:comment><wp:comment_id>{c + 1}</wp:comment_id>"
                    f"<wp:comment_author>{escape(rng.choice(people))}</wp:comment_author>"
                    f"<wp:comment_date>{year}-{month:02d}-{day:02d} {c % 24:02d}:{c % 60:02d}:00</wp:comment_date>"
                    f"<wp:comment_content><![CDATA[{comment_text(rng, pool)}]]></wp:comment_content>"
                    "<wp:comment_approved>1</wp:comment_approved><wp:comment_type></wp:comment_type></wp:comment>"
                )
            items.append(
                f"<item><title>Synthetic post {p + 1}</title><link>https://synthetic.example/p/{p + 1}</link>"
                f"<dc:creator>author{p % 40}</dc:creator><wp:post_id>{p + 1}</wp:post_id>"
                f"<wp:post_date>{year}-{month:02d}-{day:02d} 09:00:00</wp:post_date>"
                "<wp:post_type>post</wp:post_type><wp:status>publish</wp:status>"
                f"<content:encoded><![CDATA[<p>{escape(body)}</p>]]></content:encoded>{''.join(cs)}</item>"
            )
        xml = (
            '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" '
            'xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:dc="http://purl.org/dc/elements/1.1/" '
            'xmlns:wp="http://wordpress.org/export/1.2/"><channel><title>Synthetic</title>'
            + "".join(items) + "</channel></rss>\n"
        )
        (out / f"synth_{files:03d}.xml").write_text(xml, encoding="utf-8")
        files += 1
    return files


class SentenceTableEmbedder:
    """Chunk vector = normalised mean of its sentences' real vectors, each distinct sentence embedded once.

    Presents the real Embedder's identity (name, token counter) so the built index is queried by the real model.
    """

    def __init__(self, real: object) -> None:
        import numpy as np

        self._np = np
        self.real = real
        self.name = real.name
        self.dim = real.dim
        self.max_seq_length = real.max_seq_length
        if hasattr(real, "count_tokens"):
            self.count_tokens = real.count_tokens
        if hasattr(real, "settings"):
            self.settings = real.settings
        self.table: dict[str, object] = {}

    def preload(self, sentences: list[str]) -> None:
        todo = [s for s in dict.fromkeys(sentences) if s not in self.table]
        for i in range(0, len(todo), 256):
            part = todo[i: i + 256]
            for s, v in zip(part, self.real.embed(part), strict=True):
                self.table[s] = v

    def embed(self, texts: list[str]):
        from index.text import sentence_spans

        np = self._np
        split = [[t[s:e] for s, e in sentence_spans(t)] or [t] for t in texts]
        self.preload([s for ss in split for s in ss])
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, ss in enumerate(split):
            v = np.sum([self.table[s] for s in ss], axis=0)
            out[i] = v / (np.linalg.norm(v) or 1.0)
        return out

    def embed_query(self, text: str):
        return self.real.embed_query(text)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--comments", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=SEED)
    a = ap.parse_args()
    n = write_corpus(a.out, a.comments, seed=a.seed)
    print(f"wrote {n} files, {a.comments} comments into {a.out}")


if __name__ == "__main__":
    main()
