"""Text-fragment deep links on awkward text."""

from __future__ import annotations

from urllib.parse import unquote

import pytest

from bot.answer.links import encode_term, text_fragment_url

URL = "https://example.org/essays/war?lang=en"


def _terms(link: str) -> list[str]:
    directive = link.split("#:~:text=", 1)[1]
    return [unquote(t) for t in directive.split(",")]


def test_short_quote_is_a_single_text_start() -> None:
    assert text_fragment_url(URL, "keep the Russians out") == f"{URL}#:~:text=keep%20the%20Russians%20out"


def test_long_quote_uses_first_and_last_words() -> None:
    quote = "It may be dangerous to be America’s enemy, but to be America’s friend is fatal."
    link = text_fragment_url(URL, quote)
    assert _terms(link) == ["It may be dangerous", "America’s friend is fatal."]


def test_commas_dashes_and_ampersands_are_encoded() -> None:
    link = text_fragment_url(URL, "peace, bread & land-reform – now — here")
    directive = link.split("#:~:text=", 1)[1]
    assert "," not in directive and "&" not in directive and "-" not in directive
    assert "%2C" in directive and "%26" in directive and "%2D" in directive
    assert "%E2%80%93" in directive and "%E2%80%94" in directive  # en and em dash as UTF-8
    assert _terms(link) == ["peace, bread & land-reform – now — here"]


def test_long_quote_with_commas_keeps_exactly_one_separator() -> None:
    link = text_fragment_url(URL, "one, two, three, four, five, six, seven, eight, nine, ten")
    assert link.count(",") == 1
    assert _terms(link) == ["one, two, three, four,", "seven, eight, nine, ten"]


@pytest.mark.parametrize(
    "quote", ["“the main enemy is at home”", '"the main enemy is at home"', "it’s 'home'"]
)
def test_quotes_round_trip(quote: str) -> None:
    assert _terms(text_fragment_url(URL, quote)) == [quote]


def test_non_ascii_is_utf8_percent_encoded() -> None:
    link = text_fragment_url(URL, "Émigré Україна")
    assert link.endswith("#:~:text=%C3%89migr%C3%A9%20%D0%A3%D0%BA%D1%80%D0%B0%D1%97%D0%BD%D0%B0")
    assert link.isascii()


def test_existing_fragment_is_replaced_and_query_kept() -> None:
    link = text_fragment_url("https://example.org/a?x=1&y=2#section-3", "no truce")
    assert link == "https://example.org/a?x=1&y=2#:~:text=no%20truce"


def test_whitespace_is_collapsed_and_empty_quote_gives_bare_url() -> None:
    assert text_fragment_url(URL, "  keep\n the\tRussians  ") == f"{URL}#:~:text=keep%20the%20Russians"
    assert text_fragment_url(URL + "#top", "   ") == URL


def test_encode_term_leaves_only_unreserved_ascii() -> None:
    encoded = encode_term("a-b,c&d e#f%g/h?i=j.k_l~m")
    assert set(encoded) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789%._~")
    assert unquote(encoded) == "a-b,c&d e#f%g/h?i=j.k_l~m"
