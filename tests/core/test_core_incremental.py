"""Incremental changes through the write path: a delta generation answers as a whole rebuild does."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

import bot.core.library
from bot.answer.types import WhoSaidAnswer
from bot.config import load_settings
from bot.core.essaybot import Essaybot
from bot.corpus.upload import read_upload
from bot.curation.audit import CLI_ACTOR
from bot.search.segmented import SegmentedDense
from bot.search.segments import DELTA
from bot.search.snapshot import snapshot_of
from bot.store.db import session_scope
from bot.store.repo import CorpusRepository

pytestmark = pytest.mark.model

ESSAY_FILE = Path(__file__).resolve().parents[1] / "data" / "upload_essay.md"
ESSAY_ID = "okafor-2024-lighthouse-keepers"
QUESTIONS = [
    "keeps a shelf of minutes that nobody reads",  # verbatim, from the added essay
    "who thinks memory is the first thing a movement loses?",  # a paraphrase of it
    "war is the continuation of politics by other means",  # the seeds
    "to be America's friend is fatal",
]


@pytest.fixture
def app(clone_seeded: Callable[[str], Path], seeded_app: Essaybot) -> Essaybot:
    return Essaybot(load_settings(None, data_dir=clone_seeded("incremental")), embedder=seeded_app.embedder)


def _essay() -> object:
    return read_upload(ESSAY_FILE.read_bytes(), ESSAY_FILE.name, max_bytes=1 << 20).essay


def _answers(app: Essaybot) -> list[tuple[str, list[tuple[str, str, str]]]]:
    """Each question's verdict and the passages it attributes (the best "closest" one if none).

    Lower-ranked "closest" passages are left out: after tombstones the base's BM25 statistics still
    count the removed rows (see bot.search.segments), which may reorder the tail of a not-found list.
    """

    def shown(a: WhoSaidAnswer) -> list[tuple[str, str, str]]:
        return [(q.passage_id, q.essay.id, q.match) for q in [*a.results, *a.closest[:1]]]

    return [(a.verdict, shown(a)) for a in (app.who_said(q) for q in QUESTIONS)]


def _whole_rebuild(app: Essaybot) -> None:
    app.library.rebuild(app.library.snapshot())
    assert app.store.load(model=app.embedder.model_name, corpus_hash=app.library.snapshot().corpus_hash)
    assert app.retriever().indexes.dense.__class__ is not SegmentedDense


def test_an_added_essay_is_found_as_after_a_whole_rebuild(app: Essaybot) -> None:
    report = app.library.add_essays([_essay()], actor=CLI_ACTOR)  # type: ignore[list-item]
    folder = app.store.root / f"gen-{report.generation:06d}"
    assert (folder / DELTA / "sentences.faiss").is_file()
    assert isinstance(app.retriever().indexes.dense, SegmentedDense)
    incremental = _answers(app)
    assert incremental[0][0] == "found" and incremental[0][1][0][1] == ESSAY_ID
    # The reload read the corpus the change was indexed from: the database holds the same.
    with session_scope(app.engine) as session:
        stored = snapshot_of(CorpusRepository(session))
    reloaded = app.retriever().snapshot
    assert reloaded.corpus_hash == stored.corpus_hash and reloaded.essays == stored.essays
    assert reloaded.quote_spans == stored.quote_spans
    _whole_rebuild(app)
    assert _answers(app) == incremental


def test_remove_and_restore_answer_as_whole_rebuilds(app: Essaybot, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bot.core.library, "COMPACT_SHARE", 0.5)  # one seed essay is a fifth of the seeds
    before = _answers(app)
    gone = before[2][1][0][1]  # the essay that answers the Clausewitz quote
    app.library.remove_essay_by(gone, actor=CLI_ACTOR)
    removed = _answers(app)
    assert all(essay != gone for _, shown in removed for _, essay, _ in shown)
    manifest = app.store.load(model=app.embedder.model_name, corpus_hash=app.library.snapshot().corpus_hash)
    assert manifest.manifest.segments is not None and manifest.manifest.segments["tombstones"] > 0
    _whole_rebuild(app)
    assert _answers(app) == removed

    app.library.restore_essay_by(gone, actor=CLI_ACTOR)
    assert _answers(app) == before


def test_compaction_rebuilds_whole_past_the_share(app: Essaybot, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bot.core.library, "COMPACT_SHARE", 0.0)
    report = app.library.add_essays([_essay()], actor=CLI_ACTOR)  # type: ignore[list-item]
    assert not (app.store.root / f"gen-{report.generation:06d}" / DELTA).exists()
    assert _answers(app)[0][1][0][1] == ESSAY_ID


def test_a_damaged_delta_is_rebuilt_at_load(app: Essaybot) -> None:
    report = app.library.add_essays([_essay()], actor=CLI_ACTOR)  # type: ignore[list-item]
    path = app.store.root / f"gen-{report.generation:06d}" / DELTA / "sentences.faiss"
    path.write_bytes(path.read_bytes()[:-16] + bytes(16))
    fresh = Essaybot(load_settings(None, data_dir=app.settings.data_dir), embedder=app.embedder)
    assert _answers(fresh)[0][1][0][1] == ESSAY_ID
    current = fresh.store.current_generation()
    assert current is not None and current > report.generation
    assert not (fresh.store.root / f"gen-{current:06d}" / DELTA).exists()  # rebuilt whole
