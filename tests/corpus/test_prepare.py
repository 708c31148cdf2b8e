"""Preparing an essay: pure, repeatable, and every passage and quote span is a slice of the body."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from bot.corpus.models import Essay
from bot.corpus.prepare import prepare
from bot.corpus.upload import read_upload

ESSAY_FILE = Path(__file__).resolve().parents[1] / "data" / "upload_essay.md"


def _essay() -> Essay:
    return read_upload(ESSAY_FILE.read_bytes(), ESSAY_FILE.name, max_bytes=1 << 20).essay


def test_passages_and_spans_are_slices_of_the_body() -> None:
    essay = _essay()
    prepared = prepare(essay)
    assert prepared.essay is essay
    assert any(p.kind == "sentence" for p in prepared.passages)
    for p in prepared.passages:
        assert p.essay_id == essay.id and essay.body[p.start : p.end] == p.text
    assert [p.seq for p in prepared.passages] == sorted(p.seq for p in prepared.passages)
    for s in prepared.spans:
        assert 0 <= s.start <= s.end <= len(essay.body)


def test_the_same_text_gives_the_same_passage_ids() -> None:
    # Curation is keyed on passage ids: preparing again (an edit, a re-ingest) must not orphan it.
    essay = _essay()
    first, again = prepare(essay), prepare(essay)
    assert [p.id for p in first.passages] == [p.id for p in again.passages]
    assert first.spans == again.spans
    retitled = prepare(replace(essay, meta=replace(essay.meta, title="Another title")))
    kept = {p.id for p in first.passages if p.kind == "sentence"}
    assert kept & {p.id for p in retitled.passages}
