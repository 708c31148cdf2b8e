"""Preparing an essay: pure, repeatable, and every passage and quote span is a slice of the body."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

import bot.corpus.prepare
from bot.corpus.loader import load_corpus
from bot.corpus.models import Essay
from bot.corpus.prepare import prepare, prepare_all
from bot.corpus.upload import read_upload
from bot.paths import seeds_dir

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


def test_prepare_all_in_workers_gives_what_one_process_gives(monkeypatch: pytest.MonkeyPatch) -> None:
    essays = load_corpus([seeds_dir()])
    alone = prepare_all(essays, workers=1)
    assert alone == [prepare(e) for e in essays]
    monkeypatch.setattr(bot.corpus.prepare, "PARALLEL_CHARS", 0)  # the seeds are below the real bar
    seen: list[tuple[int, int]] = []
    pooled = prepare_all(essays, workers=2, progress=lambda done, total: seen.append((done, total)))
    assert pooled == alone  # same passages, spans and order
    assert seen == [(n, len(essays)) for n in range(1, len(essays) + 1)]
