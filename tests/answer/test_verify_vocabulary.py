"""Which essays use a word: read from the keyword index's posting lists, never by tokenising the library."""

from __future__ import annotations

import pytest

from bot.answer import verify
from bot.corpus.loader import load_essay
from bot.corpus.prepare import prepare
from bot.paths import seeds_dir
from bot.search.keyword import KeywordIndex, tokenize
from bot.search.snapshot import CorpusSnapshot

ESSAYS = ("mason-2022-marxist-position.md", "smith-2022-stop-putins-war.md")


@pytest.fixture(scope="module")
def snap() -> CorpusSnapshot:
    prepared = [prepare(load_essay(seeds_dir() / name)) for name in ESSAYS]
    return CorpusSnapshot([p.essay for p in prepared], [passage for p in prepared for passage in p.passages])


def test_the_essays_using_a_word_are_those_whose_passages_hold_it(snap: CorpusSnapshot) -> None:
    essays_with = verify._EssaysWith(snap, KeywordIndex([p.text for p in snap.passages]))
    vocabulary = {
        essay_id: {
            t for toks in tokenize([p.text for p in snap.passages if p.essay_id == essay_id]) for t in toks
        }
        for essay_id in snap.essays
    }
    rows = {essay_id: snap.row_array([essay_id]) for essay_id in snap.essays}
    for term in set().union(*vocabulary.values()):
        for essay_id, words in vocabulary.items():
            for row in (rows[essay_id][0], rows[essay_id][-1]):  # any row of the essay answers for it
                assert essays_with.uses(int(row), term) == (term in words), (essay_id, term)
    assert all(essays_with.uses(int(r[0]), "putin") for r in rows.values())
    assert not any(essays_with.uses(int(r[0]), "kazakhstan") for r in rows.values())


def test_a_name_the_essay_never_uses_counts_as_missing(snap: CorpusSnapshot) -> None:
    essays_with = verify._EssaysWith(snap, KeywordIndex([p.text for p in snap.passages]))
    names = [set(tokenize(["Kazakhstan"])[0]), set(tokenize(["Putin"])[0])]
    row = int(snap.row_array(["smith-2022-stop-putins-war"])[0])
    assert verify._names_missing(names, row, essays_with) == 1.0
