"""Ingest end to end with the real model: fresh, unchanged, incremental, broken, removed and forced.

One fresh ingest of the seeds (the expensive step) is shared by the whole module.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.config import load_settings
from bot.core.essaybot import Essaybot
from bot.core.ingest import IngestReport
from bot.corpus.models import Passage
from bot.curation.audit import CLI_ACTOR, CurationError
from bot.errors import CorpusError
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
    first = app.library.ingest()
    after_first = generation_dirs(app)
    second = app.library.ingest()
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
    added = app.library.ingest([new_file])
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
        app.library.ingest([changed, broken])
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
    again = app.library.ingest([new_file])
    assert again.skipped == [NEW_ID]
    assert again.added == [] and again.updated == []
    assert any("removed earlier" in w for w in again.warnings)
    assert _status(app, NEW_ID) == "removed"
    assert not _answers_new_essay(app)

    # 5. With force it comes back, with the same passage ids as before.
    forced = app.library.ingest([new_file], force=True)
    assert forced.updated == [NEW_ID]
    assert _status(app, NEW_ID) == "active"
    assert _answers_new_essay(app)
    assert [p.id for p in passages_by_essay(app)[NEW_ID]] == new_ids

    # 6. Through the library: removal takes effect at once in the running process; restore undoes it.
    generation = app.store.current_generation()
    assert app.library.remove_essay_by(NEW_ID, actor=CLI_ACTOR).id == NEW_ID
    assert app.store.current_generation() == (generation or 0) + 1
    assert not _answers_new_essay(app)
    assert app.library.restore_essay_by(NEW_ID, actor=CLI_ACTOR).id == NEW_ID
    assert app.store.current_generation() == (generation or 0) + 2
    assert _answers_new_essay(app)
    with pytest.raises(CurationError, match="no essay"):
        app.library.remove_essay_by("no-such-essay", actor=CLI_ACTOR)
    assert app.store.current_generation() == (generation or 0) + 2


META_ID = "meta-2024-front-matter"


def _meta_essay(title: str, authors: str, body_extra: str = "") -> str:
    return f"""---
id: "{META_ID}"
title: "{title}"
authors: [{authors}]
---
The tenants met in the laundry room because it was the only room nobody owned.

They wrote the rent demands on the back of washing-powder boxes.{body_extra}
"""


def _stored(app: Essaybot, essay_id: str) -> tuple[str, tuple[str, ...]]:
    with session_scope(app.engine) as session:
        found = CorpusRepository(session).essay_and_status(essay_id)
    assert found is not None
    return found[0].meta.title, found[0].meta.authors


def test_front_matter_only_changes_are_ingested_and_a_moderators_edit_is_kept(
    fresh: Fresh, tmp_path: Path
) -> None:
    app = fresh.app
    path = tmp_path / "meta.md"
    path.write_text(_meta_essay("Laundry Room", '"Ada Tenant"'), encoding="utf-8")
    assert app.library.ingest([path]).added == [META_ID]

    # 1. Only the title changes: updated (and published), not "unchanged".
    generation = app.store.current_generation()
    path.write_text(_meta_essay("The Laundry Room Union", '"Ada Tenant"'), encoding="utf-8")
    retitled = app.library.ingest([path])
    assert retitled.updated == [META_ID] and retitled.unchanged == []
    assert retitled.generation == (generation or 0) + 1
    assert _stored(app, META_ID) == ("The Laundry Room Union", ("Ada Tenant",))
    assert app.library.ingest([path]).unchanged == [META_ID]

    # 2. A moderator edits the authors; re-ingesting the unchanged file keeps the edit, silently.
    app.library.edit_essay(META_ID, actor="cli", authors=["Bea Organiser"])
    kept = app.library.ingest([path])
    assert kept.unchanged == [META_ID] and kept.conflicts == [] and kept.warnings == []
    assert _stored(app, META_ID) == ("The Laundry Room Union", ("Bea Organiser",))

    # 3. The body changes but not the front matter: the new text is stored under the edited metadata.
    path.write_text(
        _meta_essay("The Laundry Room Union", '"Ada Tenant"', " The boxes are in the archive now."),
        encoding="utf-8",
    )
    body_changed = app.library.ingest([path])
    assert body_changed.updated == [META_ID] and body_changed.conflicts == []
    assert _stored(app, META_ID) == ("The Laundry Room Union", ("Bea Organiser",))

    # 4. The file's authors change too: a conflict, reported (every time) and the edit kept.
    path.write_text(
        _meta_essay("The Laundry Room Union", '"Cy Author"', " The boxes are in the archive now."),
        encoding="utf-8",
    )
    for _ in range(2):
        conflict = app.library.ingest([path])
        assert conflict.conflicts == [META_ID] and conflict.unchanged == [META_ID]
        assert any("authors" in w and "/essays edit" in w and "--force" in w for w in conflict.warnings)
        assert _stored(app, META_ID) == ("The Laundry Room Union", ("Bea Organiser",))

    # 5. --force takes the file's metadata; afterwards the file and the database agree.
    forced = app.library.ingest([path], force=True)
    assert forced.updated == [META_ID] and forced.conflicts == []
    assert _stored(app, META_ID) == ("The Laundry Room Union", ("Cy Author",))
    settled = app.library.ingest([path])
    assert settled.unchanged == [META_ID] and settled.warnings == []


def _counts(app: Essaybot) -> dict[str, int]:
    with session_scope(app.engine) as session:
        return CorpusRepository(session).counts()


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("paper.pdf", b"%PDF-1.7\n1 0 obj << >> endobj\n", r"paper\.pdf: not an essay file"),
        ("links.md", b"---\ntitle: Links\n---\nhttps://example.com/a\n", "no sentence is left"),
        ("huge.txt", b"A sentence of filler text. " * 40_000, r"huge\.txt: 1\.03 MB is over the 1 MB limit"),
    ],
)
def test_files_that_cannot_be_essays_are_refused(
    fresh: Fresh, tmp_path: Path, name: str, content: bytes, message: str
) -> None:
    app = fresh.app
    path = tmp_path / name
    path.write_bytes(content)
    counts, generation = _counts(app), app.store.current_generation()
    with pytest.raises(CorpusError, match=message):
        app.library.ingest([path])
    assert _counts(app) == counts and app.store.current_generation() == generation
