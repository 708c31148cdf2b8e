"""The verifier's per-essay vocabulary: the words of that essay's passages, kept for recent essays only."""

from __future__ import annotations

import pytest

from bot.answer import verify
from bot.core.ingest import prepare
from bot.corpus.loader import load_essay
from bot.paths import seeds_dir
from bot.search.keyword import tokenize
from bot.search.snapshot import CorpusSnapshot

ESSAYS = ("mason-2022-marxist-position.md", "smith-2022-stop-putins-war.md")


@pytest.fixture(scope="module")
def snap() -> CorpusSnapshot:
    prepared = [prepare(load_essay(seeds_dir() / name)) for name in ESSAYS]
    return CorpusSnapshot([p.essay for p in prepared], [passage for p in prepared for passage in p.passages])


def test_vocabulary_is_every_stemmed_word_of_the_essay(snap: CorpusSnapshot) -> None:
    for essay_id in snap.essays:
        texts = [p.text for p in snap.passages if p.essay_id == essay_id]
        expected = {t for toks in tokenize(texts) for t in toks}
        assert verify._essay_vocabulary(snap, essay_id) == expected
    mason, smith = (
        verify._essay_vocabulary(snap, "mason-2022-marxist-position"),
        verify._essay_vocabulary(snap, "smith-2022-stop-putins-war"),
    )
    assert mason != smith and "putin" in smith


def test_only_recent_essays_are_kept(snap: CorpusSnapshot, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(verify, "VOCABULARY_ESSAYS", 1)
    snap = CorpusSnapshot(snap.essays.values(), snap.passages)  # nothing cached for it yet
    first, second = list(snap.essays)
    before = verify._essay_vocabulary(snap, first)
    verify._essay_vocabulary(snap, second)
    assert list(verify._VOCAB[snap]) == [second]
    assert verify._essay_vocabulary(snap, first) == before  # recomputed alike
