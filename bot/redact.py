"""The last line of defence for secrets: scrub the bot token and interaction/webhook tokens from every log line."""

from __future__ import annotations

import logging
import re


class RedactFilter(logging.Filter):
    """Last line of defence: scrub the bot token and interaction/webhook tokens from every log line."""

    _WEBHOOK = re.compile(r"(/(?:webhooks|interactions)/\d+/)[A-Za-z0-9_.\-]+")

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if s]

    def filter(self, record: logging.LogRecord) -> bool:
        msg = record.getMessage()
        clean = self._WEBHOOK.sub(r"\1<redacted>", msg)
        for s in self.secrets:
            clean = clean.replace(s, "<redacted>")
        if clean != msg:
            record.msg, record.args = clean, None
        return True


def install_redaction(token: str) -> None:
    f = RedactFilter([token])
    for h in logging.getLogger().handlers:
        h.addFilter(f)
