"""Pages added to or removed from the corpus by admins: checked, previewed, saved, moved out. No Discord here.

/addpost (a file today, a URL tomorrow: whatever fetches the bytes hands them to `prepare`) shows a preview and
waits for Confirm. The preview is kept in the bot's SQLite state, not in memory, so Confirm pressed after a restart
still saves the page; a preview older than `PREVIEW_TTL_S` has expired and the admin is told to upload again.
Every refusal is a UserError whose text comes from prompts/replies.toml.
"""

from __future__ import annotations

import logging
import re
import shutil
import time
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.render import DESCRIPTION_BUDGET, clip, escape_markdown
from bot.texts import Texts
from index.errors import UserError

log = logging.getLogger(__name__)
PREVIEW_TTL_S = 24 * 3600  # a preview not confirmed within a day is dropped (its bytes live in SQLite meanwhile)
URL = re.compile(r"^https?://\S+$")


def safe_name(name: str) -> str:
    """A plain file name: no folders, no hidden files, only safe characters."""
    base = Path(name.replace("\\", "/")).name
    base = re.sub(r"[^A-Za-z0-9._-]+", "_", base).lstrip("._")
    return base[:120] or "upload.txt"


def plain_name(name: str) -> bool:
    """A name as a person gives a file: no folders, not hidden, no control or invisible formatting characters."""
    return not (re.search(r"[/\\]|^\.", name) or any(unicodedata.category(c) in ("Cc", "Cf") for c in name))


@dataclass
class Preview:
    """What an admin confirms: the page as the reader sees it, and what will be written."""

    name: str
    data: bytes
    meta: dict[str, str] = field(default_factory=dict)
    text: str = ""  # the preview card's description


class Uploads:
    """The corpus folder as admins change it."""

    def __init__(self, corpus_dir: Path, data_dir: Path, texts: Texts, settings: Any = None) -> None:
        self.corpus_dir = Path(corpus_dir)
        self.data_dir = Path(data_dir)
        self.t = texts
        self.settings = settings  # DiscordSettings: max_upload_mb is read at each check

    @property
    def max_upload_mb(self) -> float:
        return float(getattr(self.settings, "max_upload_mb", 8.0))

    # checks ----------------------------------------------------------------------------------------------------
    def check_name(self, filename: str, size: int | None = None) -> str:
        """The plain name a file will be saved under; refused before a byte is downloaded when it cannot be."""
        t = self.t
        if size is not None:
            self.check_size(size)
        name = safe_name(filename)
        if not plain_name(filename):  # ../, a folder, a hidden file, control characters: refused, not guessed
            raise UserError(t("admin.bad_name", file=name))
        if Path(name).suffix.lower():
            self._check_suffix(name)
        return name

    def check_size(self, size: int) -> None:
        if size > self.max_upload_mb * 1024 * 1024:
            raise UserError(self.t("admin.too_big", mb=size / 1024 / 1024, limit=self.max_upload_mb))

    def check_meta(self, meta: dict[str, str]) -> dict[str, str]:
        url = meta.get("url")
        if url and not URL.match(url):
            raise UserError(self.t("errors.user", message="url must start with http:// or https:// "
                                                         f"(got {escape_markdown(clip(url, 80))})"))
        return {k: v for k, v in meta.items() if v}

    def _check_suffix(self, name: str) -> None:
        from index.corpus import CORPUS_SUFFIXES

        if Path(name).suffix.lower() not in CORPUS_SUFFIXES:
            raise UserError(self.t("admin.bad_suffix", suffixes=", ".join(CORPUS_SUFFIXES)))

    def _check_bytes(self, data: bytes, name: str) -> None:
        self.check_size(len(data))
        self._check_suffix(name)
        if b"\x00" in data[:65536]:
            raise UserError(self.t("admin.binary"))
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            try:
                data.decode("cp1252")  # old blogs: the reader copes with cp1252, so accept it here too
            except UnicodeDecodeError:
                raise UserError(self.t("admin.binary")) from None

    # preview ---------------------------------------------------------------------------------------------------
    def prepare(self, data: bytes, name: str, meta: dict[str, str]) -> Preview:
        """Read the page as the index will: refused with the reader's reason, or previewed (posts, comments, how
        many are attributed, warnings). Blocking (the reader): call it off the event loop."""
        from index.corpus import parse_bytes

        t = self.t
        self._check_bytes(data, name)
        meta = self.check_meta(meta)
        try:
            page = parse_bytes(data, name, meta or None)
        except Exception as e:  # the reader should not raise on content; if it does, the admin gets the reason
            log.warning("reader failed on upload %s", name, exc_info=True)
            raise UserError(t("admin.unreadable", reason=clip(f"{type(e).__name__}: {e}", 300))) from None
        if page.shape == "unreadable" or (not page.records and page.warnings):  # the reader's reason, escaped
            reason = "; ".join(w.message for w in page.warnings) or "unreadable"
            raise UserError(t("admin.unreadable", reason=escape_markdown(clip(reason, 300))))
        if not page.records:
            raise UserError(t("admin.empty"))
        comments = page.comments
        attributed = (sum(1 for c in comments if c.author) / len(comments)) if comments else 0.0
        warn_lines = [escape_markdown(clip(str(w), 200)) for w in page.warnings[:8]]
        if len(page.warnings) > 8:
            warn_lines.append(f"… +{len(page.warnings) - 8}")
        text = t("admin.preview", file=name, shape=page.shape, posts=len(page.posts), comments=len(comments),
                 attributed=attributed, warnings="\n".join(warn_lines) or t("admin.no_warnings"))
        return Preview(name=name, data=data, meta=meta, text=clip(text, DESCRIPTION_BUDGET))

    # the folder ------------------------------------------------------------------------------------------------
    def save(self, data: bytes, name: str, meta: dict[str, str]) -> str | None:
        """Write the page (and a .meta.toml sidecar for title/author/url) into the corpus folder.

        Never overwrites: an identical file means "already there" (None), a different one gets a new name.
        """
        from index.corpus.intake import save_page  # shared with `adoptbot corpus fetch`

        saved = save_page(self.corpus_dir, data, name, meta)
        return None if saved.existed else saved.name

    def files(self) -> list[str]:
        """The page files in the corpus folder (empty when it cannot be listed: the reindex reports why)."""
        from index.corpus import CORPUS_SUFFIXES

        if not self.corpus_dir.is_dir():
            return []
        try:
            entries = list(self.corpus_dir.iterdir())
        except OSError as e:
            log.warning("cannot list the corpus folder %s: %s", self.corpus_dir, e)
            return []
        return sorted(p.name for p in entries if p.is_file() and p.suffix in CORPUS_SUFFIXES)

    def check_removable(self, name: str) -> None:
        """Typed by hand: checked against the folder, never taken as a path."""
        if name not in self.files():
            raise UserError(self.t("admin.unknown_file", file=clip(name, 100).replace("`", "'")))  # shown in `code`

    def move_out(self, name: str) -> str:
        """Nothing is lost: the page (and its sidecar) move to data/removed/<time>/, not to the void."""
        self.check_removable(name)
        dest = self.data_dir / "removed" / time.strftime("%Y%m%d-%H%M%S")
        dest.mkdir(parents=True, exist_ok=True)
        for p in (self.corpus_dir / name, self.corpus_dir / (name + ".meta.toml"),
                  self.corpus_dir / (Path(name).stem + ".meta.toml")):
            if p.exists():
                shutil.move(str(p), str(dest / p.name))
        parent = self.data_dir.parent
        return str(dest.relative_to(parent)) if dest.is_relative_to(parent) else str(dest)
