"""Putting a new page into the corpus folder: a free file name, a `.meta.toml` sidecar, never an overwrite.

Shared by `adoptbot corpus fetch` and the bot's `/addpost url:` (this module never imports discord), so a page
added either way lands the same: the sidecar first, then the page in one link (a build that starts meanwhile sees
the page whole, with its sidecar, or not at all).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

from index.corpus.reader import META_SUFFIX

if TYPE_CHECKING:
    from index.corpus.fetch import Fetched
    from index.models import ParsedPage
    from index.settings import FetchSettings

SIDECAR_FIELDS = ("url", "title", "author", "date")


def toml_str(s: str) -> str:
    """A TOML basic string: newlines become spaces, other control characters go (TOML forbids them)."""
    s = re.sub(r"[\r\n]+", " ", s)
    s = re.sub(r"[\x00-\x08\x0b-\x1f\x7f]", "", s)
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def name_for(url: str, kind: str) -> str:
    """A readable file name from the address: the last path segment ('should-a-bakery-be-on-twitter.html'), else
    the host; only safe characters."""
    parts = urlsplit(url)
    segs = [unquote(p) for p in parts.path.split("/") if p]
    stem = segs[-1] if segs else (parts.hostname or "page")
    stem = re.sub(r"\.(?:html?|php|aspx?|xml)$", "", stem, flags=re.I)
    if stem.lower() in ("index", "default", "feed") and len(segs) > 1:
        stem = segs[-2]
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", stem).strip(".-_")[:80] or "page"
    return stem + (".xml" if kind == "wxr" else ".html")


@dataclass(frozen=True)
class Saved:
    name: str  # the page's file name in the corpus folder
    existed: bool  # True: the same bytes were already there under this name; nothing was written


def save_page(corpus_dir: Path, data: bytes, name: str, meta: dict[str, str]) -> Saved:
    """Writes the page (and its sidecar) under a name no file has; identical bytes already there are not saved
    twice. Never overwrites a page or a sidecar."""
    corpus_dir.mkdir(parents=True, exist_ok=True)
    stem, suffix = name.rsplit(".", 1)[0], "." + name.rsplit(".", 1)[1]
    n = 1
    while True:
        cand = f"{stem}{'' if n == 1 else f'-{n}'}{suffix}"
        page, side = corpus_dir / cand, corpus_dir / (cand.rsplit(".", 1)[0] + META_SUFFIX)
        if page.exists():
            if page.is_file() and not page.is_symlink() and page.read_bytes() == data:
                return Saved(cand, True)
        elif not side.exists():
            break
        n += 1
    if meta:
        body = "".join(f"{k} = {toml_str(meta[k])}\n" for k in SIDECAR_FIELDS if meta.get(k))
        with open(side, "x", encoding="utf-8") as f:  # "x": fails rather than overwrite
            f.write("# Written by adoptbot when the page was added.\n" + body)
    tmp = corpus_dir / f".{cand}.{os.getpid()}.part"
    tmp.write_bytes(data)
    try:
        os.link(tmp, page)  # fails if a page of that name appeared meanwhile: never overwritten
    except FileExistsError:
        tmp.unlink(missing_ok=True)
        return save_page(corpus_dir, data, name, meta)
    finally:
        tmp.unlink(missing_ok=True)
    return Saved(cand, False)


@dataclass
class Preview:
    """A fetched page as the reader sees it, before it is saved: what the admin confirms."""

    fetched: Fetched
    name: str
    meta: dict[str, str]
    page: ParsedPage

    @property
    def attributed(self) -> float:
        cs = self.page.comments
        return sum(1 for c in cs if c.author) / len(cs) if cs else 0.0


def preview_url(url: str, settings: FetchSettings | None = None, **fetch_kw: object) -> Preview:
    """Downloads a URL and reads it as the corpus would, without saving anything (FetchError on a bad URL)."""
    from index.corpus import parse_bytes
    from index.corpus.fetch import fetch

    got = fetch(url, settings, **fetch_kw)  # type: ignore[arg-type]
    name = name_for(got.url, got.kind)
    meta = {"url": got.url}
    page = parse_bytes(got.data, name, meta)
    post = page.posts[0] if page.posts else None
    if post is not None:
        meta.update({k: v for k, v in (("title", post.post_title), ("author", post.author), ("date", post.date))
                     if v})
    return Preview(got, name, meta, page)
