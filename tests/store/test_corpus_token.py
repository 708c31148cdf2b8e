"""The corpus token (migration 0006): the database itself replaces it whenever the searchable corpus may
have changed, whoever writes, and leaves it alone for everything else.

A start trusts an index generation's saved corpus only while the token is the one it was stamped
with, so a change that kept the token would be served from stale columns.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine
from test_migration_0003 import migrate_to

from bot.corpus.models import Essay, Passage, QuoteSpan
from bot.store.db import make_engine, session_scope
from bot.store.repo import CorpusRepository, InteractionLog


def token(engine: Engine) -> str | None:
    with session_scope(engine) as session:
        return CorpusRepository(session).corpus_token()


@pytest.fixture
def saved(engine: Engine, essay: Essay, passages: list[Passage], spans: list[QuoteSpan]) -> Engine:
    with session_scope(engine) as session:
        CorpusRepository(session).save_essay(essay, passages, spans)
    return engine


def test_a_migrated_database_has_a_token_and_saving_an_essay_replaces_it(
    engine: Engine, essay: Essay, passages: list[Passage], spans: list[QuoteSpan]
) -> None:
    before = token(engine)
    assert before is not None and len(before) == 32
    with session_scope(engine) as session:
        repo = CorpusRepository(session)
        repo.save_essay(essay, passages, spans)
        session.flush()
        inside = repo.corpus_token()  # what the change will commit, read before the commit
    assert inside != before and token(engine) == inside


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE passages SET text = 'x' WHERE seq = 1",
        "UPDATE passages SET start_offset = start_offset WHERE seq = 1",  # even a no-op write
        "DELETE FROM passages WHERE seq = 2",
        "UPDATE essays SET status = 'removed'",
        "UPDATE essays SET body = body || ' '",
        "DELETE FROM essays",  # the passages go by cascade
    ],
)
def test_any_write_that_may_change_the_corpus_replaces_it(saved: Engine, statement: str) -> None:
    before = token(saved)
    with saved.begin() as conn:
        conn.execute(sa.text(statement))
    assert token(saved) != before


def test_a_rolled_back_change_leaves_it(saved: Engine) -> None:
    before = token(saved)
    with pytest.raises(RuntimeError), saved.begin() as conn:
        conn.execute(sa.text("DELETE FROM passages"))
        raise RuntimeError
    assert token(saved) == before


def test_metadata_curation_and_the_log_leave_it(saved: Engine, essay: Essay) -> None:
    before = token(saved)
    with saved.begin() as conn:
        conn.execute(sa.text("UPDATE essays SET title = 'On Fences', authors = '[\"C. Lee\"]'"))
        conn.execute(sa.text("UPDATE essays SET meta_hash = 'abc'"))
    with session_scope(saved) as session:
        CorpusRepository(session).set_file_meta_hash(essay.id, "def")
        InteractionLog(session).record(
            source="cli", command="who_said", options={}, verdict="found", passage_ids=[], latency_ms=1
        )
    assert token(saved) == before


def test_upgrade_from_0005_keeps_the_corpus_and_downgrade_drops_the_triggers(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    migrate_to(engine, "0005")
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO essays (id, title, authors, aliases, body, content_hash, source, status,"
                " created_at, updated_at) VALUES ('e', 't', '[]', '[]', 'A b.', 'h', 's', 'active',"
                " '2026-01-01', '2026-01-01')"
            )
        )
    migrate_to(engine, "0006")
    first = token(engine)
    assert first is not None
    with engine.begin() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM essays")).scalar_one() == 1
        conn.execute(sa.text("UPDATE essays SET status = 'removed'"))
    assert token(engine) != first
    migrate_to(engine, "0005")
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE essays SET status = 'active'"))  # no trigger left to fail
        names = conn.execute(sa.text("SELECT name FROM sqlite_master WHERE type IN ('table', 'trigger')"))
        assert not [n for (n,) in names if "corpus" in n]
    engine.dispose()


def test_hold_corpus_returns_the_token_and_leaves_it(saved: Engine) -> None:
    before = token(saved)
    with session_scope(saved) as session:
        assert CorpusRepository(session).hold_corpus() == before
    assert token(saved) == before


def test_the_repository_names_the_essays_a_session_wrote(
    engine: Engine, essay: Essay, passages: list[Passage], spans: list[QuoteSpan], build: type
) -> None:
    other = build.essay("on-fences", body=essay.body.replace("wall", "fence"), title="On Fences")
    with session_scope(engine) as session:
        repo = CorpusRepository(session)
        repo.save_essay(essay, passages, spans)
        fences = build.passages(other, [s.replace("wall", "fence") for s in build.sentences])
        repo.save_essay(other, fences, [])
        assert repo.touched() == {essay.id, other.id}
    with session_scope(engine) as session:
        repo = CorpusRepository(session)
        assert repo.touched() == set()
        sentences = [p for p in passages if p.kind == "sentence"]
        assert repo.searchable_count() == 2 * len(sentences)
        assert [p.id for p in repo.passages_of({essay.id})] == [p.id for p in passages]
        repo.remove_essay(other.id)
        assert repo.touched() == {other.id}
        assert repo.passages_of({other.id}) == [] and repo.searchable_count() == len(sentences)
        repo.restore_essay(other.id)
        assert repo.touched() == {other.id} and repo.searchable_count() == 2 * len(sentences)
