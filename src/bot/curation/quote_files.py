"""The curated quotes export and import files: CSV for spreadsheets, JSON that ``/quotes import`` and
``essaybot quotes import`` read back, and finding an imported quote in today's text."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bot.curation.audit import CurationError
from bot.store.models import PassageRow

EXPORT_KIND = "curated_quotes"
EXPORT_SCHEMA_VERSION = "1.0"
EXPORT_FIELDS = (
    "id",
    "essay_id",
    "passage_id",
    "start",
    "end",
    "text",
    "note",
    "tags",
    "saved_by",
    "saved_at",
)


def export_document(guild_id: str, items: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The JSON export file: what ``parse_import`` reads back."""
    return {
        "schema_version": EXPORT_SCHEMA_VERSION,
        "kind": EXPORT_KIND,
        "guild_id": guild_id,
        "quotes": list(items),
    }


def export_csv(items: Sequence[dict[str, Any]]) -> str:
    """The export as CSV (tags joined with "; "), for spreadsheets; import reads the JSON."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=EXPORT_FIELDS, lineterminator="\n")
    writer.writeheader()
    for item in items:
        writer.writerow({**item, "tags": "; ".join(item.get("tags") or [])})
    return buffer.getvalue()


def parse_import(data: bytes) -> list[dict[str, Any]]:
    """The quotes of an export file (the export object, or a bare list of quotes)."""
    try:
        parsed = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise CurationError(
            "The file is not UTF-8 text: attach the .json file that /quotes export made."
        ) from None
    except ValueError as exc:
        raise CurationError(f"The file is not valid JSON ({exc}).") from None
    if isinstance(parsed, dict):
        if parsed.get("kind") not in (None, EXPORT_KIND):
            raise CurationError(f"This is a {parsed.get('kind')!r} file, not a curated quotes export.")
        parsed = parsed.get("quotes")
    if not isinstance(parsed, list):
        raise CurationError(
            "The file holds no list of quotes: attach the .json file that /quotes export made."
        )
    return parsed


def relocate(body: str, passage: PassageRow, item: dict[str, Any]) -> tuple[int, int]:
    """The span of an imported quote in today's body: its offsets, or its text found in its passage.

    Offsets shift when an essay is re-imported with edits before the quote; the passage id (a hash of
    the essay and the passage's words) and the quoted text do not.
    """
    start, end, text = item["start"], item["end"], item.get("text")
    if not isinstance(text, str) or body[start:end] == text:
        return start, end
    at = body.find(text, passage.start, passage.end)
    if at < 0:
        raise CurationError(f"Item for passage {passage.id!r}: its text is no longer in that passage.")
    return at, at + len(text)


def check_item(item: Any, n: int) -> dict[str, Any]:
    """Item ``n`` of an import, checked before anything is written."""
    if not isinstance(item, dict):
        raise CurationError(f"Item {n} is not an object.")
    for key, kind in (("passage_id", str), ("start", int), ("end", int)):
        if not isinstance(item.get(key), kind) or isinstance(item.get(key), bool):
            raise CurationError(f"Item {n}: {key!r} is missing or not a {kind.__name__}.")
    if item.get("tags") is not None and not (
        isinstance(item["tags"], list) and all(isinstance(t, str) for t in item["tags"])
    ):
        raise CurationError(f"Item {n}: 'tags' must be a list of strings.")
    if item.get("note") is not None and not isinstance(item["note"], str):
        raise CurationError(f"Item {n}: 'note' must be text.")
    if item.get("text") is not None and not isinstance(item["text"], str):
        raise CurationError(f"Item {n}: 'text' must be text.")
    return item


def parse_time(value: Any) -> datetime | None:
    """An exported ``saved_at`` (ISO 8601 with a time zone), or None."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None
