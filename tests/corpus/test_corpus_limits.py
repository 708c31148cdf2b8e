"""Bounded work on hostile essay files: YAML alias bombs, deep nesting, huge front matter and files,
echoed input, and paragraphs long enough to make sentence splitting quadratic."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from bot.corpus import chunker
from bot.corpus.chunker import PIECE_MAX, chunk, new_segmenter, sentence_spans
from bot.corpus.cleaner import clean
from bot.corpus.loader import (
    ECHO_MAX,
    FRONT_MATTER_MAX_CHARS,
    load_corpus,
    load_essay,
    parse_essay_text,
)
from bot.corpus.models import Essay, EssayMeta
from bot.errors import CorpusError

# 433 bytes, like the report's: nine lists of nine aliases expand to 9**6 strings once resolved.
ALIAS_BOMB = """---
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
title: *f
---
The body is ordinary. It has two sentences.
"""


def refused(text: str, *fragments: str) -> str:
    with pytest.raises(CorpusError) as info:
        parse_essay_text(text, source="bad.md", default_id="bad")
    message = str(info.value)
    assert "\n" not in message and len(message) < 2 * ECHO_MAX + 100, message
    for fragment in fragments:
        assert fragment in message, message
    return message


def test_alias_bomb_is_refused_before_it_expands() -> None:
    assert len(ALIAS_BOMB.encode()) < 450
    refused(ALIAS_BOMB, "bad.md", "anchors and aliases", "line 2")


@pytest.mark.parametrize(
    "front",
    ['title: &t "Anchored"', 'title: "T"\nauthors: &x ["A"]\naliases: *x', "title: !!str &t T"],
)
def test_any_anchor_or_alias_is_refused(front: str) -> None:
    refused(f"---\n{front}\n---\nBody text here.\n", "anchors and aliases")


def test_deep_nesting_is_refused_without_recursion_error() -> None:
    refused("---\ntitle: " + "[" * 5000 + "\n---\nBody.\n", "nested more than")


def test_front_matter_over_the_size_limit_is_refused() -> None:
    notes = "x" * FRONT_MATTER_MAX_CHARS
    refused(f"---\ntitle: T\nnotes: {notes}\n---\nBody.\n", "front matter is", "the limit is")


def test_echoed_input_is_cut_short() -> None:
    long_url = "ftp://" + "q" * 10_000
    message = refused(f"---\ntitle: T\nurl: {long_url}\n---\nBody.\n", "url", "…")
    assert message.count("q") <= ECHO_MAX
    many = "[" + ", ".join(["abcdefghij" * 5] * 200) + "]"
    refused(f"---\ntitle: {many}\n---\nBody.\n", "title", "…")


@pytest.mark.parametrize(
    ("front", "fragment"),
    [
        ("title: T\ndate: 2024-99-99", "not a real date: '2024-99-99'"),
        ("title: T\ndate: !!timestamp 2024-13-01", "cannot be read"),
        ("title: T\nx: " + "1" * 5000, "cannot be read"),
        ("- a\n- b", "must be a mapping of fields, got list"),
        ("just a string", "must be a mapping of fields, got str"),
    ],
)
def test_bad_values_are_one_line_errors_not_crashes(front: str, fragment: str) -> None:
    refused(f"---\n{front}\n---\nBody text.\n", fragment)


def test_unquoted_dates_still_load() -> None:
    essay, _ = parse_essay_text(
        "---\ntitle: T\ndate: 2024-05-01\n---\nBody.\n", source="a.md", default_id="a"
    )
    assert essay.meta.date == "2024-05-01"


def test_a_long_source_name_is_cut_in_messages() -> None:
    with pytest.raises(CorpusError) as info:
        parse_essay_text("---\ntitle: T\n", source="d/" * 500 + "x.md", default_id="x")
    assert len(str(info.value)) < ECHO_MAX + 100


def test_file_size_is_checked_before_reading(tmp_path: Path) -> None:
    big = tmp_path / "big.md"
    with big.open("wb") as f:  # sparse: 50 MB that were never written, and are never read
        f.truncate(50 << 20)
    with pytest.raises(CorpusError, match=r"big\.md: 50 MB is over the 1 MB limit for essays"):
        load_essay(big, max_bytes=1 << 20)


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_a_file_with_no_size_is_read_only_up_to_the_limit() -> None:
    # /dev/zero reports size 0 and never ends: unbounded reading would never return.
    with pytest.raises(CorpusError, match="over the 1 KB limit"):
        load_essay(Path("/dev/zero"), max_bytes=1024)


def test_an_explicit_non_essay_file_is_refused(tmp_path: Path) -> None:
    pdf = tmp_path / "paper.pdf"
    pdf.write_bytes(b"%PDF-1.7\nnot really\n")
    with pytest.raises(CorpusError, match=r"paper\.pdf: not an essay file"):
        load_corpus([pdf])
    upper = tmp_path / "NOTES.MD"
    upper.write_text("---\ntitle: Upper\n---\nThe suffix is in capitals. It is still an essay.\n")
    assert [e.meta.title for e in load_corpus([upper])] == ["Upper"]
    assert [e.meta.title for e in load_corpus([tmp_path])] == ["Upper"]  # a folder skips the PDF


def _paragraph(size: int, seed: int = 7) -> str:
    rng = random.Random(seed)
    words = ["the", "union", "said", "workers", "need", "a", "place", "to", "talk", "about", "wages"]
    out: list[str] = []
    while sum(map(len, out)) < size:
        sentence = " ".join(rng.choice(words) for _ in range(rng.randint(5, 20))).capitalize()
        out.append(sentence + rng.choice([". ", "? ", '! "Quoted," she said. ', " (Dr. Who.) "]))
    return "".join(out)[:size].rstrip() + "."


class CountingSegmenter:
    """pysbd itself, counting the calls and the longest text it is given."""

    def __init__(self) -> None:
        self.inner = new_segmenter()
        self.calls = 0
        self.longest = 0

    def segment(self, text: str) -> list[str]:
        self.calls += 1
        self.longest = max(self.longest, len(text))
        return self.inner.segment(text)


def test_a_long_paragraph_splits_exactly_as_a_whole_one() -> None:
    text = _paragraph(30_000)
    assert len(text) > 5 * PIECE_MAX  # long enough to be segmented in pieces
    # What pysbd finds over the whole paragraph at once (the chunker's steps, without the pieces).
    located = chunker._locate(text, new_segmenter())
    whole = chunker._merge_fragments(text, chunker._reattach_closers(text, located))
    assert sentence_spans(text, 0, len(text)) == [(s, e) for s, e in whole]


@pytest.mark.parametrize(
    "body",
    [_paragraph(1_000_000), "Unbroken " + "x" * 200_000 + ".", "No full stops at all " * 10_000],
    ids=["1MB-paragraph", "200KB-word", "200KB-no-sentence-end"],
)
def test_a_huge_paragraph_takes_bounded_work(body: str) -> None:
    essay = Essay(EssayMeta(id="huge", title="Huge"), body)
    counter = CountingSegmenter()
    passages = chunk(essay, clean(body, essay.meta), counter)
    assert counter.longest <= PIECE_MAX  # pysbd never sees more than a piece
    assert counter.calls <= 4 * len(body) // PIECE_MAX + 1  # and each call advances by a quarter
    assert passages and all(body[p.start : p.end] == p.text for p in passages)
    covered = "".join(body[p.start : p.end] for p in passages)
    assert "".join(covered.split()) == "".join(body.split())  # every non-space character, once
