"""Discord's limits: truncation on sentence and word boundaries, fitting embeds, and the checks."""

from __future__ import annotations

import re

import discord
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.discord.render import limits
from bot.discord.render.limits import embed_problems, fit_embeds, message_problems, truncate
from bot.discord.render.markdown import bold, escape

SENTENCES = " ".join(f"Sentence number {i} says something rather ordinary here." for i in range(40))


def _unescaped_bold_markers(md: str) -> int:
    return len(re.findall(r"(?<!\\)(?:\\\\)*(\*\*)", md))


def _ends_escaped(md: str) -> bool:
    """Whether the text ends in a lone backslash (an escape cut in half)."""
    return (len(md) - len(md.rstrip("\\"))) % 2 == 1


@given(st.text(max_size=300), st.integers(min_value=0, max_value=320))
def test_truncate_never_exceeds_the_limit(text: str, limit: int) -> None:
    out = truncate(text, limit)
    assert len(out) <= max(limit, 0)
    if len(text) <= limit:
        assert out == text
    elif limit >= 1:
        assert out.endswith("…")


_WORDS = st.lists(
    st.one_of(
        st.sampled_from(
            ["word", "another.", "end!", "*", "**", "\\", "`", "_", "@everyone", "<@1>", "x" * 30]
        ),
        st.text(max_size=6),
    ),
    max_size=40,
)


@settings(max_examples=300)
@given(_WORDS, _WORDS, st.integers(min_value=1, max_value=200))
def test_truncated_markdown_keeps_escapes_whole_and_bold_balanced(
    before: list[str], inside: list[str], limit: int
) -> None:
    md = escape(" ".join(before)) + " " + bold(" ".join(inside)) + " " + escape(" ".join(before))
    out = truncate(md, limit)
    assert len(out) <= limit
    body = out.removesuffix("…")
    assert _unescaped_bold_markers(body) % 2 == 0
    assert not _ends_escaped(body)


def test_sentence_boundary_when_one_is_in_the_last_forty_percent() -> None:
    out = truncate(SENTENCES, 500)
    assert len(out) <= 500 and out.endswith("ordinary here.…")
    assert len(out) >= 0.6 * 500
    assert SENTENCES.startswith(out[:-1])


def test_word_boundary_when_no_sentence_end_is_close_enough() -> None:
    text = " ".join(["lengthy"] * 200)
    out = truncate(text, 100)
    assert len(out) <= 100 and out.endswith("lengthy…")
    assert text.startswith(out[:-1]) and text[len(out) - 1] == " "


def test_one_enormous_word_is_cut_where_it_must() -> None:
    assert truncate("x" * 50, 10) == "x" * 9 + "…"


def test_bold_open_at_the_cut_is_closed() -> None:
    md = "Intro. " + bold("a very long highlighted sentence that goes on and on without any end in sight")
    out = truncate(md, 40)
    assert out.endswith("**…") and _unescaped_bold_markers(out) == 2


def test_cut_right_after_an_opening_marker_drops_the_marker() -> None:
    md = "word " * 5 + "**" + "y" * 60 + "**"
    out = truncate(md, 32)
    assert "**" not in out and out.endswith("word…")


def test_masked_links_are_never_split() -> None:
    md = "See [*a long title with many words*](https://example.org/x) for more."
    for limit in range(1, len(md)):
        out = truncate(md, limit)
        assert out.count("[") == out.count("](") == out.count("](https")


def test_plain_truncation_ignores_markdown() -> None:
    assert truncate("**ab cd ef gh", 8, markdown=False) == "**ab cd…"
    assert truncate("**ab cd ef gh", 8) == "**ab**…"  # as markdown, the open bold is closed


def _embed(description: str = "", **fields: str) -> discord.Embed:
    e = discord.Embed(title="t", description=description or None)
    for name, value in fields.items():
        e.add_field(name=name, value=value)
    return e


def test_fit_embeds_trims_to_the_total_and_leaves_the_input_alone() -> None:
    embeds = [_embed(SENTENCES * 2) for _ in range(3)]
    before = [e.to_dict() for e in embeds]
    fitted = fit_embeds(embeds)
    assert [e.to_dict() for e in embeds] == before
    assert sum(len(e) for e in fitted) <= limits.EMBED_TOTAL
    for e in fitted:
        assert embed_problems(e.to_dict()) == []
        assert e.description and e.description.endswith("…")


def test_fit_embeds_clamps_every_part_and_the_counts() -> None:
    big = discord.Embed(title="T" * 300, description="d " * 3000)
    for i in range(30):
        big.add_field(name=f"n{i}" * 100, value="v " * 700)
    big.set_footer(text="f" * 3000)
    big.set_author(name="a" * 300)
    fitted = fit_embeds([big] * 12)
    assert len(fitted) == limits.EMBEDS_PER_MESSAGE
    dicts = [e.to_dict() for e in fitted]
    assert message_problems("ok", dicts) == []
    assert len(dicts[0].get("fields", [])) <= limits.EMBED_FIELDS


def test_fit_embeds_keeps_what_fits() -> None:
    e = _embed("short", a="1", b="2")
    assert [x.to_dict() for x in fit_embeds([e])] == [e.to_dict()]


@pytest.mark.parametrize(
    ("embed", "problem"),
    [
        ({"title": "t" * 257}, "title"),
        ({"description": "d" * 4097}, "description"),
        ({"fields": [{"name": "n", "value": "v"}] * 26}, "26 fields"),
        ({"fields": [{"name": "n" * 257, "value": "v"}]}, "field 0 name"),
        ({"fields": [{"name": "n", "value": "v" * 1025}]}, "field 0 value"),
        ({"fields": [{"name": "", "value": "v"}]}, "empty"),
        ({"footer": {"text": "f" * 2049}}, "footer"),
        ({"author": {"name": "a" * 257}}, "author name"),
        ({"description": "d" * 4000, "fields": [{"name": "n", "value": "v" * 1000}] * 3}, "totals"),
        ({"url": "example.org"}, "url"),
        ({"color": 0x1000000}, "color"),
    ],
)
def test_embed_problems_names_each_broken_limit(embed: dict[str, object], problem: str) -> None:
    found = embed_problems(embed)
    assert found and any(problem in p for p in found)


def test_message_problems() -> None:
    ok = {"description": "d" * 3000}
    assert message_problems("x" * 2000, [ok, ok]) == []
    assert any("content" in p for p in message_problems("x" * 2001, []))
    assert any("total" in p for p in message_problems("x", [ok, ok, ok]))
    assert any("11 embeds" in p for p in message_problems("x", [{"title": "t"}] * 11))
    assert message_problems("", []) == ["a message needs content or an embed"]
