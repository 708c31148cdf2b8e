"""Escaping essay and user text for Discord: it renders literally and never pings."""

from __future__ import annotations

import re

import discord
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.discord.render.markdown import ZERO_WIDTH, bold, escape, escape_minimal, italic, link, safe_url

# A model of what Discord's renderer does with the markup escape() can meet. URLs are links (shown
# verbatim; an angle-bracketed one without its brackets); a backslash before anything but a letter,
# a digit or whitespace is hidden and makes that character literal.
_ANGLE_URL = re.compile(r"<((?:https?|steam)://[^\s<>]+)>")
_BARE_URL = re.compile(r"(?:https?|steam)://[^\s<]+[^<.,:;\"')\]\s]")
_INLINE = set("*_~|`[")
_MENTION_AFTER_ANGLE = re.compile(r"[@#:/]|[a-zA-Z]+:")
_MASS = re.compile(r"(everyone|here)", re.IGNORECASE)


def discord_view(md: str) -> tuple[str, list[str]]:
    """(the text a member sees, the markup Discord would interpret) for markdown ``md``."""
    visible: list[str] = []
    live: list[str] = []
    i, line_start = 0, True
    while i < len(md):
        m = _ANGLE_URL.match(md, i) or _BARE_URL.match(md, i)
        if m:
            visible.append(m.group(1) if m.re is _ANGLE_URL else m.group(0))
            i, line_start = m.end(), False
            continue
        c = md[i]
        if c == "\\" and i + 1 < len(md) and not re.match(r"[0-9A-Za-z\s]", md[i + 1]):
            visible.append(md[i + 1])
            i, line_start = i + 2, False
            continue
        if line_start and c in "#->+*":
            live.append(f"line-start {c!r} at {i}")
        if line_start and (num := re.match(r"\d+[.)]", md[i:])):
            live.append(f"ordered list {num.group(0)!r} at {i}")
        if c in _INLINE:
            live.append(f"{c!r} at {i}")
        if c == "<" and _MENTION_AFTER_ANGLE.match(md, i + 1):
            live.append(f"mention-like <… at {i}")
        if c == "@" and _MASS.match(md, i + 1):
            live.append(f"mass mention at {i}")
        if c != ZERO_WIDTH:
            visible.append(c)
        line_start = c == "\n" or (line_start and c in " \t")
        i += 1
    return "".join(visible), live


# Text built from the pieces that matter most, mixed with arbitrary characters.
_TOKENS = st.sampled_from(
    [
        "*", "**", "_", "__", "~~", "||", "`", "```", "\\", "[", "]", "(", ")", "](", ">", ">>> ", "#",
        "## ", "-", "-# ", "+", "1.", "12)", "\n", " ", "  ", "@everyone", "@here", "@", "<", "<@123>",
        "<@!1>", "<@&1>", "<#1>", "<:e:1>", "<a:e:1>", "<t:1:R>", "</c:1>", "https://", "https://a.b/c_d",
        "http://x.y", "<https://e.org>", "word", ".", ":", "é", "“", "\t",
    ]
)  # fmt: skip
_TEXT = st.lists(
    st.one_of(_TOKENS, st.text(st.characters(blacklist_characters=ZERO_WIDTH), max_size=5)), max_size=25
).map("".join)


@settings(max_examples=400)
@given(_TEXT)
def test_escape_renders_the_text_literally_with_nothing_live(text: str) -> None:
    shown, live = discord_view(escape(text))
    assert live == []
    assert shown == text


@settings(max_examples=200)
@given(_TEXT, _TEXT)
def test_escaped_pieces_stay_literal_when_joined_or_bolded(a: str, b: str) -> None:
    shown, live = discord_view(escape(a) + escape(b))
    assert live == [] and shown == a + b
    md = bold(a + b)
    if (a + b).strip():
        inner = md.strip()[2:-2]
        assert md.strip().startswith("**") and md.strip().endswith("**")
        shown, live = discord_view(inner)
        assert live == [] and shown == (a + b).strip()


@settings(max_examples=300)
@given(_TEXT)
def test_escape_minimal_keeps_text_visible_and_inert(text: str) -> None:
    md = escape_minimal(text)
    shown, live = discord_view(md)
    # A URL the text itself puts in <…> is a link in Discord, shown without its brackets.
    assert shown == _ANGLE_URL.sub(r"\1", text)
    # What stays unescaped cannot form markup: a lone marker character, a bracket with no link.
    for c in "*_~|`":
        if text.count(c) >= 2 and _BARE_URL.sub("", text).count(c) >= 2:
            assert not any(x.startswith(repr(c)) for x in live)
    assert not any("mention" in x or "line-start" in x or "ordered" in x for x in live)


def test_the_cases_named_in_the_spec() -> None:
    passage = "@everyone look: **bold** ```py\nprint(1)\n``` and <@123> in <#1> for <@&1> and @here"
    md = escape(passage)
    assert "@everyone" not in md and "@here" not in md
    assert "<@123>" not in md and "<#1>" not in md and "<@&1>" not in md
    assert "**" not in md and "```" not in md
    assert discord_view(md) == (passage, [])


def test_what_stock_escape_markdown_misses() -> None:
    # A masked link whose text holds markup, two links on a line, ordered lists, mentions.
    for text in ("[**x**](https://e.org) and [y](z)", "1. first\n2) second", "<@1> @here"):
        assert discord_view(discord.utils.escape_markdown(text))[1] != []
        assert discord_view(escape(text)) == (text, [])
    for text in ("  > quoted", "+ item", "-# small"):
        assert discord_view(escape(text)) == (text, [])


def test_urls_stay_clickable_and_do_not_unfurl() -> None:
    md = escape("see https://example.org/a_b*c.")
    assert md == "see <https://example.org/a_b*c>."
    assert escape("a <https://e.org> b") == "a <" + ZERO_WIDTH + "<https://e.org>> b"


def test_plain_text_is_unchanged() -> None:
    text = "Ukraine has waged a heroic resistance — against Russia’s invasion (2022)."
    assert escape(text) == text == escape_minimal(text)


def test_escape_minimal_escapes_only_what_would_pair() -> None:
    assert escape_minimal("snake_case and a *single star") == "snake_case and a *single star"
    assert escape_minimal("two *stars* here") == r"two \*stars\* here"
    assert escape_minimal(r"C:\path and \*") == r"C:\path and \\*"
    assert escape_minimal("x https://e.org/a_b_c") == "x https://e.org/a_b_c"


def test_bold_and_italic_keep_edge_whitespace_outside() -> None:
    assert bold("  hi *there* ") == r"  **hi \*there\*** "
    assert italic("Title") == "*Title*"
    assert bold("   ") == "   "


def test_links_only_for_http_urls_and_brackets_in_labels_are_escaped() -> None:
    assert link("label", "https://e.org/a (b)") == "[label](https://e.org/a%20%28b%29)"
    assert link("label", "javascript:alert(1)") == "label"
    assert link("a ] b", "https://e.org") == r"[a \] b](https://e.org)"
    assert safe_url("example.org") is None
    assert safe_url("https://e.org/#:~:text=a%2Db") == "https://e.org/#:~:text=a%2Db"
