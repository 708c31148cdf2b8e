"""Answers rendered to Discord messages: limits, escaping, highlighting, and honest not-found."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from bot.answer.types import CompareAnswer, MatchKind, Position, PositionsAnswer, Quote, Side, WhoSaidAnswer
from bot.core.essaybot import Essaybot
from bot.corpus.models import EssayMeta
from bot.discord.render import answers as render
from bot.discord.render.answers import Rendered
from bot.discord.render.limits import message_problems
from bot.discord.render.markdown import ZERO_WIDTH

META = EssayMeta(
    "test-essay", "A Test Essay", ("Ada Writer",), publication="The Review", date="2023-05-17",
    url="https://example.org/essay",
)  # fmt: skip
LONG_META = EssayMeta(
    "long-" + "x" * 80, "An Exceedingly Long Title " * 40, publication="Publication " * 60, date="2021",
    authors=tuple(f"Author Number {i} With A Rather Long Name " * 3 for i in range(20)),
)  # fmt: skip
HOSTILE = "@everyone look: **not bold** ```py\nprint('hi')\n``` and <@123> in <#1> for <@&1>."
BASE = 1000  # the paragraph's offset in the essay body


def quote(
    words: str,
    before: str = "An opening sentence. ",
    after: str = " A closing sentence.",
    *,
    meta: EssayMeta = META,
    match: MatchKind = "exact",
    **extra: Any,
) -> Quote:
    """A quote of ``words`` inside a paragraph ``before + words + after``, all of it highlighted."""
    start, end = BASE + len(before), BASE + len(before) + len(words)
    extra.setdefault("section", None)
    span: dict[str, Any] = {"start": start, "end": end, "highlight_start": start, "highlight_end": end}
    context: dict[str, Any] = {"context": before + words + after, "context_start": BASE}
    return Quote("p1", meta, words, paragraph=3, match=match, score=0.9, **span, **context, **extra)


def found(*quotes: Quote, **extra: Any) -> WhoSaidAnswer:
    return WhoSaidAnswer("the query", "the query", "found", 0.92, list(quotes), **extra)


def not_found(query: str = "the query", **extra: Any) -> WhoSaidAnswer:
    return WhoSaidAnswer(query, query, "not_found", 0.1, [], **extra)


def assert_fits(r: Rendered) -> None:
    """Every Discord limit holds for the message, and it says something without embeds too."""
    assert r.content.strip()
    assert message_problems(r.content, [e.to_dict() for e in r.embeds]) == []


def plain(md: str) -> str:
    """What Discord shows for escaped text: escapes and zero-width spaces removed."""
    md = md.replace("\n> ", "\n")  # the block quote's own markers
    return re.sub(r"\\([^0-9A-Za-z\s])", r"\1", md).replace(ZERO_WIDTH, "")


def bolded(md: str) -> list[str]:  # the texts in bold, as shown
    return [plain(m) for m in re.findall(r"(?<!\\)\*\*(.+?)(?<!\\)\*\*", md, re.DOTALL)]


def description(r: Rendered, i: int = 0) -> str:
    return r.embeds[i].description or ""


def highlighted(q: Quote) -> str:
    """The words that matched, as the essay has them."""
    return q.context[q.highlight_start - q.context_start : q.highlight_end - q.context_start].strip()


# -- hand-built answers: edge cases ----------------------------------------------------------------


def test_found_embed_holds_excerpt_attribution_source_label_and_footer() -> None:
    q = quote("The matched sentence is right here.", link="https://example.org/essay#:~:text=x")
    r = render.who_said(found(q), visibility="public")
    assert_fits(r)
    e = r.embeds[0]
    assert e.title == "Ada Writer, A Test Essay" and e.url == q.link
    assert e.author.name == "Exact quote · Says this"  # words the score backs, not a percentage
    assert e.footer.text == "Result 1 of 1 · Visible to everyone"
    assert bolded(description(r)) == ["The matched sentence is right here."]
    source = "[*A Test Essay*](https://example.org/essay#:~:text=x) · The Review · 17 May 2023"
    assert source in description(r)
    said = "“The matched sentence is right here.” (Ada Writer, A Test Essay, 2023)"
    assert r.content == f"Found. Says this. {said}"
    assert e.colour == render.FOUND


def test_hostile_passage_renders_as_text() -> None:
    q = quote(HOSTILE)
    r = render.who_said(found(q), visibility="ephemeral")
    assert_fits(r)
    for md in (r.content, description(r), render.context(q).embeds[0].description or ""):
        assert "@everyone" not in md and "<@123>" not in md and "<#1>" not in md and "<@&1>" not in md
        assert "```" not in md and "\\*\\*not bold\\*\\*" in md
    assert bolded(description(r)) == [HOSTILE]
    assert r.embeds[0].footer.text == "Result 1 of 1 · Only you can see this"


def test_user_text_is_escaped_too() -> None:
    r = render.who_said(not_found(query="@here **who** said <@1>?"), visibility="public")
    assert "@here" not in description(r) and "\\*\\*who\\*\\*" in description(r)
    topic = "<@&5> **bold** topic"
    c = render.compare(CompareAnswer(topic, _side("A", []), _side("B", [])), visibility="public")
    assert all("<@&5>" not in m for m in [c.content, *(e.description or "" for e in c.embeds)])
    notice = render.notice("Query **too** long", title="Bad query")
    assert notice.content == "**Bad query**: Query \\*\\*too\\*\\* long" and notice.embeds == []
    assert len(render.notice("x " * 3000).content) <= 2000


def test_a_5000_character_paragraph_is_trimmed_on_sentence_boundaries() -> None:
    filler = [f"Filler sentence {i:02} adds a little more context to the paragraph." for i in range(80)]
    before, after = " ".join(filler[:40]) + " ", " " + " ".join(filler[40:])
    q = quote("The matched sentence sits in the middle.", before, after)
    assert len(q.context) > 5000
    r = render.who_said(found(q), visibility="public")
    assert_fits(r)
    excerpt = description(r).split("\n\n")[0]
    assert len(excerpt) <= render.EXCERPT_CHARS
    assert excerpt.startswith("> …Filler") and excerpt.endswith("paragraph.…")
    assert bolded(excerpt) == ["The matched sentence sits in the middle."]
    ctx = render.context(q)
    assert_fits(ctx)
    body = description(ctx).split("\n\n")[0]
    assert body.endswith(".…") and bolded(body) == ["The matched sentence sits in the middle."]


def test_a_5000_character_sentence_is_cut_with_ellipses() -> None:
    words = " ".join(["endless"] * 800) + "."
    q = quote(words, "", "")
    for r in (render.who_said(found(q), visibility="public"), render.context(q)):
        assert_fits(r)
        assert "…" in description(r)
    assert len(render.citation(q)) <= 2000 and "…" in render.citation(q)
    assert len(render.summary_line(q)) <= 700


def test_long_titles_and_authors_stay_within_limits() -> None:
    q = quote("A sentence by many.", meta=LONG_META, also_in=["o" * 96] * 30, first_said=True)
    r = render.who_said(found(q), visibility="public")
    assert_fits(r)
    assert r.embeds[0].fields[0].name == "First said here; also in"
    assert_fits(render.context(q))
    assert len(render.citation(q)) <= 2000 and len(render.summary_line(q)) <= 700
    assert_fits(render.essays_page([LONG_META] * 7, 0))
    side = _side("Author Number 1 " * 30, [q, q, q])
    assert_fits(render.compare(CompareAnswer("topic " * 100, side, side), visibility="public"))


def test_25_and_more_results_page_through() -> None:
    answer = found(*(quote(f"Result sentence number {i}.") for i in range(30)))
    assert render.result_count(answer) == 30
    for i in range(30):
        r = render.who_said(answer, i, visibility="public")
        assert_fits(r)
        assert r.embeds[0].footer.text == f"Result {i + 1} of 30 · Visible to everyone"
        assert bolded(description(r)) == [f"Result sentence number {i}."]
    last = render.who_said(answer, 99, visibility="public")
    assert last.embeds[0].footer.text == "Result 30 of 30 · Visible to everyone"


def test_near_quote_shows_the_diff_on_the_top_result_only() -> None:
    answer = found(quote("One."), quote("Two."), quote_verdict="near", diff_summary="the original says “a”")
    top = render.who_said(answer, visibility="public")
    assert top.embeds[0].fields[0].value == "The original says “a”"
    assert not render.who_said(answer, 1, visibility="public").embeds[0].fields


def test_not_found_says_so_and_labels_closest_passages() -> None:
    bare = render.who_said(not_found(), visibility="public")
    assert_fits(bare)
    assert len(bare.embeds) == 1 and bare.embeds[0].colour == render.NOT_FOUND
    assert bare.content == "Not found: nothing in this library says this."
    assert bare.embeds[0].footer.text == "Visible to everyone"
    assert render.result_count(not_found()) == 0

    answer = not_found(closest=[quote("Close but no."), quote("Also close.", match="paraphrase")])
    r = render.who_said(answer, 1, visibility="ephemeral")
    assert_fits(r)
    assert render.result_count(answer) == 2
    miss, near = r.embeds
    # Beside related passages the verdict is "no passage clearly says", never "nothing says".
    assert miss.title == "Not found" and miss.description == "No passage clearly says “the query”."
    assert r.content.startswith("Not found: no passage clearly says this.")
    assert "nothing" not in (r.content + str(miss.to_dict())).lower()
    assert near.title == "Related passage — not a match" and near.colour == render.NEUTRAL
    assert near.author.name is None and bolded(near.description or "") == []
    assert not any(label in str(near.to_dict()) for label in render.MATCH_LABELS.values())
    assert "Also close." in (near.description or "")
    assert near.footer.text == "Related passage 2 of 2 · Only you can see this"
    assert "not a match" in r.content


def test_author_filter_miss_names_who_did_say_it() -> None:
    elsewhere = quote("No truce.", meta=replace(META, authors=("Paul Mason",)))
    answer = not_found(author_filter="Ashley Smith", found_elsewhere=[elsewhere], closest=[quote("x.")])
    r = render.who_said(answer, visibility="public")
    assert_fits(r)
    assert render.result_count(answer) == 1
    assert description(r).startswith("Not in **Ashley Smith**'s essays; found in Paul Mason, A Test Essay.")
    assert r.content.startswith(
        "Not found: nothing in Ashley Smith's essays clearly says this."
        " Found in Paul Mason, A Test Essay (2023): "
    )
    assert r.embeds[0].colour == render.FOUND and bolded(description(r)) == ["Ashley Smith", "No truce."]


def test_citation_is_plain_and_complete() -> None:
    q = quote("A *paired* star, snake_case, with <@1>.", link="https://example.org/essay#:~:text=A")
    text = render.citation(q)
    # Paired stars would turn italic and a mention must not form; a lone underscore stays as it is.
    assert text.startswith("“A \\*paired\\* star, snake_case, with <" + ZERO_WIDTH + "@1>.”")
    assert "(Ada Writer, A Test Essay, The Review, 17 May 2023) https://example.org/essay#:~:text=A" in text


def test_context_is_ephemeral_with_the_quote_in_bold() -> None:
    q = quote("Quoted words.", section="Part **two**")
    r = render.context(q)
    assert_fits(r)
    assert bolded(description(r)) == ["Quoted words."]
    assert r.embeds[0].footer.text == "Only you can see this"
    assert r.embeds[0].fields[0].value == "Part \\*\\*two\\*\\*"


def _side(label: str, passages: list[Quote]) -> Side:
    return Side(label, "author", label, ["test-essay"], passages)


def test_compare_stacks_one_embed_per_side_and_names_an_empty_side() -> None:
    answer = CompareAnswer("war", _side("Ada Writer", [quote("On war.")]), _side("Bo Other", []))
    r = render.compare(answer, visibility="public")
    assert_fits(r)
    a, b = r.embeds
    assert a.title == "Ada Writer" and bolded(a.description or "") == ["On war."]
    assert b.description == "Nothing by **Bo Other** on “war”." and b.colour == render.NEUTRAL
    assert b.footer.text == "Visible to everyone"
    assert r.content == "Compare on “war”: Ada Writer (1 passage) and Bo Other (nothing on this topic)."


def test_positions_one_line_per_author_and_an_expanded_one() -> None:
    many = [
        Position(f"Author {i}", ["e"], quote(f"Position {i}. " * 40) if i % 3 else None) for i in range(40)
    ]
    answer = PositionsAnswer("the topic", many)
    r = render.positions(answer, visibility="public")
    assert_fits(r)
    lines = description(r).splitlines()
    assert len(lines) == 40 and lines[0] == "**1. Author 0** — *nothing on this topic*"
    assert lines[1].startswith("**2. Author 1** — “Position 1.")
    full = render.positions(answer, visibility="ephemeral", expanded=1)
    assert_fits(full)
    assert len(full.embeds) == 2 and full.embeds[1].author.name == "2. Author 1"
    assert full.embeds[1].footer.text == "Only you can see this"
    empty = render.positions(answer, visibility="public", expanded=0)
    assert "Nothing by **Author 0**" in (empty.embeds[1].description or "")


def test_essays_pages() -> None:
    essays = [replace(META, id=f"e{i}", title=f"Essay {i}") for i in range(12)]
    assert render.page_count(12, 5) == 3 and render.page_count(0, 5) == 1 and render.page_count(5, 5) == 1
    r = render.essays_page(essays, 2)
    assert_fits(r)
    assert r.embeds[0].footer.text == "Page 3 of 3"
    assert "**11. [Essay 10](https://example.org/essay)**" in description(r)
    assert "Ada Writer · The Review · 17 May 2023" in description(r)
    assert render.essays_page(essays, 99).embeds[0].footer.text == "Page 3 of 3"
    assert_fits(render.essays_page([], 0))


# -- the real corpus -------------------------------------------------------------------------------

MODEL = pytest.mark.model
QUESTIONS = Path(__file__).parent.parent / "data" / "own_who_said.jsonl"


@MODEL
def test_nested_speaker_quote_from_the_corpus(seeded_app: Essaybot) -> None:
    answer = seeded_app.who_said("to be America's friend is fatal")
    r = render.who_said(answer, visibility="public")
    assert_fits(r)
    q = answer.results[0]
    assert r.embeds[0].title == q.attribution and q.attribution.startswith("Henry Kissinger, quoted by")
    assert bolded(description(r)) == [highlighted(q)]
    assert r.content.startswith("Found. ") and "“…to be America’s friend is fatal”" in r.content
    assert "Henry Kissinger" in r.content
    assert_fits(render.context(q))


@MODEL
def test_misquote_and_author_filter_from_the_corpus(seeded_app: Essaybot) -> None:
    near = seeded_app.who_said(
        "Ukraine has fought a heroic military and civilian resistance against Russia's invasion"
    )
    r = render.who_said(near, visibility="public")
    assert_fits(r)
    assert str(r.embeds[0].author.name).startswith("Near quote · Says this")
    assert "waged" in str(r.embeds[0].fields[0].value)

    miss = seeded_app.who_said("no truce in the class war", author="ICL")
    r = render.who_said(miss, visibility="public")
    assert_fits(r)
    assert r.content.startswith("Not found: nothing in International Communist League's essays clearly says")
    assert "Found quoted in Paul Mason" in r.content
    assert bolded(description(r))[-1] == "no truce in the class war"


@MODEL
def test_not_found_from_the_corpus(seeded_app: Essaybot) -> None:
    answer = seeded_app.who_said("Who said the moon landing was faked?")
    for i in range(render.result_count(answer)):
        r = render.who_said(answer, i, visibility="public")
        assert_fits(r)
        assert r.embeds[0].title == "Not found" and r.embeds[1].title == "Related passage — not a match"


@MODEL
def test_every_page_of_the_projects_questions_fits(seeded_app: Essaybot) -> None:
    for line in QUESTIONS.read_text(encoding="utf-8").splitlines():
        answer = seeded_app.who_said(json.loads(line)["query"])
        pages = max(render.result_count(answer), 1)
        for i in range(pages):
            r = render.who_said(answer, i, visibility="public")
            assert_fits(r)
            if answer.verdict == "found":
                q = answer.results[i]
                assert bolded(description(r)) == [highlighted(q)]
                assert_fits(render.context(q))
                assert len(render.citation(q)) <= 2000


@MODEL
def test_compare_positions_and_essays_from_the_corpus(seeded_app: Essaybot) -> None:
    r = render.compare(seeded_app.compare("Paul Mason", "ICL", "NATO"), visibility="public")
    assert_fits(r)
    assert [e.title for e in r.embeds] == ["Paul Mason", "International Communist League"]
    nothing = seeded_app.compare("Paul Mason", "ICL", "recipes for sourdough bread and pastry")
    empty = render.compare(nothing, visibility="public")
    assert_fits(empty)
    assert all((e.description or "").startswith("Nothing by") for e in empty.embeds)
    answer = seeded_app.positions("sanctions on Russia")
    for expanded in (None, *range(len(answer.positions))):
        assert_fits(render.positions(answer, visibility="public", expanded=expanded))
    essays = seeded_app.essays()
    for page in range(render.page_count(len(essays), 5)):
        assert_fits(render.essays_page(essays, page))
