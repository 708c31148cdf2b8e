"""Limits of components: action rows, buttons, select menus (messages) and text inputs (modals)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from .limits import (
    ACTION_ROWS_MAX,
    BUTTON_LABEL_MAX,
    CUSTOM_ID_MAX,
    LABEL_DESCRIPTION_MAX,
    MODAL_TITLE_MAX,
    ROW_COMPONENTS_MAX,
    SELECT_OPTION_TEXT_MAX,
    SELECT_OPTIONS_MAX,
    SELECT_PLACEHOLDER_MAX,
    SELECT_TYPES,
    TEXT_INPUT_LABEL_MAX,
    TEXT_INPUT_PLACEHOLDER_MAX,
    TEXT_INPUT_VALUE_MAX,
    V2_COMPONENTS_MAX,
    bounded,
    join,
    max_len,
)


def message_components(rows: list[Any], path: str, *, v2: bool) -> Iterator[str]:
    """Problems of a message's ``components`` (classic action rows, or components v2)."""
    seen: set[str] = set()
    if not v2:
        if len(rows) > ACTION_ROWS_MAX:
            yield f"{path}: Must be {ACTION_ROWS_MAX} or fewer in length."
        for index, row in enumerate(rows):
            at = join(path, index)
            if row.get("type") != 1:
                yield f"{at}.type: Top-level components must be action rows."
                continue
            yield from _action_row(row, at, seen)
        return
    if sum(1 for _ in _walk(rows)) > V2_COMPONENTS_MAX:
        yield f"{path}: Must be {V2_COMPONENTS_MAX} or fewer in length (counting nested components)."
    for index, component in enumerate(rows):
        yield from _v2_component(component, join(path, index), seen)


def _walk(components: list[Any]) -> Iterator[dict[str, Any]]:
    for component in components:
        yield component
        yield from _walk(component.get("components") or [])
        if isinstance(component.get("accessory"), dict):
            yield component["accessory"]
        if isinstance(component.get("component"), dict):
            yield component["component"]


def _v2_component(component: dict[str, Any], path: str, seen: set[str]) -> Iterator[str]:
    kind = component.get("type")
    if kind == 1:
        yield from _action_row(component, path, seen)
    elif kind in (9, 17):
        for index, child in enumerate(component.get("components") or []):
            yield from _v2_component(child, f"{path}.components.{index}", seen)
        if isinstance(component.get("accessory"), dict):
            yield from _interactive(component["accessory"], f"{path}.accessory", seen)
    elif kind == 10:
        yield from max_len(component.get("content"), TEXT_INPUT_VALUE_MAX, f"{path}.content")


def _action_row(row: dict[str, Any], path: str, seen: set[str]) -> Iterator[str]:
    children = row.get("components") or []
    if not 1 <= len(children) <= ROW_COMPONENTS_MAX:
        yield f"{path}.components: Must be between 1 and {ROW_COMPONENTS_MAX} in length."
    if any(c.get("type") in SELECT_TYPES for c in children) and len(children) > 1:
        yield f"{path}.components: A select menu must be alone in its action row."
    for index, child in enumerate(children):
        yield from _interactive(child, f"{path}.components.{index}", seen)


def _custom_id(component: dict[str, Any], path: str, seen: set[str]) -> Iterator[str]:
    custom_id = component.get("custom_id")
    yield from bounded(custom_id, 1, CUSTOM_ID_MAX, f"{path}.custom_id", required=True)
    if isinstance(custom_id, str):
        if custom_id in seen:
            yield f"{path}.custom_id: Component custom id cannot be duplicated"
        seen.add(custom_id)


def _interactive(component: dict[str, Any], path: str, seen: set[str]) -> Iterator[str]:
    kind = component.get("type")
    if kind == 2:
        style = component.get("style")
        if style not in (1, 2, 3, 4, 5, 6):
            yield f"{path}.style: Value must be one of (1, 2, 3, 4, 5, 6)."
        if style == 5:
            if not component.get("url"):
                yield f"{path}.url: This field is required"
            if component.get("custom_id"):
                yield f"{path}.custom_id: A link button cannot have a custom_id."
        elif style != 6:
            yield from _custom_id(component, path, seen)
        yield from max_len(component.get("label"), BUTTON_LABEL_MAX, f"{path}.label")
        if style != 6 and not component.get("label") and not component.get("emoji"):
            yield f"{path}.label: A button needs a label or an emoji."
    elif kind in SELECT_TYPES:
        yield from _select(component, path, seen)
    elif kind == 4:
        yield f"{path}.type: Text inputs are only allowed in modals."
    elif kind not in (11, 12):  # thumbnails and media galleries have nothing to check here
        yield f"{path}.type: Component type {kind} is not allowed here."


