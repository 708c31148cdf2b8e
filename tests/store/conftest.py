"""Fixtures for the store tests: a migrated database per test and a small hand-made essay.

``engine`` is SQLite by default. When ``ESSAYBOT_TEST_POSTGRES_URL`` names a PostgreSQL server
(``scripts/test-postgres.sh`` starts a throwaway one), every test using ``engine`` also runs against
PostgreSQL, on an emptied database, so the scale-out path cannot rot.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine

from bot.corpus.models import Essay, EssayMeta, Passage, PassageKind, QuoteSpan, passage_id
from bot.store.db import make_engine, upgrade

BODY = (
    "On Walls\n\n"
    "A wall is a promise made in stone. Nobody remembers who first said it.\n\n"
    'The mason told us, "Every wall leans toward the road." We did not believe him.\n'
)


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'data' / 'essaybot.db'}"


POSTGRES_URL = os.environ.get("ESSAYBOT_TEST_POSTGRES_URL")
BACKENDS = ["sqlite", "postgresql"] if POSTGRES_URL else ["sqlite"]


@pytest.fixture(params=BACKENDS)
def engine(request: pytest.FixtureRequest, db_url: str) -> Iterator[Engine]:
    if request.param == "postgresql":
        assert POSTGRES_URL is not None
        _empty_postgres(POSTGRES_URL)
        eng = make_engine(POSTGRES_URL)
    else:
        eng = make_engine(db_url)
    upgrade(eng)
    yield eng
    eng.dispose()


def _empty_postgres(url: str) -> None:
    """Drop everything a previous test left, so each test starts from an unmigrated database."""
    eng = make_engine(url)
    try:
        with eng.begin() as conn:
            conn.execute(sa.text("DROP SCHEMA public CASCADE"))
            conn.execute(sa.text("CREATE SCHEMA public"))
    finally:
        eng.dispose()


@pytest.fixture
def essay() -> Essay:
    return make_essay()


@pytest.fixture
def passages(essay: Essay) -> list[Passage]:
    return make_passages(essay, SENTENCES)


@pytest.fixture
def spans(essay: Essay) -> list[QuoteSpan]:
    return make_spans(essay)


@pytest.fixture
def build() -> type[Builders]:
    """The builders below, for tests that need more than one essay."""
    return Builders


def make_essay(essay_id: str = "on-walls", body: str = BODY, title: str = "On Walls") -> Essay:
    meta = EssayMeta(
        id=essay_id,
        title=title,
        authors=("Ada Mason", "B. Stone"),
        aliases=("the masons",),
        subtitle="Notes from a building site",
        publication="The Quarterly",
        date="2021-03",
        url="https://example.org/walls",
        notes=None,
    )
    return Essay(meta=meta, body=body, source=f"{essay_id}.md")


def make_passages(essay: Essay, sentences: list[str]) -> list[Passage]:
    """Passages for the given sentences, offsets found with str.find in order."""
    passages = []
    pos = 0
    for seq, text in enumerate(sentences):
        start = essay.body.find(text, pos)
        assert start >= 0, text
        end = start + len(text)
        pos = end
        kind: PassageKind = "heading" if seq == 0 else "sentence"
        passages.append(
            Passage(
                id=passage_id(essay.id, text, 0),
                essay_id=essay.id,
                seq=seq,
                paragraph=0 if seq == 0 else (1 if seq < 3 else 2),
                section=None if seq == 0 else "On Walls",
                start=start,
                end=end,
                text=text,
                kind=kind,
            )
        )
    return passages


SENTENCES = [
    "On Walls",
    "A wall is a promise made in stone.",
    "Nobody remembers who first said it.",
    'The mason told us, "Every wall leans toward the road."',
    "We did not believe him.",
]


def make_spans(essay: Essay) -> list[QuoteSpan]:
    quote = "Every wall leans toward the road."
    start = essay.body.find(quote)
    return [QuoteSpan(start, start + len(quote), "the mason", "quoted", cue="told us")]


class Builders:
    essay = staticmethod(make_essay)
    passages = staticmethod(make_passages)
    spans = staticmethod(make_spans)
    sentences = SENTENCES
