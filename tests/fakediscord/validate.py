"""Discord's documented payload limits, as pure functions.

Every check returns problems as ``"path: message"`` strings, the path written the way Discord's
"Invalid Form Body" errors name it (``embeds.0.fields.3.value``), so that :func:`errors_tree` can
rebuild the nested ``errors`` object a real 400 carries and discord.py can print it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Literal

from . import validate_ui as ui
from .limits import (
    ATTACHMENTS_MAX,
    CHOICES_MAX,
    COMMAND_DESCRIPTION_MAX,
    COMMAND_NAME_MAX,
    COMPONENTS_V2,
    CONTENT_MAX,
    EMBED_AUTHOR_MAX,
    EMBED_DESCRIPTION_MAX,
    EMBED_FIELD_NAME_MAX,
    EMBED_FIELD_VALUE_MAX,
    EMBED_FIELDS_MAX,
    EMBED_FOOTER_MAX,
    EMBED_TITLE_MAX,
    EMBED_TOTAL_MAX,
    EMBEDS_MAX,
    MESSAGE_FLAGS_ALLOWED,
    OPTIONS_MAX,
    SELECT_TYPES,
    SLASH_NAME,
    TEXT_INPUT_VALUE_MAX,
    bounded,
    join,
    max_len,
)

Kind = Literal["message", "modal", "autocomplete", "callback", "commands"]

__all__ = ["SELECT_TYPES", "TEXT_INPUT_VALUE_MAX", "Kind", "errors_tree", "is_empty_message", "problems"]


def problems(payload: Any, *, kind: Kind = "message") -> list[str]:
    """Everything in ``payload`` that Discord would refuse with "Invalid Form Body".

    ``kind`` says what the payload is: a message body (create or edit: channel message, webhook,
    interaction data of callback types 4 and 7), a modal (callback type 9's data), autocomplete
    choices (type 8's data), a whole interaction callback body ``{"type", "data"}``, or the list of
    application commands of a bulk overwrite.
    """
    if kind == "message":
        return list(_message(payload, ""))
    if kind == "modal":
        return list(ui.modal(payload, ""))
    if kind == "autocomplete":
        return list(_choices(payload, ""))
    if kind == "callback":
        return list(_callback(payload))
    return list(_commands(payload))


def is_empty_message(payload: dict[str, Any]) -> bool:
    """True when a new message would have nothing to show (Discord answers 50006)."""
    return not any(
        payload.get(key) for key in ("content", "embeds", "components", "attachments", "poll", "sticker_ids")
    )


def errors_tree(found: list[str]) -> dict[str, Any]:
    """Nest ``"a.0.b: message"`` problems into Discord's ``errors`` object."""
    tree: dict[str, Any] = {}
    for problem in found:
        path, _, message = problem.partition(": ")
        node = tree
        for part in [p for p in path.split(".") if p] or ["_root"]:
            node = node.setdefault(part, {})
        node.setdefault("_errors", []).append({"code": _code(message), "message": message})
    return tree


def _code(message: str) -> str:
    if message.startswith("This field is required"):
        return "BASE_TYPE_REQUIRED"
    if message.startswith("Must be between"):
        return "BASE_TYPE_BAD_LENGTH"
    if "or fewer in length" in message:
        return "BASE_TYPE_MAX_LENGTH"
    return "BASE_TYPE_INVALID"


def _message(payload: Any, prefix: str) -> Iterator[str]:
    if not isinstance(payload, dict):
        yield f"{prefix or '_root'}: Must be an object."
        return
    flags = payload.get("flags") or 0
    if flags & ~MESSAGE_FLAGS_ALLOWED:
        yield f"{join(prefix, 'flags')}: Invalid flags {flags & ~MESSAGE_FLAGS_ALLOWED}."
    v2 = bool(flags & COMPONENTS_V2)
    content = payload.get("content")
    yield from max_len(content, CONTENT_MAX, join(prefix, "content"))
    embeds = payload.get("embeds") or []
    if v2 and (content or embeds):
        yield f"{join(prefix, 'content')}: The content and embeds fields cannot be used with components v2."
    if len(embeds) > EMBEDS_MAX:
        yield f"{join(prefix, 'embeds')}: Must be {EMBEDS_MAX} or fewer in length."
    total = 0
    for index, embed in enumerate(embeds):
        found, size = _embed(embed, join(join(prefix, "embeds"), index))
        yield from found
        total += size
    if total > EMBED_TOTAL_MAX:
        yield f"{join(prefix, 'embeds')}: Embed size exceeds maximum size of {EMBED_TOTAL_MAX}"
    yield from ui.message_components(payload.get("components") or [], join(prefix, "components"), v2=v2)
    if len(payload.get("attachments") or []) > ATTACHMENTS_MAX:
        yield f"{join(prefix, 'attachments')}: Must be {ATTACHMENTS_MAX} or fewer in length."
    mentions = payload.get("allowed_mentions")
    if isinstance(mentions, dict):
        parse = mentions.get("parse") or []
        for key in ("users", "roles"):
            if key in parse and mentions.get(key):
                at = join(prefix, "allowed_mentions")
                yield f"{at}: parse:[{key}] and {key}: [ids] are mutually exclusive."


def _embed(embed: Any, path: str) -> tuple[list[str], int]:
    found: list[str] = []
    if not isinstance(embed, dict):
        return [f"{path}: Must be an object."], 0
    title = embed.get("title") or ""
    description = embed.get("description") or ""
    footer = (embed.get("footer") or {}).get("text") or ""
    author = (embed.get("author") or {}).get("name") or ""
    found += max_len(title, EMBED_TITLE_MAX, f"{path}.title")
    found += max_len(description, EMBED_DESCRIPTION_MAX, f"{path}.description")
    found += max_len(footer, EMBED_FOOTER_MAX, f"{path}.footer.text")
    found += max_len(author, EMBED_AUTHOR_MAX, f"{path}.author.name")
    size = len(title) + len(description) + len(footer) + len(author)
    fields = embed.get("fields") or []
    if len(fields) > EMBED_FIELDS_MAX:
        found.append(f"{path}.fields: Must be {EMBED_FIELDS_MAX} or fewer in length.")
    for index, field in enumerate(fields):
        name, value = str(field.get("name") or ""), str(field.get("value") or "")
        found += bounded(name, 1, EMBED_FIELD_NAME_MAX, f"{path}.fields.{index}.name", required=True)
        found += bounded(value, 1, EMBED_FIELD_VALUE_MAX, f"{path}.fields.{index}.value", required=True)
        size += len(name) + len(value)
    for key, sub in (
        ("url", None),
        ("image", "url"),
        ("thumbnail", "url"),
        ("author", "url"),
        ("author", "icon_url"),
    ):
        link = embed.get(key) if sub is None else (embed.get(key) or {}).get(sub)
        at = f"{path}.{key}" if sub is None else f"{path}.{key}.{sub}"
        if link and not str(link).startswith(("http://", "https://", "attachment://")):
            scheme = str(link).split(":")[0]
            found.append(
                f"{at}: Scheme \"{scheme}\" is not supported. Scheme must be one of ('http', 'https')."
            )
    color = embed.get("color")
    if color is not None and not (isinstance(color, int) and 0 <= color <= 0xFFFFFF):
        found.append(f"{path}.color: Int value should be less than or equal to 16777215.")
    return found, size


def _choices(data: Any, prefix: str) -> Iterator[str]:
    if not isinstance(data, dict):
        yield f"{prefix or '_root'}: Must be an object."
        return
    choices = data.get("choices")
    path = join(prefix, "choices")
    if not isinstance(choices, list):
        yield f"{path}: This field is required"
        return
    if len(choices) > CHOICES_MAX:
        yield f"{path}: Must be {CHOICES_MAX} or fewer in length."
    for index, choice in enumerate(choices):
        yield from bounded(choice.get("name"), 1, 100, f"{path}.{index}.name", required=True)
        yield from max_len(choice.get("value"), 100, f"{path}.{index}.value")


def _callback(body: Any) -> Iterator[str]:
    if not isinstance(body, dict):
        yield "_root: Must be an object."
        return
    kind, data = body.get("type"), body.get("data")
    if kind in (4, 7):
        yield from _message(data or {}, "data")
    elif kind == 9:
        yield from ui.modal(data, "data")
    elif kind == 8:
        yield from _choices(data, "data")
    elif kind in (5, 6):
        flags = (data or {}).get("flags") or 0
        if flags & ~64:
            yield f"data.flags: Invalid flags {flags & ~64}."
    elif kind not in (1, 10, 12):
        yield f"type: Value must be one of (1, 4, 5, 6, 7, 8, 9, 10, 12), not {kind!r}."


def _commands(commands: Any) -> Iterator[str]:
    if not isinstance(commands, list):
        yield "_root: Must be an array."
        return
    counts = {1: 0, 2: 0, 3: 0}
    names: set[tuple[int, str]] = set()
    for index, command in enumerate(commands):
        kind = command.get("type", 1)
        counts[kind] = counts.get(kind, 0) + 1
        name = command.get("name")
        if (kind, name) in names:
            yield f"{index}.name: Application command names must be unique"
        names.add((kind, name))
        if kind == 1:
            yield from _option_like(command, str(index))
        else:
            yield from bounded(name, 1, COMMAND_NAME_MAX, f"{index}.name", required=True)
            if command.get("description"):
                yield f"{index}.description: Context menu commands cannot have a description."
    limits = {1: 100, 2: 15, 3: 15}
    for kind, count in counts.items():
        if count > limits.get(kind, 100):
            yield f"_root: Too many application commands of type {kind} ({count} > {limits.get(kind)})."


def _option_like(node: dict[str, Any], path: str) -> Iterator[str]:
    name = node.get("name")
    if not isinstance(name, str) or not SLASH_NAME.match(name) or name != name.lower():
        yield f"{path}.name: Command name is invalid"
    yield from bounded(
        node.get("description"), 1, COMMAND_DESCRIPTION_MAX, f"{path}.description", required=True
    )
    options = node.get("options") or []
    if len(options) > OPTIONS_MAX:
        yield f"{path}.options: Must be {OPTIONS_MAX} or fewer in length."
    seen_optional = False
    for index, option in enumerate(options):
        at = f"{path}.options.{index}"
        yield from _option_like(option, at)
        if option.get("type") in (1, 2):
            continue
        if option.get("required"):
            if seen_optional:
                yield f"{at}.required: Required options must be placed before non-required options"
        else:
            seen_optional = True
        choices = option.get("choices") or []
        if len(choices) > CHOICES_MAX:
            yield f"{at}.choices: Must be {CHOICES_MAX} or fewer in length."
        for choice_index, choice in enumerate(choices):
            yield from bounded(choice.get("name"), 1, 100, f"{at}.choices.{choice_index}.name", required=True)
            yield from max_len(choice.get("value"), 100, f"{at}.choices.{choice_index}.value")
