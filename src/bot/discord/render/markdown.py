"""Discord markdown: show essay and user text literally, and build the little markup we add ourselves.

``discord.utils.escape_markdown`` is the base, but it misses what matters for quoting text that was
never meant as Discord markdown:

- a masked link ``[x](y)`` is escaped only at its first bracket, and whatever the link text holds
  (``**``, ``__``) is left live; two links on one line become one greedy match;
- ordered-list markers (``1.``) and ``+`` bullets at a line start, ``>`` quotes after indentation;
- mentions and other angle-bracket tokens (``<@1>``, ``<#1>``, ``<@&1>``, ``<:emoji:1>``, ``<t:1:R>``,
  ``</cmd:1>``) and ``@everyone`` / ``@here``, which it does not touch at all.

So :func:`escape` does not call it but applies the same rules without its gaps: it escapes every
inline marker character (the characters the stock function escapes, plus ``[``, and the same URL
exception), escapes line-start markers, and breaks mention-like tokens with a zero
width space (as ``discord.utils.escape_mentions`` does), so they neither ping nor even look like a
mention; messages also send ``AllowedMentions.none()``. A backslash before ASCII punctuation is
hidden by Discord, so what members see is the original text. Bare URLs are kept unescaped (an
escaped URL would be a broken link) and wrapped in ``<…>``, which Discord shows without the brackets
and which stops a URL in message content from growing a link preview.
"""

from __future__ import annotations

import re
from urllib.parse import quote

ZERO_WIDTH = "\u200b"
# Characters that form inline markup anywhere in a line: the set discord.utils.escape_markdown
# escapes, plus "[" so that no masked link can start.
_INLINE = re.compile(r"[\\*_~|`\[]")
# Block markup at the start of a line (after indentation): headings, "-# " subtext, bullets, quotes,
# ordered lists. The character is escaped; for "1." the punctuation after the number is.
_LINE_START = re.compile(r"(^|\n)([^\S\n]*)(?:([#>+*-])|(\d+)([.)]))")
# What would render as a mention, a channel, a role, an emoji, a timestamp or a command.
_ANGLE_TOKEN = re.compile(r"<(?=[@#:/]|[a-zA-Z]+:)")
# No word boundary: Discord matches the prefix, so "@everyoneelse" is broken too (harmless).
_MASS_MENTION = re.compile(r"@(?=everyone|here)", re.IGNORECASE)
# Discord's own autolink rule, minus ">" (so that wrapping the URL in <…> stays well formed).
URL = re.compile(r"(?:https?|steam)://[^\s<>]+[^\s<>.,:;\"')\]]")
# In text kept for pasting, a URL already in <…> (Discord hides the brackets) stays as it is.
_ANGLE_OR_URL = re.compile(r"<(?:https?|steam)://[^\s<>]+>|" + URL.pattern)
# A scheme left in the text (too short or odd to be taken as a URL here) must not become one once
# escaping has added backslashes: its colon is escaped, so Discord cannot autolink it.
_SCHEME = re.compile(r"(?<=https|steam):(?=//)|(?<=http):(?=//)")


def _line_starts(text: str, starts_line: bool) -> str:
    """Escape block markup at line starts; ``starts_line`` tells whether ``text`` begins a line."""

    def repl(m: re.Match[str]) -> str:
        if not m.group(1) and not starts_line:
            return m.group(0)  # the piece starts mid-line (after a URL): not a line start
        lead = m.group(1) + m.group(2)
        if m.group(3):
            return f"{lead}\\{m.group(3)}"
        return f"{lead}{m.group(4)}\\{m.group(5)}"

    return _LINE_START.sub(repl, text)


def _neutralise(text: str) -> str:
    """Break mention-like tokens with a zero-width space, and would-be links with an escape."""
    text = _SCHEME.sub(r"\\:", text)
    text = _ANGLE_TOKEN.sub("<" + ZERO_WIDTH, text)
    text = _MASS_MENTION.sub("@" + ZERO_WIDTH, text)
    # A piece that ends in "<" or "@" may be continued by the next piece (URLs, highlights): break it.
    return text + ZERO_WIDTH if text.endswith(("<", "@")) else text


