"""Logging setup: text or JSON lines, with the level from the settings."""

from __future__ import annotations

import json
import logging
import os
from typing import Any


class JsonFormatter(logging.Formatter):
    """One JSON object per line, for log collectors."""

    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        if record.exc_info:
            # exc_text first: RedactFilter leaves a redacted rendering of the traceback there.
            data["exc"] = record.exc_text or self.formatException(record.exc_info)
        return json.dumps(data, ensure_ascii=False)


def setup_logging(settings: Any, *, cli: bool = False, verbose: bool = False) -> None:
    """Configure the root logger once per process.

    The CLI stays quiet (warnings only) unless ``--verbose``, so its output is just the answer.
    """
    level = getattr(logging, str(settings.log_level))
    if cli and not verbose:
        level = max(level, logging.WARNING)
    handler = logging.StreamHandler()
    if settings.log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # Third-party libraries are chatty at INFO; their warnings still come through.
    for noisy in ("sentence_transformers", "transformers", "httpx", "huggingface_hub", "alembic", "bm25s"):
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


class RedactFilter(logging.Filter):
    """Replaces a secret (the Discord token) wherever it would appear in a log line."""

    def __init__(self, secret: str) -> None:
        super().__init__()
        self.secret = secret

    def filter(self, record: logging.LogRecord) -> bool:
        """Redact the message, the traceback and the stack of ``record``; never drops it."""
        if not self.secret:
            return True
        message = record.getMessage()
        if self.secret in message:
            record.msg, record.args = self._clean(message), None
        if record.exc_info and record.exc_info[0] is not None:
            # The traceback holds exception messages and, with some libraries, local values: render
            # it here, redacted, where formatters look first (logging caches it in exc_text).
            text = record.exc_text or _PLAIN.formatException(record.exc_info)
            record.exc_text = self._clean(text)
        elif record.exc_text:
            record.exc_text = self._clean(record.exc_text)
        if record.stack_info:
            record.stack_info = self._clean(record.stack_info)
        return True

    def _clean(self, text: str) -> str:
        return text.replace(self.secret, "[redacted token]")


# Renders tracebacks exactly as logging's own formatters do (it is where they get them from).
_PLAIN = logging.Formatter()


def redact(secret: str) -> None:
    """Never let ``secret`` reach a log handler, whatever library logs it."""
    for handler in logging.getLogger().handlers:
        handler.addFilter(RedactFilter(secret))
