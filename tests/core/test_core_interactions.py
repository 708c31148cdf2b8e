"""The one interaction recorder both shells write through: rows, feedback, and failures that never raise."""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import Engine

from bot.core.interactions import Entry, Recorder, describe
from bot.errors import BadQueryError
from bot.store.db import make_engine, session_scope, upgrade
from bot.store.models import utcnow
from bot.store.repo import InteractionLog


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    eng = make_engine(f"sqlite:///{(tmp_path / 'essaybot.db').as_posix()}")
    upgrade(eng)
    return eng


def test_a_row_holds_the_entry_and_where_it_came_from(engine: Engine) -> None:
    entry = Entry("who_said", {"query": "no truce"}, verdict="found", passage_ids=["p1"], message_id=42)
    entry.calibration = "cal-1"
    row_id = Recorder(engine, source="discord").write(
        entry, latency_ms=12, guild_id="10", channel_id="20", user_ref="u"
    )
    assert row_id is not None and entry.row_id == row_id
    with session_scope(engine) as session:
        row = InteractionLog(session).get(row_id)
    assert row is not None
    assert (row.source, row.command, row.verdict, row.passage_ids) == (
        "discord",
        "who_said",
        "found",
        ("p1",),
    )
    assert (row.guild_id, row.channel_id, row.user_ref, row.message_id) == ("10", "20", "u", "42")
    assert (row.latency_ms, row.calibration, row.options) == (12, "cal-1", {"query": "no truce"})


def test_feedback_attaches_to_the_row(engine: Engine) -> None:
    recorder = Recorder(engine, source="cli")
    row_id = recorder.write(Entry("who-said", {}), latency_ms=None)
    assert row_id is not None
    assert recorder.vote(row_id, "u", -1, now=utcnow(), reason="wrong_author") is True
    assert recorder.vote(row_id, "u", 1, now=utcnow()) is False  # a second vote replaces the first


def test_a_locked_database_costs_one_warning_and_never_the_question(
    engine: Engine, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    holder = sqlite3.connect(tmp_path / "essaybot.db", isolation_level=None, timeout=1)
    holder.execute("BEGIN EXCLUSIVE")
    fast = make_engine(f"sqlite:///{(tmp_path / 'essaybot.db').as_posix()}", busy_timeout_ms=100)
    try:
        with caplog.at_level(logging.WARNING):
            entry = Entry("who-said", {"query": "zqxj secret words"})
            assert Recorder(fast, source="cli").write(entry, latency_ms=1) is None
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert entry.row_id is None
    (warning,) = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert "could not record the who-said interaction" in warning and "zqxj" not in warning


def test_describe_names_the_error_in_one_short_line() -> None:
    assert describe(BadQueryError("too long\nsecond line")) == "BadQueryError: too long"
    assert len(describe(ValueError("x" * 900))) == 500


def test_entry_logs_a_failing_body_with_its_error_and_raises_it(engine: Engine) -> None:
    recorder = Recorder(engine, source="cli")
    with pytest.raises(BadQueryError), recorder.entry("positions", {"topic": "?!" + "x" * 5000}):
        raise BadQueryError("The query is empty")
    with recorder.entry("positions", {"topic": "sanctions"}) as entry:
        entry.verdict = "found"
    with session_scope(engine) as session:
        failed, answered = InteractionLog(session).get(1), InteractionLog(session).get(2)
    assert failed is not None and answered is not None
    assert failed.error == "BadQueryError: The query is empty" and failed.verdict is None
    assert len(failed.options["topic"]) == 2000  # whatever was typed, the log keeps a bounded copy
    assert answered.error is None and answered.verdict == "found" and answered.latency_ms is not None
