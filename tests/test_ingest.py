"""Ingest end to end with the real model: fresh, unchanged, incremental, broken, removed and forced.

One fresh ingest of the seeds (the expensive step) is shared by the whole module.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.app import Essaybot
from bot.config import load_settings
from bot.corpus.models import Passage
from bot.errors import CorpusError
from bot.ingest import IngestReport
from bot.paths import seeds_dir
from bot.store.db import session_scope
from bot.store.repo import CorpusRepository

pytestmark = pytest.mark.model

SEED_IDS = [
    "anon-2022-solidarity-with-ukraine",
    "icl-2025-wv1184-ukraine",
    "mason-2022-marxist-position",
    "rsm-2023-war-on-war",
    "smith-2022-stop-putins-war",
]
NEW_ID = "bakers-2024-bread-and-roses"
NEW_ESSAY = f"""---
id: "{NEW_ID}"
title: "Bread and Roses in the Bakeries"
authors: ["Dora Baker"]
publication: "Test Quarterly"
date: "2024-05"
---
Bread and Roses in the Bakeries

The cooperative bakeries of the harbour district taught us that bread and solidarity rise together. \
Every morning the ovens were lit by whoever had slept least.

Nobody owned the flour mill outright, and nobody wanted to. The members voted on the price of a loaf \
at a meeting that lasted until the candles burned out.

