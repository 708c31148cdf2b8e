"""Highlighted, trimmed excerpts."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.answer.excerpt import Excerpt, make_excerpt, render_markdown

PARA = (
    "First sentence opens the paragraph. The second sentence holds the matched words right here. "
    "A third sentence follows it. The fourth sentence closes the paragraph."
)
BASE = 1000  # the paragraph's offset in the essay body


def _excerpt(words: str, max_chars: int = 600, context: str = PARA) -> Excerpt:
    at = context.index(words)
    return make_excerpt(context, BASE, BASE + at, BASE + at + len(words), max_chars)


def _highlighted(ex: Excerpt) -> list[str]:
    return [ex.text[a:b] for a, b in ex.highlights]


def test_short_paragraph_is_shown_whole() -> None:
    ex = _excerpt("the matched words")
    assert ex.text == PARA and not ex.prefix_ellipsis and not ex.suffix_ellipsis
    assert _highlighted(ex) == ["the matched words"]


def test_trimmed_at_sentence_boundaries_with_ellipses() -> None:
    ex = _excerpt("the matched words", max_chars=80)
    assert ex.text == "…The second sentence holds the matched words right here.…"
    assert ex.prefix_ellipsis and ex.suffix_ellipsis
    assert _highlighted(ex) == ["the matched words"]


def test_match_at_start_and_end() -> None:
    start = _excerpt("First sentence", max_chars=60)
    assert start.text.startswith("First sentence") and not start.prefix_ellipsis and start.suffix_ellipsis
    assert start.highlights[0][0] == 0
    end = _excerpt("closes the paragraph.", max_chars=60)
    assert end.text.endswith("closes the paragraph.") and end.prefix_ellipsis and not end.suffix_ellipsis
    assert _highlighted(end) == ["closes the paragraph."]


def test_long_sentence_trimmed_at_word_boundaries() -> None:
    ex = _excerpt("matched", max_chars=30)
    assert len(ex.text) <= 30 and ex.prefix_ellipsis and ex.suffix_ellipsis
    assert _highlighted(ex) == ["matched"]
    inner = ex.text.strip("…")
    assert PARA.find(inner) >= 0
    at = PARA.find(inner)
    assert (at == 0 or PARA[at - 1] == " ") and (at + len(inner) == len(PARA) or PARA[at + len(inner)] == " ")


def test_match_longer_than_limit_is_cut_at_a_word() -> None:
    words = "The second sentence holds the matched words right here. A third sentence follows it."
    ex = _excerpt(words, max_chars=40)
    assert len(ex.text) <= 40 and ex.text.endswith("…") and ex.suffix_ellipsis and ex.prefix_ellipsis
    ((a, b),) = ex.highlights
    assert words.startswith(ex.text[a:b]) and words[b - a] == " "


def test_multibyte_characters() -> None:
    context = "Україна — це не «буферна зона». Émigré socialists said so 🇺🇦 twice, and the 🌍 listened."
    ex = _excerpt("Émigré socialists", max_chars=45, context=context)
    assert _highlighted(ex) == ["Émigré socialists"]
    assert len(ex.text) <= 45


def test_match_offsets_outside_context_are_clamped() -> None:
    ex = make_excerpt("Short text.", BASE, BASE - 5, BASE + 5)
    assert _highlighted(ex) == ["Short"]


def test_render_markdown_bolds_and_escapes() -> None:
    ex = Excerpt("…a *star* and the words…", ((10, 23),), True, True)
    assert render_markdown(ex, lambda s: s.replace("*", r"\*")) == r"…a \*star\* **and the words**…"


def test_render_markdown_keeps_whitespace_outside_markers() -> None:
    ex = Excerpt("say  the words  now", ((3, 16),))
    assert render_markdown(ex, lambda s: s) == "say  **the words**  now"


@given(
    st.text(alphabet=st.sampled_from(list("abc déf. Україна! “x” 🌍\n")), min_size=1, max_size=400),
    st.data(),
    st.integers(min_value=10, max_value=200),
)
def test_properties(context: str, data: st.DataObject, max_chars: int) -> None:
    ms = data.draw(st.integers(0, len(context)))
    me = data.draw(st.integers(ms, len(context)))
    ex = make_excerpt(context, BASE, BASE + ms, BASE + me, max_chars)
    assert len(ex.text) <= max_chars
    if ex.text != "…":
        assert ex.text.startswith("…") == ex.prefix_ellipsis
        assert ex.text.endswith("…") == ex.suffix_ellipsis
    for a, b in ex.highlights:
        assert 0 <= a <= b <= len(ex.text)
        shown = ex.text[a:b]
        assert shown and shown in context[ms:me]
        if len(context[ms:me]) <= max_chars - 2:
            assert shown == context[ms:me]
