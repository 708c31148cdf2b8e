"""Batch mode: JSON lines in, one JSON object out per line, and a bad line never stops the batch.

Kept apart from the CLI so the same loop can serve any shell that answers many questions at once
while loading the model once.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, StrictInt, StrictStr, ValidationError

from bot.answer.types import SCHEMA_VERSION
from bot.errors import EssaybotError

log = logging.getLogger(__name__)

Answer = Callable[[dict[str, Any]], dict[str, Any]]


class WhoSaidLine(BaseModel):
    """One line of ``who-said --batch``; other keys (an ``id``, say) are ignored."""

    query: StrictStr
    author: StrictStr | None = None
    top: StrictInt | None = Field(default=None, ge=1, le=25)


class CompareLine(BaseModel):
    """One line of ``compare --batch``."""

    a: StrictStr
    b: StrictStr
    topic: StrictStr
    top: StrictInt | None = Field(default=None, ge=1, le=10)


def read_lines(path: Path) -> Iterator[tuple[int, dict[str, Any] | None, str | None]]:
    """JSON lines of a batch file ("-" for stdin): (line number, object or None, error or None)."""
    try:
        handle = sys.stdin if str(path) == "-" else path.open(encoding="utf-8")
    except OSError as exc:
        raise EssaybotError(f"cannot read batch file {str(path)!r}: {exc.strerror}") from exc
    with handle:
        for n, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                yield n, None, f"line {n}: not valid JSON ({exc.msg})"
                continue
            if not isinstance(obj, dict):
                yield n, None, f"line {n}: expected a JSON object"
                continue
            yield n, obj, None


def _field_error(exc: ValidationError) -> str:
    first = exc.errors()[0]
    where = ".".join(str(x) for x in first["loc"]) or "line"
    return f"field {where!r}: {first['msg']}"


def answer_lines(path: Path, answer: Answer) -> Iterator[dict[str, Any]]:
    """Answer every line of a batch file; a bad line yields ``{"error": …}`` naming the line."""
    for n, obj, problem in read_lines(path):
        if obj is None:
            yield {"schema_version": SCHEMA_VERSION, "error": problem}
            continue
        try:
            yield answer(obj)
        except ValidationError as exc:
            yield {"schema_version": SCHEMA_VERSION, "error": f"line {n}: {_field_error(exc)}"}
        except EssaybotError as exc:
            yield {"schema_version": SCHEMA_VERSION, "error": f"line {n}: {exc}"}
        except Exception as exc:  # a bug must not lose the rest of the batch
            log.exception("batch line %d failed", n)
            yield {
                "schema_version": SCHEMA_VERSION,
                "error": f"line {n}: internal error ({type(exc).__name__})",
            }
