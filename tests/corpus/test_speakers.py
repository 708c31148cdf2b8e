"""Speaker detection: labelled cases, span helpers and smoke checks on the real seed essays."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.corpus.models import Block, EssayMeta, QuoteSpan
from bot.corpus.speakers import detect_quote_spans, speaker_for_span
from bot.corpus.speakers_eval import blocks_from_text, check_case, evaluate_cases, load_cases

CASES_PATH = Path(__file__).resolve().parents[1] / "data" / "speaker_cases.yaml"
CASES = load_cases(CASES_PATH)
# Held-out cases the detector still gets wrong (documented failure modes, kept visible as xfail).
KNOWN_MISSES = {"heldout_said_the_deal": "partial quotation after 'said the deal' is not tied to the subject"}
# The raw seed dumps in ../shared beside the checkout (tests/conftest.py: skipped without them, except
# in CI, which fails when they are missing).
SEEDS = Path(__file__).resolve().parents[2].parent / "shared" / "seeds"
ROLES = {"quoted", "reported view", "editors' introduction"}


def test_cases_file_is_well_formed() -> None:
    assert len(CASES) >= 40
    assert len({c["id"] for c in CASES}) == len(CASES)
    assert sum(1 for c in CASES if not c["expect"]) >= 8  # scare quotes, titles, nothing to detect
    for case in CASES:
        for exp in case["expect"]:
            assert exp["quote"] in case["text"], (case["id"], exp["quote"])
            assert exp["role"] in ROLES
        for bad in case.get("none") or []:
            assert bad in case["text"]
    roles = {e["role"] for c in CASES for e in c["expect"]}
    assert roles == ROLES


def test_metrics_meet_targets() -> None:
    m = evaluate_cases(CASES_PATH)
    assert m.speaker_precision >= 0.95, m.failures
    assert m.speaker_recall >= 0.90, m.failures
    assert m.reported_precision >= 0.90, m.failures
    assert m.counts["s_tp"] >= 40 and m.counts["r_tp"] >= 10


@pytest.mark.parametrize(
    "case",
    [
        pytest.param(c, id=c["id"], marks=[pytest.mark.xfail(reason=KNOWN_MISSES[c["id"]], strict=True)])
        if c["id"] in KNOWN_MISSES
        else pytest.param(c, id=c["id"])
        for c in CASES
    ],
)
def test_case(case: dict[str, Any]) -> None:
    problems, _ = check_case(case)
    assert problems == []


def _spans(text: str, **meta: Any) -> list[QuoteSpan]:
    return detect_quote_spans(text, blocks_from_text(text), EssayMeta("t", "t", **meta))


def test_offsets_are_body_offsets_and_exclude_quote_marks() -> None:
    body = "Preamble that the cleaner dropped.\n\nAs Ada Lind said, “Strikes win.” Then we went home."
    start = body.index("As Ada")
    spans = detect_quote_spans(body, [Block(start, len(body), "paragraph")], EssayMeta("t", "t"))
    assert [(body[s.start : s.end], s.speaker) for s in spans] == [("Strikes win.", "Ada Lind")]


def test_empty_input() -> None:
    assert detect_quote_spans("", [], EssayMeta("t", "t")) == []


def test_first_person_cue_is_not_a_speaker() -> None:
    assert [s.speaker for s in _spans("As I wrote last year, “the war will be long and bloody”.")] == [None]


def test_preposition_before_name_is_not_a_speaker() -> None:
    assert _spans("Workers in Britain say that wages have fallen for a decade.") == []


def test_pronoun_not_resolved_when_two_names_compete() -> None:
    spans = _spans("Joe Biden met Zelensky. “We stand with Ukraine for as long as it takes,” he said.")
    assert [s.speaker for s in spans] == [None]


def test_author_colon_list_is_not_a_block_quote() -> None:
    assert (
        _spans("As I have argued, there are three reasons:\n\nFirst, wages have fallen for a decade.") == []
    )


def test_speaker_for_span_prefers_most_coverage_then_smallest() -> None:
    outer = QuoteSpan(0, 100, "Outer", "quoted")
    inner = QuoteSpan(10, 30, "Inner", "quoted")
    assert speaker_for_span([outer, inner], 10, 30) is inner  # both cover all: the specific one wins
    assert speaker_for_span([outer, inner], 0, 100) is outer
    assert speaker_for_span([inner], 0, 100) is None  # covers less than half
    assert speaker_for_span([inner], 5, 30) is inner  # 20 of 25 characters
    assert speaker_for_span([], 0, 10) is None


# --- Smoke checks on the real seed essays (blocks = non-empty lines) -----------------------------------


def _seed(marker: str, **meta: Any) -> tuple[str, list[QuoteSpan]]:
    if not SEEDS.is_dir():
        pytest.skip("seed essays not available")
    for path in sorted(SEEDS.glob("*.txt")):
        body = path.read_text(encoding="utf-8")
        if marker in body:
            blocks = [Block(m.start(), m.end(), "paragraph") for m in re.finditer(r"[^\n]*\S[^\n]*", body)]
            return body, detect_quote_spans(body, blocks, EssayMeta(path.stem, path.stem, **meta))
    # The seeds are there but the text is not: the seeds changed, which must not pass as a skip.
    pytest.fail(f"no seed in {SEEDS} contains {marker!r}")


def _at(body: str, spans: list[QuoteSpan], quote: str) -> QuoteSpan | None:
    start = body.index(quote)
    return speaker_for_span(spans, start, start + len(quote))


@pytest.mark.parametrize(
    ("marker", "quote", "speaker"),
    [
        ("Henry Kissinger", "It may be dangerous to be America’s enemy", "Henry Kissinger"),
        ("Lord Ismay", "keep the Russians out, the Americans in", "Lord Ismay"),
        ("Sotsialny Rukh", "only a socialist and democratic Ukraine can defeat", "Sotsialny Rukh"),
        ("EP Thompson", "The first is a tradition of theology.", "EP Thompson"),
        ("EP Thompson", "no single Marxist tradition, but two", "EP Thompson"),
        ("Auden", "clinging to the average day", "Auden"),
        ("La Botz", "might add an international dimension to its work", "Dan La Botz and Stephen Shalom"),
        ("Clausewitz", "war is the continuation of politics by other means", "Carl von Clausewitz"),
    ],
)
def test_seed_quotes_have_the_right_speaker(marker: str, quote: str, speaker: str) -> None:
    body, spans = _seed(marker)
    span = _at(body, spans, quote)
    assert span is not None and span.role == "quoted" and span.speaker == speaker


@pytest.mark.parametrize(
    "term", ["“neo-nazis”", "“encirclement”", "“multipolar world”", "“puppets of the West”"]
)
def test_seed_scare_quotes_have_no_speaker(term: str) -> None:
    body, spans = _seed(term)
    span = _at(body, spans, term.strip("“”"))
    assert span is None or (span.speaker is None and span.role == "quoted")


@pytest.mark.parametrize("quote", ["the main enemy is at home", "humanity is a social construct"])
def test_seed_mason_reported_views(quote: str) -> None:
    body, spans = _seed("the main enemy is at home")
    span = _at(body, spans, quote)
    assert span is not None and span.role == "reported view"


def test_seed_standfirst_and_statement_intro() -> None:
    body, spans = _seed("Ashley Smith argues for", authors=("Ashley Smith",))
    span = _at(body, spans, "Ashley Smith argues for the historic importance")
    assert span is not None and span.role == "editors' introduction"
    body, spans = _seed("Tempest marks", publication="Tempest")
    span = _at(body, spans, "Tempest marks the one-year anniversary")
    assert span is not None and span.role == "editors' introduction" and span.speaker == "Tempest editors"


def test_seed_named_speakers_are_all_known() -> None:
    """Any new named speaker on the seeds must be reviewed: a wrong name is the worst failure."""
    allowed = {
        "Henry Kissinger", "Lord Ismay", "Sotsialny Rukh", "EP Thompson", "Auden", "Carl von Clausewitz",
        "Dan La Botz and Stephen Shalom", "La Botz and Shalom", "Martin Luther King Jr.", "Vladimir Putin",
        "the editors",
    }  # fmt: skip
    if not SEEDS.is_dir():
        pytest.skip("seed essays not available")
    for path in SEEDS.glob("*.txt"):
        body = path.read_text(encoding="utf-8")
        blocks = [Block(m.start(), m.end(), "paragraph") for m in re.finditer(r"[^\n]*\S[^\n]*", body)]
        for span in detect_quote_spans(body, blocks, EssayMeta(path.stem, path.stem)):
            if span.role == "quoted" and span.speaker is not None:
                assert span.speaker in allowed, (path.name, span.speaker, body[span.start : span.end][:60])


@given(
    st.lists(
        st.sampled_from(
            [
                "As",
                "Ada Lind",
                "said,",
                "“",
                "”",
                '"',
                "‘",
                "’",
                "Some",
                "argue",
                "that",
                "we",
                ":",
                "\n\n",
                ".",
                "x",
            ]
        ),
        max_size=60,
    )
)
def test_never_crashes_and_spans_stay_inside_blocks(tokens: list[str]) -> None:
    text = " ".join(tokens)
    blocks = blocks_from_text(text)
    for span in detect_quote_spans(text, blocks, EssayMeta("t", "t", authors=("Ada Lind",), publication="P")):
        assert span.start < span.end
        assert any(b.start <= span.start and span.end <= b.end for b in blocks)