def _select(component: dict[str, Any], path: str, seen: set[str]) -> Iterator[str]:
    yield from _custom_id(component, path, seen)
    yield from max_len(component.get("placeholder"), SELECT_PLACEHOLDER_MAX, f"{path}.placeholder")
    low, high = component.get("min_values", 1), component.get("max_values", 1)
    if not 0 <= low <= 25:
        yield f"{path}.min_values: Must be between 0 and 25."
    if not 1 <= high <= 25:
        yield f"{path}.max_values: Must be between 1 and 25."
    if low > high:
        yield f"{path}.min_values: Must be less than or equal to max_values."
    if component.get("type") != 3:
        return
    options = component.get("options") or []
    if not 1 <= len(options) <= SELECT_OPTIONS_MAX:
        yield f"{path}.options: Must be between 1 and {SELECT_OPTIONS_MAX} in length."
    if high > len(options) and options:
        yield f"{path}.max_values: Must be less than or equal to the number of options."
    values: set[str] = set()
    for index, option in enumerate(options):
        at = f"{path}.options.{index}"
        yield from bounded(option.get("label"), 1, SELECT_OPTION_TEXT_MAX, f"{at}.label", required=True)
        yield from bounded(option.get("value"), 1, SELECT_OPTION_TEXT_MAX, f"{at}.value", required=True)
        yield from max_len(option.get("description"), SELECT_OPTION_TEXT_MAX, f"{at}.description")
        if option.get("value") in values:
            yield f"{at}.value: Select option values must be unique."
        values.add(option.get("value"))


def modal(data: Any, prefix: str) -> Iterator[str]:
    """Problems of a modal (callback type 9's data)."""
    if not isinstance(data, dict):
        yield f"{prefix or '_root'}: Must be an object."
        return
    yield from bounded(data.get("title"), 1, MODAL_TITLE_MAX, join(prefix, "title"), required=True)
    yield from bounded(data.get("custom_id"), 1, CUSTOM_ID_MAX, join(prefix, "custom_id"), required=True)
    components = data.get("components") or []
    path = join(prefix, "components")
    if not 1 <= len(components) <= 5:
        yield f"{path}: Must be between 1 and 5 in length."
    seen: set[str] = set()
    for index, top in enumerate(components):
        at = join(path, index)
        kind = top.get("type")
        if kind == 1:
            children = top.get("components") or []
            if len(children) != 1:
                yield f"{at}.components: Must be 1 in length."
            for child_index, child in enumerate(children):
                yield from _modal_field(child, f"{at}.components.{child_index}", seen, labelled=False)
        elif kind == 18:
            yield from bounded(top.get("label"), 1, TEXT_INPUT_LABEL_MAX, f"{at}.label", required=True)
            yield from max_len(top.get("description"), LABEL_DESCRIPTION_MAX, f"{at}.description")
            child = top.get("component")
            if not isinstance(child, dict):
                yield f"{at}.component: This field is required"
            else:
                yield from _modal_field(child, f"{at}.component", seen, labelled=True)
        elif kind != 10:
            yield f"{at}.type: Component type {kind} is not allowed at the top of a modal."


def _modal_field(component: dict[str, Any], path: str, seen: set[str], *, labelled: bool) -> Iterator[str]:
    if component.get("type") in SELECT_TYPES:
        yield from _select(component, path, seen)
        return
    if component.get("type") != 4:
        yield f"{path}.type: Component type {component.get('type')} is not allowed in a modal."
        return
    yield from _custom_id(component, path, seen)
    if component.get("style") not in (1, 2):
        yield f"{path}.style: Value must be one of (1, 2)."
    if labelled:
        if component.get("label") is not None:
            yield f"{path}.label: A text input inside a label component cannot have its own label."
    else:
        yield from bounded(component.get("label"), 1, TEXT_INPUT_LABEL_MAX, f"{path}.label", required=True)
    yield from max_len(component.get("value"), TEXT_INPUT_VALUE_MAX, f"{path}.value")
    yield from max_len(component.get("placeholder"), TEXT_INPUT_PLACEHOLDER_MAX, f"{path}.placeholder")
    low, high = component.get("min_length"), component.get("max_length")
    if low is not None and not 0 <= low <= TEXT_INPUT_VALUE_MAX:
        yield f"{path}.min_length: Must be between 0 and {TEXT_INPUT_VALUE_MAX}."
    if high is not None and not 1 <= high <= TEXT_INPUT_VALUE_MAX:
        yield f"{path}.max_length: Must be between 1 and {TEXT_INPUT_VALUE_MAX}."
    value = component.get("value")
    if isinstance(value, str) and high is not None and len(value) > high:
        yield f"{path}.value: Must be {high} or fewer in length."