def _pieces(text: str, pattern: re.Pattern[str] = URL) -> list[tuple[str, bool, bool]]:
    """``text`` split around URLs: (piece, is a URL, starts a line)."""
    out: list[tuple[str, bool, bool]] = []
    pos = 0
    for m in [*pattern.finditer(text), None]:
        end = m.start() if m else len(text)
        if end > pos:
            out.append((text[pos:end], False, not text[:pos].rsplit("\n", 1)[-1].strip()))
        if m:
            out.append((m.group(0), True, False))
            pos = m.end()
    return out


def escape(text: str) -> str:
    """``text`` as Discord markdown that renders as exactly ``text``, with nothing that pings.

    Safe to concatenate: each output can be placed next to other escaped text or inside ``**…**``.
    """
    return "".join(
        f"<{s}>" if is_url else _neutralise(_line_starts(_INLINE.sub(lambda m: "\\" + m.group(0), s), first))
        for s, is_url, first in _pieces(text)
    )


def escape_minimal(text: str) -> str:
    """``text`` changed only where Discord would otherwise change what it shows; URLs stay raw.

    For text meant to be copied and pasted (citations): a lone ``*`` or ``_`` cannot pair into
    emphasis, so a marker character is escaped only when it occurs twice or more; a backslash only
    when Discord would swallow it (before punctuation); ``[`` only when a masked link is possible.
    Line-start markers and mentions are handled as in :func:`escape`. URLs stay raw so that they paste
    as working links (an URL in ``<…>`` keeps its brackets in the source; Discord hides them).
    """
    bare = _ANGLE_OR_URL.sub("", text)
    chars = "".join(c for c in "*_~|`" if bare.count(c) >= 2) + ("[" if "](" in bare else "")
    # A backslash at the end of a piece may precede a URL's "<": escaping it there is harmless.
    inline = re.compile(r"\\(?=[^0-9A-Za-z\s]|$)" + (f"|[{re.escape(chars)}]" if chars else ""))
    out: list[str] = []
    pos = 0  # offset of the piece in ``text``
    for s, is_url, first in _pieces(text, _ANGLE_OR_URL):
        pos += len(s)
        if not is_url:
            out.append(_neutralise(_line_starts(inline.sub(lambda m: "\\" + m.group(0), s), first)))
        elif text.startswith(">", pos) and not s.startswith("<"):
            out.append(f"<{s}>")  # Discord would take the ">" after it as part of the link
        else:
            out.append(s)
    return "".join(out)


def _trim_edges(text: str) -> tuple[str, str, str]:
    """Leading whitespace, the core, trailing whitespace: markers must hug the words to render."""
    core = text.strip()
    if not core:
        return text, "", ""
    lead = text[: len(text) - len(text.lstrip())]
    trail = text[len(text.rstrip()) :]
    return lead, core, trail


def bold(text: str) -> str:
    """``text`` shown literally, in bold (whitespace at either end stays outside the markers)."""
    lead, core, trail = _trim_edges(text)
    return f"{lead}**{escape(core)}**{trail}" if core else text


def italic(text: str) -> str:
    """``text`` shown literally, in italics."""
    lead, core, trail = _trim_edges(text)
    return f"{lead}*{escape(core)}*{trail}" if core else text


def safe_url(url: str | None) -> str | None:
    """An http(s) URL fit for embeds and masked links, or None.

    Discord rejects an embed whose url is not a well-formed http(s) URL, and a ``)`` or a space would
    end a masked link early, so those are percent-encoded.
    """
    if not url:
        return None
    url = url.strip()
    if not re.match(r"https?://[^\s/]+", url, re.IGNORECASE) or len(url) > 2048:
        return None
    return quote(url, safe="/:?#[]@!$&'*+,;=%~-._")


def link(label_markdown: str, url: str | None) -> str:
    """A masked link around already-escaped markdown, or the label alone when there is no usable URL."""
    target = safe_url(url)
    if target is None:
        return label_markdown
    # The label comes from escape(), which never emits "\]", so every "]" in it is a real bracket that
    # would close the link text early.
    return f"[{label_markdown.replace(']', chr(92) + ']')}]({target})"
