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
from typing import Any, BinaryIO

from pydantic import BaseModel, Field, StrictInt, StrictStr, ValidationError

from bot.answer.types import SCHEMA_VERSION
from bot.errors import EssaybotError, friendly_failure

log = logging.getLogger(__name__)

# A batch line is one question; a megabyte is far beyond any query limit, so a longer line is refused
# before the JSON parser spends time on it.
MAX_LINE_BYTES = 1_000_000

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
    """JSON lines of a batch file ("-" for stdin): (line number, object or None, error or None).

    The file is read as bytes and each line decoded on its own, so one line that is not UTF-8 spoils
    only itself; a line nested too deeply for the JSON parser is an error of that line too.
    """
    try:
        handle: BinaryIO = sys.stdin.buffer if str(path) == "-" else path.open("rb")
    except OSError as exc:
        raise EssaybotError(f"cannot read batch file {str(path)!r}: {exc.strerror or exc}") from exc
    with handle:
        for n, raw in enumerate(handle, 1):
            problem, obj = _parse_line(raw)
            if problem == "":
                continue  # a blank line
            if problem is not None:
                yield n, None, f"line {n}: {problem}"
                continue
            yield n, obj, None


def _parse_line(raw: bytes) -> tuple[str | None, dict[str, Any] | None]:
    """(problem, object): problem is "" for a blank line and None for a good one."""
    if len(raw) > MAX_LINE_BYTES:
        return f"longer than {MAX_LINE_BYTES:,} bytes", None
    try:
        line = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return f"not UTF-8 text (byte {exc.start + 1})", None
    if not line.strip():
        return "", None
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        return f"not valid JSON ({exc.msg})", None
    except RecursionError:
        return "not valid JSON (nested too deeply)", None
    if not isinstance(obj, dict):
        return "expected a JSON object", None
    return None, obj


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
            friendly = friendly_failure(exc)
            if friendly is not None:  # a full disk or a locked database: not a bug
                yield {"schema_version": SCHEMA_VERSION, "error": f"line {n}: {friendly}"}
                continue
            log.exception("batch line %d failed", n)
            yield {
                "schema_version": SCHEMA_VERSION,
                "error": f"line {n}: internal error ({type(exc).__name__})",
            }