When the landlords raised the rents, the bakers answered with a strike of sourdough starters, \
which is a sentence nobody in the seeds would ever write.
"""
NEW_SENTENCE = (
    "The cooperative bakeries of the harbour district taught us that bread and solidarity rise together."
)


@dataclass
class Fresh:
    app: Essaybot
    first: IngestReport
    second: IngestReport
    generations_after_first: list[str]
    generations_after_second: list[str]


def generation_dirs(app: Essaybot) -> list[str]:
    return sorted(p.name for p in app.store.root.glob("gen-*"))


def passages_by_essay(app: Essaybot) -> dict[str, list[Passage]]:
    with session_scope(app.engine) as session:
        passages = CorpusRepository(session).active_passages()
    out: dict[str, list[Passage]] = {}
    for p in passages:
        out.setdefault(p.essay_id, []).append(p)
    return out


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> Fresh:
    data_dir = tmp_path_factory.mktemp("ingest-data")
    app = Essaybot(load_settings(None, data_dir=data_dir))
    first = app.ingest()
    after_first = generation_dirs(app)
    second = app.ingest()
    return Fresh(app, first, second, after_first, generation_dirs(app))


def test_fresh_ingest_adds_every_seed(fresh: Fresh) -> None:
    r = fresh.first
    assert sorted(r.added) == SEED_IDS
    assert r.updated == [] and r.unchanged == [] and r.skipped == []
    assert r.passages > 100
    assert r.embedded == r.passages  # one sentence vector per passage
    assert r.generation == 1
    assert fresh.app.store.current_generation() == 1
    assert fresh.generations_after_first == ["gen-000001"]
    assert sorted(m.id for m in fresh.app.essays()) == SEED_IDS


def test_second_ingest_changes_nothing(fresh: Fresh) -> None:
    r = fresh.second
    assert sorted(r.unchanged) == SEED_IDS
    assert r.added == [] and r.updated == [] and r.skipped == []
    assert r.embedded == 0
    assert r.passages == fresh.first.passages
    assert r.generation == fresh.first.generation  # no new generation was written
    assert fresh.generations_after_second == fresh.generations_after_first


def test_passage_ids_are_stable_across_fresh_ingests(fresh: Fresh, seeded_app: Essaybot) -> None:
    # seeded_app is another, independent fresh ingest of the same seeds.
    ours = passages_by_essay(fresh.app)
    theirs = passages_by_essay(seeded_app)
    for essay_id in SEED_IDS:
        assert [(p.id, p.start, p.end) for p in ours[essay_id]] == [
            (p.id, p.start, p.end) for p in theirs[essay_id]
        ], essay_id


def test_stored_passages_round_trip_exactly(fresh: Fresh) -> None:
    with session_scope(fresh.app.engine) as session:
        repo = CorpusRepository(session)
        essays = {e.id: e for e in repo.active_essays()}
        passages = repo.active_passages()
        spans = repo.quote_spans()
    assert passages
    seen_ids: set[str] = set()
    by_essay: dict[str, list[Passage]] = {}
    for p in passages:
        body = essays[p.essay_id].body
        assert body[p.start : p.end] == p.text, p.id
        assert p.text.strip() == p.text and p.text
        assert p.id not in seen_ids
        seen_ids.add(p.id)
        by_essay.setdefault(p.essay_id, []).append(p)
    for essay_id, ps in by_essay.items():
        assert [p.seq for p in ps] == list(range(len(ps))), essay_id
        for a, b in itertools.pairwise(ps):
            assert a.end <= b.start, (essay_id, a.id, b.id)  # in order, never overlapping
            assert a.paragraph <= b.paragraph
    for essay_id, essay_spans in spans.items():
        for s in essay_spans:
            assert 0 <= s.start < s.end <= len(essays[essay_id].body)
    # The on-disk essay bodies are stored unchanged.
    seed_file = seeds_dir() / "mason-2022-marxist-position.md"
    assert essays["mason-2022-marxist-position"].body in seed_file.read_text(encoding="utf-8")


def _answers_new_essay(app: Essaybot) -> bool:
    answer = app.who_said(NEW_SENTENCE)
    return answer.verdict == "found" and answer.results[0].essay.id == NEW_ID


def _status(app: Essaybot, essay_id: str) -> str | None:
    with session_scope(app.engine) as session:
        return CorpusRepository(session).essay_status(essay_id)


def test_incremental_ingest_broken_file_removal_and_force(fresh: Fresh, tmp_path: Path) -> None:
    app = fresh.app
    new_file = tmp_path / "bread.md"
    new_file.write_text(NEW_ESSAY, encoding="utf-8")

    # 1. A new essay: added, answerable at once, and the seeds' vectors are reused.
    generation = app.store.current_generation()
    added = app.ingest([new_file])
    assert added.added == [NEW_ID]
    assert added.unchanged == [] and added.updated == []
    new_passages = passages_by_essay(app)[NEW_ID]
    assert 4 <= len(new_passages) <= 10
    assert added.passages == fresh.first.passages + len(new_passages)
    assert added.embedded == len(new_passages)  # only the new essay was embedded
    assert added.generation == (generation or 0) + 1
    answer = app.who_said(NEW_SENTENCE)
    assert answer.verdict == "found" and answer.quote_verdict == "exact"
    assert answer.results[0].essay.id == NEW_ID
    assert answer.results[0].quote == NEW_SENTENCE
    assert answer.results[0].attribution == "Dora Baker, Bread and Roses in the Bakeries"
    new_ids = [p.id for p in new_passages]

    # 2. A broken essay next to a changed one: CorpusError, and nothing at all is written.
    changed = tmp_path / "bread-changed.md"
    changed.write_text(NEW_ESSAY.replace("harbour district", "old harbour"), encoding="utf-8")
    broken = tmp_path / "broken.md"
    broken.write_text('---\ntitle: "Broken"\ndate: "sometime in spring"\n---\nSome text here.\n')
    with session_scope(app.engine) as session:
        counts_before = CorpusRepository(session).counts()
        hash_before = CorpusRepository(session).essay_hash(NEW_ID)
    dirs_before = generation_dirs(app)
    with pytest.raises(CorpusError, match="date"):
        app.ingest([changed, broken])
    with session_scope(app.engine) as session:
        assert CorpusRepository(session).counts() == counts_before
        assert CorpusRepository(session).essay_hash(NEW_ID) == hash_before
    assert generation_dirs(app) == dirs_before
    assert app.store.current_generation() == added.generation
    assert _answers_new_essay(app)

    # 3. Removed through the repository: once the index reloads, its passages are no longer answered.
    with session_scope(app.engine) as session:
        assert CorpusRepository(session).remove_essay(NEW_ID)
    other = Essaybot(load_settings(None, data_dir=app.settings.data_dir))  # e.g. the CLI or a restart
    other.ensure_ready()  # notices the corpus changed and publishes a matching index
    assert other.store.current_generation() == added.generation + 1
    assert NEW_ID not in {m.id for m in other.essays()}
    assert not _answers_new_essay(other)
    assert not _answers_new_essay(app)  # the running app follows the new generation
    other.engine.dispose()

    # 4. Ingest again without force: the tombstone holds.
    again = app.ingest([new_file])
    assert again.skipped == [NEW_ID]
    assert again.added == [] and again.updated == []
    assert any("removed earlier" in w for w in again.warnings)
    assert _status(app, NEW_ID) == "removed"
    assert not _answers_new_essay(app)

    # 5. With force it comes back, with the same passage ids as before.
    forced = app.ingest([new_file], force=True)
    assert forced.updated == [NEW_ID]
    assert _status(app, NEW_ID) == "active"
    assert _answers_new_essay(app)
    assert [p.id for p in passages_by_essay(app)[NEW_ID]] == new_ids

    # 6. Through the app itself: removal takes effect at once in the running process; restore undoes it.
    generation = app.store.current_generation()
    assert app.remove_essay(NEW_ID)
    assert app.store.current_generation() == (generation or 0) + 1
    assert not _answers_new_essay(app)
    assert app.restore_essay(NEW_ID)
    assert _answers_new_essay(app)
    assert not app.remove_essay("no-such-essay")
