"""The one logging set-up: key=value or JSON lines on stderr; the discord logger kept at INFO."""

from __future__ import annotations

import json
import logging
import os
import sys
import time

_DONE = False
LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")  # what ADOPTBOT_LOG_LEVEL and --log-level accept


class KVFormatter(logging.Formatter):
    """`ts=… level=… logger=… msg="…"` lines: greppable, one event per line."""

    def format(self, record: logging.LogRecord) -> str:
        ts = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
        msg = record.getMessage().replace('"', "'")
        out = f'ts={ts} level={record.levelname.lower()} logger={record.name} msg="{msg}"'
        if record.exc_info:
            out += " exc=" + json.dumps(self.formatException(record.exc_info))
        return out


class JSONFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        d = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        if record.exc_info:
            d["exc"] = self.formatException(record.exc_info)
        return json.dumps(d)


def setup_logging(level: str | None = None, fmt: str | None = None) -> None:
    """Configure the root logger once; later calls only change the level."""
    global _DONE
    if level is None or fmt is None:
        from index.settings import LogSettings  # reads the environment and .env

        try:
            cfg = LogSettings()
            level, fmt = level or cfg.level, fmt or cfg.format
        except Exception:  # a malformed .env must not stop the CLI from reporting it
            level, fmt = level or os.environ.get("ADOPTBOT_LOG_LEVEL", "INFO"), fmt or "kv"
    level, fmt = level.upper(), fmt.lower()
    bad_level = level not in LEVELS
    root = logging.getLogger()
    root.setLevel("INFO" if bad_level else level)
    if not _DONE:
        h = logging.StreamHandler(sys.stderr)
        h.setFormatter(JSONFormatter() if fmt == "json" else KVFormatter())
        root.addHandler(h)
        # discord.py logs request URLs at DEBUG; webhook/interaction URLs carry tokens. Never below INFO.
        logging.getLogger("discord").setLevel(max(logging.INFO, root.level))
        for noisy in ("httpx", "chromadb", "sentence_transformers", "urllib3", "filelock"):
            logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
        _DONE = True
    if bad_level:
        logging.getLogger(__name__).warning("log level %r is not one of %s: using INFO (ADOPTBOT_LOG_LEVEL)",
                                            level, ", ".join(LEVELS))
