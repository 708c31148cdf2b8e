"""Discord's documented message limits, markdown-aware truncation, and checks used by the tests.

Lengths are counted in code points (``len``), as discord.py's own ``len(embed)`` does.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import discord

# Messages and embeds.
CONTENT = 2000
EMBED_TITLE = 256
EMBED_DESCRIPTION = 4096
EMBED_FIELDS = 25
FIELD_NAME = 256
FIELD_VALUE = 1024
FOOTER_TEXT = 2048
AUTHOR_NAME = 256
EMBED_TOTAL = 6000  # title, description, field names and values, footer and author, over all embeds
EMBEDS_PER_MESSAGE = 10
# Components.
ACTION_ROWS = 5
BUTTONS_PER_ROW = 5
CUSTOM_ID = 100
BUTTON_LABEL = 80
SELECT_OPTIONS = 25
SELECT_OPTION_LABEL = 100
SELECT_OPTION_VALUE = 100
SELECT_OPTION_DESCRIPTION = 100
SELECT_PLACEHOLDER = 150
# Modals.
MODAL_TITLE = 45
TEXT_INPUT_LABEL = 45
TEXT_INPUT_VALUE = 4000

ELLIPSIS = "…"
# A sentence cut is preferred when it keeps at least this share of the allowed length.
SENTENCE_CUT_FLOOR = 0.6
_MARKERS = ("**", "__", "~~", "||", "*")
# Tokens that must never be split: an escape pair, a masked link, an angle-bracketed URL. (A bare URL
# has no spaces, so word cuts keep it whole anyway.)
_ATOMIC = re.compile(r"\\.|\[(?:\\.|[^\]\\\n])*\]\([^)\s]*\)|<https?://[^\s<>]+>", re.DOTALL)
_SENTENCE_PUNCT = ".!?"
# What may follow a sentence's final punctuation: closing quotes and brackets, markdown markers.
_SENTENCE_CLOSERS = "\"'”’)]*_~|"


@dataclass(frozen=True)
class _Cut:
    at: int  # offset in the text: a token boundary
    opened: tuple[tuple[str, int, int], ...]  # markers open there: (marker, start, end)


def _cuts(text: str, markdown: bool) -> list[_Cut]:
    """Every token boundary of ``text`` with the markers still open there."""
    cuts = [_Cut(0, ())]
    opened: tuple[tuple[str, int, int], ...] = ()
    i = 0
    while i < len(text):
        end = i + 1
        if markdown:
            m = _ATOMIC.match(text, i)
            if m:
                end = m.end()
            else:
                marker = next((mk for mk in _MARKERS if text.startswith(mk, i)), None)
                if marker is not None:
                    end = i + len(marker)
                    if opened and opened[-1][0] == marker:
                        opened = opened[:-1]
                    else:
                        opened = (*opened, (marker, i, end))
        cuts.append(_Cut(end, opened))
        i = end
    return cuts


def _escaped(text: str, i: int) -> bool:
    """Whether ``text[i]`` follows an odd run of backslashes (is escaped)."""
    run = 0
    while i - run > 0 and text[i - run - 1] == "\\":
        run += 1
    return run % 2 == 1


def _ends_sentence(text: str, at: int) -> bool:
    """Whether ``text[:at]`` ends a sentence (unescaped . ! or ?, then closing quotes or markers)."""
    i = at - 1
    while i >= 0 and text[i] in _SENTENCE_CLOSERS:
        i -= 1
    return i >= 0 and text[i] in _SENTENCE_PUNCT and not _escaped(text, i)


def _finish(text: str, cut: _Cut) -> str:
    prefix = text[: cut.at].rstrip()
    opened = list(cut.opened)
    # An opening marker with nothing after it would render as stray asterisks: drop it.
    while opened and opened[-1][2] >= len(prefix):
        prefix = prefix[: opened.pop()[1]].rstrip()
    # A trailing comma or colon before "…" reads as a typo; an escaped one stays (its backslash would
    # otherwise be left dangling).
    while prefix and prefix[-1] in ",;:" and not _escaped(prefix, len(prefix) - 1):
        prefix = prefix[:-1].rstrip()
    return prefix + "".join(m for m, _, _ in reversed(opened)) + ELLIPSIS


def _cost(cut: _Cut) -> int:
    return cut.at + sum(len(m) for m, _, _ in cut.opened) + len(ELLIPSIS)


def truncate(text: str, limit: int, *, markdown: bool = True) -> str:
    """``text`` if it fits in ``limit`` characters, else a prefix ending with "…", never longer.

    The cut is at a sentence end when one lies in the last 40% of the allowed length, else at a word
    boundary, else wherever it must. With ``markdown`` (the default) an escape like ``\\*``, a masked
    link or a URL is never split, and markers still open at the cut (``**``, ``*``, ``__``, ``~~``,
    ``||``) are closed, so bold stays balanced. Use ``markdown=False`` for plain fields (footers,
    author names), where Discord shows markdown literally.
    """
    if len(text) <= limit:
        return text
    if limit < len(ELLIPSIS):
        return ""
    fitting = [c for c in _cuts(text, markdown) if _cost(c) <= limit]
    spaced = [c for c in fitting if 0 < c.at < len(text) and text[c.at].isspace()]
    floor = SENTENCE_CUT_FLOOR * limit
    for c in reversed(spaced):
        if c.at < floor:
            break
        if _ends_sentence(text, c.at):
            return _finish(text, c)
    if spaced:
        return _finish(text, spaced[-1])
    return _finish(text, fitting[-1])


def button_label(text: str, limit: int = BUTTON_LABEL) -> str:
    """``text`` on one line as a button label: cut at a word boundary with "…" when too long.

    Discord shows labels literally (no markdown) and refuses one over 80 characters.
    """
    return truncate(" ".join(text.split()), limit, markdown=False)


def embed_length(embed: Mapping[str, Any]) -> int:
    """The characters of an embed dict that count towards the 6000 total."""
    total = len(embed.get("title") or "") + len(embed.get("description") or "")
    for f in embed.get("fields") or []:
        total += len(f.get("name") or "") + len(f.get("value") or "")
    total += len((embed.get("footer") or {}).get("text") or "")
    total += len((embed.get("author") or {}).get("name") or "")
    return total


def _clamp(d: dict[str, Any]) -> None:
    """Each part of an embed dict within its own limit."""
    if d.get("title"):
        d["title"] = truncate(d["title"], EMBED_TITLE)
    if d.get("description"):
        d["description"] = truncate(d["description"], EMBED_DESCRIPTION)
    fields = d.get("fields") or []
    for f in fields[:EMBED_FIELDS]:
        f["name"] = truncate(f.get("name") or ELLIPSIS, FIELD_NAME)
        f["value"] = truncate(f.get("value") or ELLIPSIS, FIELD_VALUE)
    if fields:
        d["fields"] = fields[:EMBED_FIELDS]
    if (d.get("footer") or {}).get("text"):
        d["footer"]["text"] = truncate(d["footer"]["text"], FOOTER_TEXT, markdown=False)
    if (d.get("author") or {}).get("name"):
        d["author"]["name"] = truncate(d["author"]["name"], AUTHOR_NAME, markdown=False)


def _parts(d: dict[str, Any]) -> list[tuple[dict[str, Any], str, bool]]:
    """The shrinkable texts of an embed dict: (container, key, is markdown)."""
    parts: list[tuple[dict[str, Any], str, bool]] = [(d, "description", True), (d, "title", True)]
    for f in d.get("fields") or []:
        parts += [(f, "value", True), (f, "name", True)]
    if d.get("footer"):
        parts.append((d["footer"], "text", False))
    if d.get("author"):
        parts.append((d["author"], "name", False))
    return [p for p in parts if p[0].get(p[1])]


def fit_embeds(embeds: Sequence[discord.Embed]) -> list[discord.Embed]:
    """Copies of ``embeds`` trimmed to every per-part limit and to 6000 characters in total.

    At most ten embeds are kept. While the total is over, the longest text (usually a description or
    a field value) is cut by the excess, on a sentence or word boundary as :func:`truncate` does.
    """
    # to_dict() shares the embed's own field and footer dicts: copy them, the input stays untouched.
    dicts: list[dict[str, Any]] = [copy.deepcopy(dict(e.to_dict())) for e in embeds[:EMBEDS_PER_MESSAGE]]
    for d in dicts:
        _clamp(d)
    while (excess := sum(embed_length(d) for d in dicts) - EMBED_TOTAL) > 0:
        container, key, markdown = max((p for d in dicts for p in _parts(d)), key=lambda p: len(p[0][p[1]]))
        text = container[key]
        # Never empty: Discord rejects an empty field name or value.
        container[key] = truncate(text, max(len(ELLIPSIS), len(text) - excess), markdown=markdown)
    return [discord.Embed.from_dict(d) for d in dicts]


def embed_problems(embed: Mapping[str, Any]) -> list[str]:
    """Every way an embed dict (``Embed.to_dict()``) breaks Discord's limits; empty when it is fine."""
    problems: list[str] = []

    def check(what: str, text: str | None, limit: int) -> None:
        if text is not None and len(text) > limit:
            problems.append(f"{what} is {len(text)} characters (limit {limit})")

    check("title", embed.get("title"), EMBED_TITLE)
    check("description", embed.get("description"), EMBED_DESCRIPTION)
    fields = embed.get("fields") or []
    if len(fields) > EMBED_FIELDS:
        problems.append(f"{len(fields)} fields (limit {EMBED_FIELDS})")
    for i, f in enumerate(fields):
        if not f.get("name") or not f.get("value"):
            problems.append(f"field {i} has an empty name or value")
        check(f"field {i} name", f.get("name"), FIELD_NAME)
        check(f"field {i} value", f.get("value"), FIELD_VALUE)
    check("footer", (embed.get("footer") or {}).get("text"), FOOTER_TEXT)
    check("author name", (embed.get("author") or {}).get("name"), AUTHOR_NAME)
    if embed_length(embed) > EMBED_TOTAL:
        problems.append(f"embed totals {embed_length(embed)} characters (limit {EMBED_TOTAL})")
    for where in ("url", "author.url"):
        url = embed.get("url") if where == "url" else (embed.get("author") or {}).get("url")
        if url is not None and not re.match(r"https?://\S+$", url):
            problems.append(f"{where} is not an http(s) URL: {url!r}")
    colour = embed.get("color")
    if colour is not None and not 0 <= colour <= 0xFFFFFF:
        problems.append(f"color {colour} out of range")
    return problems


def message_problems(content: str | None, embeds: Sequence[Mapping[str, Any]]) -> list[str]:
    """Every way a message (content plus embed dicts) breaks Discord's limits."""
    problems: list[str] = []
    if content is not None and len(content) > CONTENT:
        problems.append(f"content is {len(content)} characters (limit {CONTENT})")
    if not content and not embeds:
        problems.append("a message needs content or an embed")
    if len(embeds) > EMBEDS_PER_MESSAGE:
        problems.append(f"{len(embeds)} embeds (limit {EMBEDS_PER_MESSAGE})")
    total = sum(embed_length(e) for e in embeds)
    if total > EMBED_TOTAL:
        problems.append(f"embeds total {total} characters (limit {EMBED_TOTAL})")
    for i, e in enumerate(embeds):
        problems += [f"embed {i}: {p}" for p in embed_problems(e)]
    return problems
