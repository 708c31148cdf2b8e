"""Discord's documented limits, and small helpers that phrase a breach the way Discord does."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

CONTENT_MAX = 2000
EMBEDS_MAX = 10
EMBED_TITLE_MAX = 256
EMBED_DESCRIPTION_MAX = 4096
EMBED_FIELDS_MAX = 25
EMBED_FIELD_NAME_MAX = 256
EMBED_FIELD_VALUE_MAX = 1024
EMBED_FOOTER_MAX = 2048
EMBED_AUTHOR_MAX = 256
EMBED_TOTAL_MAX = 6000
ACTION_ROWS_MAX = 5
ROW_COMPONENTS_MAX = 5
CUSTOM_ID_MAX = 100
BUTTON_LABEL_MAX = 80
SELECT_OPTIONS_MAX = 25
SELECT_OPTION_TEXT_MAX = 100
SELECT_PLACEHOLDER_MAX = 150
MODAL_TITLE_MAX = 45
TEXT_INPUT_LABEL_MAX = 45
TEXT_INPUT_VALUE_MAX = 4000
TEXT_INPUT_PLACEHOLDER_MAX = 100
LABEL_DESCRIPTION_MAX = 100
V2_COMPONENTS_MAX = 40
ATTACHMENTS_MAX = 10
CHOICES_MAX = 25
COMMAND_NAME_MAX = 32
COMMAND_DESCRIPTION_MAX = 100
OPTIONS_MAX = 25
MESSAGE_FLAGS_ALLOWED = 4 | 64 | 4096 | 32768  # suppress embeds, ephemeral, silent, components v2
COMPONENTS_V2 = 32768

SELECT_TYPES = {3, 5, 6, 7, 8}
SLASH_NAME = re.compile(r"^[-_'\w]{1,32}$")


def join(prefix: str, key: str | int) -> str:
    """``prefix.key``, or ``key`` at the top."""
    return f"{prefix}.{key}" if prefix else str(key)


def max_len(value: Any, limit: int, path: str) -> Iterator[str]:
    """A problem when ``value`` is a string longer than ``limit``."""
    if isinstance(value, str) and len(value) > limit:
        yield f"{path}: Must be {limit} or fewer in length."


def bounded(value: Any, low: int, high: int, path: str, *, required: bool) -> Iterator[str]:
    """A problem when ``value`` is missing (if required), not a string, or outside ``low..high``."""
    if value is None:
        if required:
            yield f"{path}: This field is required"
        return
    if not isinstance(value, str):
        yield f"{path}: Must be a string."
    elif not low <= len(value) <= high:
        yield f"{path}: Must be between {low} and {high} in length."
