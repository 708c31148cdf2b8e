"""Query parsing: question scaffolding is dropped, quoted spans are kept, bad input is refused politely."""

from __future__ import annotations

import pytest

from bot.errors import BadQueryError
from bot.search.query import MAX_QUERY_CHARS, clean_input, parse_query


@pytest.mark.parametrize(
    ("raw", "text"),
    [
        ("Who said no truce in the class war?", "no truce in the class war"),
        ("who said no truce in the class war", "no truce in the class war"),
        ("lol who said no truce in the class war", "no truce in the class war"),
        ("okay so who actually said that Putin lied", "Putin lied"),
        ("which author thinks sanctions hurt workers", "sanctions hurt workers"),
        ("which writers argue that NATO is to blame?", "NATO is to blame"),
        ("did anyone say that NATO provoked the war", "NATO provoked the war"),
        ("is there an essay that says NATO provoked it", "NATO provoked it"),
    ],
)
def test_scaffolding_is_removed(raw: str, text: str) -> None:
    q = parse_query(raw)
    assert q.text == text
    assert q.raw == raw
    assert q.question
    assert not q.quoted
    assert not q.quote_like  # a question about a claim: no misquote verdict


@pytest.mark.parametrize(
    "raw",
    [
        'who wrote "no truce in the class war"?',
        "Who said “no truce in the class war”?",
        "who wrote 'no truce in the class war'?",
        'lol who said "no truce in the class war" in 2022',
    ],
)
def test_quoted_span_is_extracted(raw: str) -> None:
    q = parse_query(raw)
    assert q.text == "no truce in the class war"
    assert q.quoted
    assert q.quote_like


def test_longest_quoted_span_wins_and_short_ones_are_ignored() -> None:
    q = parse_query('did "they" say "the main enemy is at home" or "no truce in the class war, ever"?')
    assert q.text == "no truce in the class war, ever"
    # Two quoted words are a scare quote, not a quotation: the question is searched without it.
    short = parse_query('who said "class war" matters')
    assert not short.quoted
    assert short.text == '"class war" matters'


def test_bare_quote_is_quote_like() -> None:
    q = parse_query("  no truce in the class war  ")
    assert q.text == "no truce in the class war"
    assert not q.question
    assert q.quote_like


def test_query_that_is_only_scaffolding_is_searched_as_is() -> None:
    q = parse_query("who said?")
    assert q.text == "who said"
    assert q.question


@pytest.mark.parametrize("raw", ["", "   ", "\n\t ", "?!...", "“”", "\u200b\u200b", "-- ** --"])
def test_empty_or_punctuation_only_is_refused(raw: str) -> None:
    with pytest.raises(BadQueryError, match="empty"):
        parse_query(raw)
    with pytest.raises(BadQueryError):
        clean_input(raw)


def test_too_long_query_names_the_limit() -> None:
    parse_query("a" * MAX_QUERY_CHARS)  # exactly at the limit is fine
    with pytest.raises(BadQueryError) as info:
        parse_query("a" * (MAX_QUERY_CHARS + 1))
    message = str(info.value)
    assert "2,000" in message
    assert "2,001" in message


def test_custom_limit_is_reported() -> None:
    with pytest.raises(BadQueryError, match="limit is 10"):
        clean_input("x" * 11, max_chars=10)
    assert clean_input("x" * 10, max_chars=10) == "x" * 10


@pytest.mark.parametrize(
    "char",
    [
        "\x00",
        "\x07",
        "\x1b",
        "\x7f",
        "\u200b",  # zero-width space
        "\u200d",  # zero-width joiner
        "\u200e",  # left-to-right mark
        "\u202e",  # right-to-left override
        "\u2066",  # left-to-right isolate
        "\ufeff",  # byte-order mark
    ],
)
def test_control_and_invisible_characters_are_stripped(char: str) -> None:
    assert clean_input(f"no{char} truce in the cl{char}ass war") == "no truce in the class war"
    assert parse_query(f"{char}who said no truce{char}?").text == "no truce"


def test_whitespace_is_collapsed_and_text_nfc_normalised() -> None:
    assert clean_input("  no \n truce\t\tin  the class war ") == "no truce in the class war"
    assert clean_input("cafe\u0301 society") == "caf\u00e9 society"


@pytest.mark.parametrize(
    "raw", ["who said 'we won't stop fighting for it'?", "who said ‘we won’t stop fighting for it’?"]
)
def test_single_quoted_span_with_an_apostrophe_is_extracted(raw: str) -> None:
    q = parse_query(raw)
    assert q.quoted
    assert q.text in ("we won't stop fighting for it", "we won’t stop fighting for it")
