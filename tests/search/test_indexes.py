"""Keyword and phrase indexes kept in an index generation: written, reopened, equal to fresh ones."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bot.corpus.loader import load_essay
from bot.corpus.prepare import prepare
from bot.paths import seeds_dir
from bot.search.dense import DenseIndex
from bot.search.indexes import KEYWORD_PARAGRAPHS, PHRASES, IndexFileError, SearchIndexes
from bot.search.keyword import tokenize
from bot.search.snapshot import CorpusSnapshot

ESSAYS = ("mason-2022-marxist-position.md", "smith-2022-stop-putins-war.md")


@pytest.fixture(scope="module")
def snap() -> CorpusSnapshot:
    prepared = [prepare(load_essay(seeds_dir() / name)) for name in ESSAYS]
    return CorpusSnapshot([p.essay for p in prepared], [passage for p in prepared for passage in p.passages])


@pytest.fixture(scope="module")
def written(snap: CorpusSnapshot, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("generation")
    SearchIndexes.write_text_indexes(folder, snap)
    return folder


def dense_for(snap: CorpusSnapshot) -> DenseIndex:
    return DenseIndex.build(np.eye(len(snap), 8, dtype=np.float32))


QUERIES = ["no truce in the class war", "sanctions on Russia", "Putin's war", "imperialism and NATO"]


@pytest.mark.parametrize("query", QUERIES)
def test_reopened_keyword_indexes_score_like_fresh_ones(
    snap: CorpusSnapshot, written: Path, query: str
) -> None:
    fresh = SearchIndexes.build(snap, np.zeros((len(snap), 8), dtype=np.float32))
    opened = SearchIndexes.open(written, snap, dense_for(snap))
    terms = tokenize([query])[0]
    assert np.array_equal(fresh.sentences.scores(terms), opened.sentences.scores(terms))
    assert np.array_equal(fresh.paragraphs.scores(terms), opened.paragraphs.scores(terms))
    for row in range(0, len(snap.paragraphs), 7):
        assert fresh.paragraphs.coverage(terms, row) == opened.paragraphs.coverage(terms, row)
        assert fresh.paragraphs.weighted_coverage(terms, row) == opened.paragraphs.weighted_coverage(
            terms, row
        )


def test_reopened_phrase_index_finds_the_same_quotes(snap: CorpusSnapshot, written: Path) -> None:
    opened = SearchIndexes.open(written, snap, dense_for(snap))
    [m] = opened.phrases.exact("no truce in the class war")
    para = snap.paragraphs[m.key]
    assert snap.body_text(para.essay_id, m.start, m.end) == "no truce in the class war"
    assert opened.phrases.exact("no truce in the class war", lambda key: key != m.key) == []


def test_document_frequencies_come_from_the_index(snap: CorpusSnapshot) -> None:
    index = SearchIndexes.build(snap, np.zeros((len(snap), 8), dtype=np.float32)).paragraphs
    token_sets = [set(t) for t in tokenize([snap.paragraph_text(i) for i in range(len(snap.paragraphs))])]
    for term in ["war", "class", "truce", "ukrain", "absentword"]:
        assert index.document_frequency(term) == sum(term in s for s in token_sets)


def test_missing_or_damaged_files_are_reported(snap: CorpusSnapshot, tmp_path: Path) -> None:
    SearchIndexes.write_text_indexes(tmp_path, snap)
    (tmp_path / PHRASES).write_bytes(b"not a database" * 100)
    with pytest.raises(IndexFileError):
        SearchIndexes.open(tmp_path, snap, dense_for(snap))
    SearchIndexes.write_text_indexes(tmp_path / "again", snap)
    for path in (tmp_path / "again" / KEYWORD_PARAGRAPHS).iterdir():
        path.unlink()
    with pytest.raises(IndexFileError):
        SearchIndexes.open(tmp_path / "again", snap, dense_for(snap))


def test_indexes_of_another_corpus_are_refused(snap: CorpusSnapshot, tmp_path: Path) -> None:
    smaller = CorpusSnapshot(list(snap.essays.values())[:1], snap.passages)
    SearchIndexes.write_text_indexes(tmp_path, smaller)
    with pytest.raises(IndexFileError, match="does not match"):
        SearchIndexes.open(tmp_path, snap, dense_for(snap))
