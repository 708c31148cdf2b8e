"""CorpusRepository and InteractionLog round trips on a migrated SQLite file."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, select

from bot.corpus.models import Essay, Passage, QuoteSpan
from bot.store.db import session_scope
from bot.store.models import EssayRow, InteractionRow
from bot.store.repo import CorpusRepository, InteractionLog


def save(engine: Engine, essay: Essay, passages: list[Passage], spans: list[QuoteSpan]) -> None:
    with session_scope(engine) as session:
        CorpusRepository(session).save_essay(essay, passages, spans)


def test_round_trip(engine: Engine, essay: Essay, passages: list[Passage], spans: list[QuoteSpan]) -> None:
    save(engine, essay, passages, spans)
    with session_scope(engine) as session:
        repo = CorpusRepository(session)
        loaded = repo.get_essay(essay.id)
        stored_passages = repo.active_passages()
        stored_spans = repo.quote_spans()
        assert repo.essay_status(essay.id) == "active"
        assert repo.essay_hash(essay.id) == essay.content_hash
        assert repo.counts() == {"essays": 1, "passages": len(passages), "removed": 0}

    assert loaded == essay
    assert isinstance(loaded.meta.authors, tuple)
    assert loaded.meta.author_line == "Ada Mason and B. Stone"
    assert stored_passages == passages
    for p in stored_passages:
        assert loaded.body[p.start : p.end] == p.text
    assert stored_spans == {essay.id: spans}
    (span,) = stored_spans[essay.id]
    assert loaded.body[span.start : span.end] == "Every wall leans toward the road."


def test_unicode_offsets_survive(engine: Engine, build: Any) -> None:
    body = "Über Mauern\n\n“Mauern”, sagte sie — leise. Café au lait 🧱 ist kein Beweis.\n"
    essay = build.essay("uber-mauern", body=body, title="Über Mauern")
    passages = build.passages(
        essay, ["Über Mauern", "“Mauern”, sagte sie — leise.", "Café au lait 🧱 ist kein Beweis."]
    )
    save(engine, essay, passages, [])
    with session_scope(engine) as session:
        repo = CorpusRepository(session)
        loaded = repo.get_essay("uber-mauern")
        assert loaded is not None
        for p in repo.active_passages():
            assert loaded.body[p.start : p.end] == p.text
        assert repo.quote_spans() == {}


def test_save_twice_replaces_children(
    engine: Engine, essay: Essay, passages: list[Passage], spans: list[QuoteSpan], build: Any
) -> None:
    save(engine, essay, passages, spans)
    with session_scope(engine) as session:
        first_created = session.get(EssayRow, essay.id).created_at  # type: ignore[union-attr]

    new_body = essay.body.replace("We did not believe him.", "We believed him at last.")
    edited = build.essay(essay.id, body=new_body)
    new_passages = build.passages(edited, [*build.sentences[:4], "We believed him at last."])
    save(engine, edited, new_passages, [])
    save(engine, edited, new_passages, [])  # idempotent: same ids, no unique-constraint clash

    with session_scope(engine) as session:
        repo = CorpusRepository(session)
        assert repo.get_essay(essay.id) == edited
        assert repo.active_passages() == new_passages
        assert repo.quote_spans() == {}
        assert repo.counts() == {"essays": 1, "passages": 5, "removed": 0}
        assert repo.essay_hash(essay.id) == edited.content_hash != essay.content_hash
        row = session.get(EssayRow, essay.id)
        assert row is not None
        assert row.created_at == first_created
        assert row.updated_at >= first_created
        assert row.created_at.tzinfo is UTC


def test_unchanged_sentences_keep_ids(
    engine: Engine, essay: Essay, passages: list[Passage], build: Any
) -> None:
    edited = build.essay(essay.id, body=essay.body.replace("him.", "it."))
    new_passages = build.passages(edited, [*build.sentences[:4], "We did not believe it."])
    assert [p.id for p in new_passages[:4]] == [p.id for p in passages[:4]]
    assert new_passages[4].id != passages[4].id


def test_tombstone_and_restore(
    engine: Engine, essay: Essay, passages: list[Passage], spans: list[QuoteSpan], build: Any
) -> None:
    other = build.essay("other", body="Other\n\nA second essay entirely.\n", title="Other")
    save(engine, essay, passages, spans)
    save(engine, other, build.passages(other, ["Other", "A second essay entirely."]), [])

    with session_scope(engine) as session:
        repo = CorpusRepository(session)
        assert repo.remove_essay(essay.id) is True
        assert repo.remove_essay("nope") is False
        assert repo.restore_essay("nope") is False

    with session_scope(engine) as session:
        repo = CorpusRepository(session)
        assert repo.essay_status(essay.id) == "removed"
        assert repo.essay_status("nope") is None
        assert repo.get_essay(essay.id) is None
        assert [e.id for e in repo.active_essays()] == ["other"]
        assert {p.essay_id for p in repo.active_passages()} == {"other"}
        assert repo.quote_spans() == {}
        assert repo.counts() == {"essays": 1, "passages": 2, "removed": 1}
        # The tombstone keeps its hash, so a re-import of the same text can be recognised and skipped.
        assert repo.find_by_hash(essay.content_hash) == essay.id
        row = session.get(EssayRow, essay.id)
        assert row is not None and row.removed_at is not None and row.removed_at.tzinfo is UTC

    with session_scope(engine) as session:
        assert CorpusRepository(session).restore_essay(essay.id) is True
    with session_scope(engine) as session:
        repo = CorpusRepository(session)
        assert repo.get_essay(essay.id) == essay
        assert [e.id for e in repo.active_essays()] == ["on-walls", "other"]
        assert repo.counts() == {"essays": 2, "passages": 7, "removed": 0}
        assert repo.quote_spans() == {essay.id: spans}


def test_saving_a_removed_essay_reactivates_it(engine: Engine, essay: Essay, passages: list[Passage]) -> None:
    save(engine, essay, passages, [])
    with session_scope(engine) as session:
        CorpusRepository(session).remove_essay(essay.id)
    save(engine, essay, passages, [])  # the forced re-import path
    with session_scope(engine) as session:
        repo = CorpusRepository(session)
        assert repo.essay_status(essay.id) == "active"
        assert session.get(EssayRow, essay.id).removed_at is None  # type: ignore[union-attr]


def test_find_by_hash_prefers_active(
    engine: Engine, essay: Essay, passages: list[Passage], build: Any
) -> None:
    copy = build.essay("a-copy", body=essay.body)
    copy_passages = [
        Passage(p.id + "c", copy.id, p.seq, p.paragraph, p.section, p.start, p.end, p.text, p.kind)
        for p in passages
    ]
    save(engine, copy, copy_passages, [])
    save(engine, essay, passages, [])
    with session_scope(engine) as session:
        repo = CorpusRepository(session)
        assert repo.find_by_hash(essay.content_hash) == "a-copy"
        repo.remove_essay("a-copy")
        assert repo.find_by_hash(essay.content_hash) == essay.id
        assert repo.find_by_hash("0" * 64) is None


def test_save_rejects_bad_offsets(engine: Engine, essay: Essay, passages: list[Passage]) -> None:
    bad = passages[1]
    shifted = Passage(
        bad.id, bad.essay_id, bad.seq, bad.paragraph, bad.section, bad.start + 1, bad.end + 1, bad.text
    )
    with pytest.raises(ValueError, match="does not match"), session_scope(engine) as session:
        CorpusRepository(session).save_essay(essay, [passages[0], shifted], [])
    with pytest.raises(ValueError, match="outside"), session_scope(engine) as session:
        CorpusRepository(session).save_essay(essay, passages, [QuoteSpan(0, 10_000, None, "quoted")])
    with session_scope(engine) as session:
        assert CorpusRepository(session).essay_status(essay.id) is None  # rolled back


def test_interaction_record_and_purge(engine: Engine) -> None:
    now = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
    with session_scope(engine) as session:
        log = InteractionLog(session)
        old_id = log.record(
            source="discord",
            command="who",
            options={"query": "wall is a promise", "top_k": 5},
            verdict="found",
            passage_ids=["abc123def456"],
            latency_ms=42,
            guild_id="1234567890",
            channel_id="42",
            user_ref="salted:deadbeef",
            now=now - timedelta(days=100),
        )
        new_id = log.record(
            source="cli",
            command="compare",
            options={},
            verdict=None,
            passage_ids=[],
            latency_ms=None,
            error="BadQueryError: empty query",
            now=now - timedelta(days=1),
        )
        assert isinstance(old_id, int) and new_id > old_id

    with session_scope(engine) as session:
        row = session.get(InteractionRow, old_id)
        assert row is not None
        assert row.options == {"query": "wall is a promise", "top_k": 5}
        assert row.passage_ids == ["abc123def456"]
        assert row.created_at == now - timedelta(days=100)
        assert row.created_at.tzinfo is UTC
        assert (row.source, row.guild_id, row.user_ref, row.latency_ms) == (
            "discord",
            "1234567890",
            "salted:deadbeef",
            42,
        )

    with session_scope(engine) as session:
        assert InteractionLog(session).purge_older_than(now - timedelta(days=90)) == 1
    with session_scope(engine) as session:
        assert InteractionLog(session).purge_older_than(now - timedelta(days=90)) == 0
        remaining = session.scalars(select(InteractionRow.id)).all()
        assert remaining == [new_id]


def test_interaction_default_time_is_now(engine: Engine) -> None:
    with session_scope(engine) as session:
        row_id = InteractionLog(session).record(
            source="cli", command="who", options={}, verdict=None, passage_ids=[], latency_ms=3
        )
    with session_scope(engine) as session:
        row = session.get(InteractionRow, row_id)
        assert row is not None
        assert abs(datetime.now(UTC) - row.created_at) < timedelta(minutes=1)


def test_naive_datetimes_are_refused(engine: Engine) -> None:
    with pytest.raises(ValueError, match="aware"), session_scope(engine) as session:
        InteractionLog(session).purge_older_than(datetime(2025, 1, 1))


def test_any_essay_counts_removed_ones_as_history(
    engine: Engine, essay: Essay, passages: list[Passage], spans: list[QuoteSpan]
) -> None:
    with session_scope(engine) as session:
        assert not CorpusRepository(session).any_essay()
    save(engine, essay, passages, spans)
    with session_scope(engine) as session:
        repo = CorpusRepository(session)
        assert repo.any_essay()
        assert repo.remove_essay(essay.id)
    with session_scope(engine) as session:
        assert CorpusRepository(session).any_essay()  # a tombstone: the seeds are not imported again
