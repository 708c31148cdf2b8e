"""compute_stats over real rows: windows, shares, percentiles, most quoted, feedback by reason."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine

from bot.corpus.models import Essay, Passage
from bot.store.db import session_scope
from bot.store.feedback import FeedbackRepository
from bot.store.repo import CorpusRepository, InteractionLog
from bot.store.stats import (
    NO_REASON,
    QUESTION_COMMANDS,
    UNKNOWN_TITLE,
    QuotedEssay,
    Stats,
    Window,
    compute_stats,
    percentile,
)

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)


def log(
    engine: Engine,
    command: str = "who_said",
    *,
    age: timedelta = timedelta(hours=1),
    verdict: str | None = "found",
    passages: list[str] | None = None,
    latency: int | None = 100,
    error: str | None = None,
) -> int:
    with session_scope(engine) as session:
        return InteractionLog(session).record(
            source="discord",
            command=command,
            options={},
            verdict=verdict,
            passage_ids=passages or [],
            latency_ms=latency,
            error=error,
            user_ref="u",
            now=NOW - age,
        )


def stats(engine: Engine, window: Window = "all", top: int = 5) -> Stats:
    with session_scope(engine) as session:
        return compute_stats(session, window, now=NOW, top=top)


def test_empty_log(engine: Engine) -> None:
    s = stats(engine, "24h")
    assert (s.questions, s.found, s.not_found, s.errors) == (0, 0, 0, 0)
    assert (s.found_share, s.not_found_share) == (0.0, 0.0)
    assert (s.latency_p50_ms, s.latency_p95_ms) == (None, None)
    assert (s.top_essays, s.top_passages) == ((), ())
    assert (s.thumbs_up, s.thumbs_down) == (0, 0)
    assert s.down_by_reason == {
        "wrong_author": 0,
        "out_of_context": 0,
        "misquote": 0,
        "not_relevant": 0,
        "essay_says_it": 0,
        "doesnt_say_it": 0,
        NO_REASON: 0,
    }
    assert (s.since, s.until) == (NOW - timedelta(hours=24), NOW)


def test_windows_include_their_start_and_exclude_older_or_future_rows(engine: Engine) -> None:
    second = timedelta(seconds=1)
    day, week, month = timedelta(hours=24), timedelta(days=7), timedelta(days=30)
    for age in (timedelta(0), day - second, day, day + second, week, week + second, month, month + second):
        log(engine, age=age)
    log(engine, age=-second)  # clock skew: a row from the future is not counted yet
    expected = {"24h": 3, "7d": 5, "30d": 7, "all": 8}
    for window, n in expected.items():
        assert stats(engine, window).questions == n, window  # type: ignore[arg-type]
    assert stats(engine, "all").since is None


def test_question_commands_shares_and_errors(engine: Engine) -> None:
    assert set(QUESTION_COMMANDS) >= {"who_said", "who_said_message", "compare", "positions"}
    for _ in range(3):
        log(engine, "who_said", verdict="found")
    log(engine, "who_said_message", verdict="not_found")
    log(engine, "compare", verdict=None)
    log(engine, "positions", verdict=None)
    log(engine, "who_said", verdict=None, latency=3, error="BadQueryError: empty query")
    log(engine, "essays", verdict=None)  # browsing, not a question
    log(engine, "stats", verdict=None, error="not a moderator")  # an error, but not a question

    s = stats(engine)
    assert s.questions == 7
    assert (s.found, s.not_found) == (3, 1)
    assert (s.found_share, s.not_found_share) == (0.75, 0.25)
    assert s.errors == 2


def test_contradicted_answers_are_counted_apart_and_as_not_found(engine: Engine) -> None:
    log(engine, "who_said", verdict="found")
    log(engine, "who_said", verdict="not_found")
    log(engine, "who_said", verdict="contradicted")
    log(engine, "who_said_message", verdict="contradicted")
    log(engine, "who-said", verdict="contradicted", age=timedelta(days=2))  # the CLI, outside 24h
    day = stats(engine, "24h")
    assert (day.questions, day.found, day.not_found, day.contradicted) == (4, 1, 3, 2)
    assert day.not_found_share == 0.75
    assert stats(engine, "all").contradicted == 3


def test_percentiles_over_answered_questions(engine: Engine) -> None:
    for ms in range(100, 0, -1):  # inserted out of order on purpose
        log(engine, "who_said" if ms % 2 else "compare", latency=ms)
    log(engine, "positions", latency=50)  # a repeated value: 101 answers, p50 is the 51st
    log(engine, latency=50_000, error="TimeoutError")  # failed: not an answered question
    log(engine, "essays", latency=40_000)  # not a question
    log(engine, latency=None)  # latency unknown
    s = stats(engine)
    assert (s.latency_p50_ms, s.latency_p95_ms) == (50, 95)


def each_once(*values: int) -> list[tuple[int, int]]:
    return [(v, 1) for v in values]


def test_percentile_nearest_rank() -> None:
    assert percentile([], 50) is None
    assert percentile([(5, 0)], 50) is None
    assert percentile(each_once(7), 50) == percentile(each_once(7), 95) == 7
    assert percentile(each_once(10, 20), 50) == 10
    assert percentile(each_once(10, 20), 95) == 20
    assert percentile(each_once(*range(1, 21)), 95) == 19
    assert percentile(each_once(1, 2, 3), 0) == 1
    assert percentile(each_once(1, 2, 3), 100) == 3
    # Counts: 90 fast answers and 10 slow ones; the slow tail shows at p95, not at p50.
    assert percentile([(100, 90), (2000, 10)], 50) == 100
    assert percentile([(100, 90), (2000, 10)], 90) == 100
    assert percentile([(100, 90), (2000, 10)], 95) == 2000


def save_corpus(engine: Engine, essay: Essay, passages: list[Passage], build: Any) -> list[Passage]:
    """The fixture essay plus a second one with a long sentence; all their passages."""
    long_sentence = "Bricks " + "and more bricks " * 12 + "make a wall."
    other = build.essay("on-bricks", body=f"On Bricks\n\n{long_sentence}\n", title="On Bricks")
    other_passages = build.passages(other, ["On Bricks", long_sentence])
    with session_scope(engine) as session:
        repo = CorpusRepository(session)
        repo.save_essay(essay, passages, [])
        repo.save_essay(other, other_passages, [])
    return [*passages, *other_passages]


def test_most_quoted(engine: Engine, essay: Essay, passages: list[Passage], build: Any) -> None:
    p = save_corpus(engine, essay, passages, build)
    walls1, walls2, bricks = p[1].id, p[2].id, p[6].id
    # Only the first passage of a found who-said answer is the quote it showed.
    for first, n in ((walls1, 2), (walls2, 1), (bricks, 4), ("gone00000000", 3)):
        for _ in range(n):
            log(engine, passages=[first, walls2, walls2])
    log(engine, verdict="not_found", passages=[walls1])  # closest passages, not a quote
    log(engine, "compare", verdict=None, passages=[walls1, walls1])
    log(engine, error="boom", passages=[walls1])
    log(engine, age=timedelta(days=2), passages=[walls1])  # outside 24h
    log(engine, passages=[])  # found but nothing recorded: ignored

    s = stats(engine, "24h")
    assert s.top_essays == (
        QuotedEssay("on-bricks", "On Bricks", 4),
        QuotedEssay("on-walls", "On Walls", 3),
        QuotedEssay(None, UNKNOWN_TITLE, 3),  # after a real essay with the same count
    )
    assert [(q.passage_id, q.essay_id, q.count) for q in s.top_passages] == [
        (bricks, "on-bricks", 4),
        ("gone00000000", None, 3),
        (walls1, "on-walls", 2),
        (walls2, "on-walls", 1),
    ]
    bricks_text = s.top_passages[0].text
    assert bricks_text is not None and bricks_text.endswith("…") and len(bricks_text) <= 100
    assert p[6].text.startswith(bricks_text[:-1])
    assert s.top_passages[1].text is None
    assert s.top_passages[2].text == p[1].text  # short text is shown whole

    top2 = stats(engine, "24h", top=2)
    assert [e.essay_id for e in top2.top_essays] == ["on-bricks", "on-walls"]
    assert [q.passage_id for q in top2.top_passages] == [bricks, "gone00000000"]
    all_time = {q.passage_id: q.count for q in stats(engine, "all").top_passages}
    assert all_time[walls1] == 3  # the 2-day-old answer counts in "all"


def test_feedback_by_reason_follows_the_answers_window(engine: Engine) -> None:
    recent = log(engine)
    old = log(engine, age=timedelta(days=3))
    with session_scope(engine) as session:
        repo = FeedbackRepository(session)
        repo.vote(recent, "a", -1, "misquote", now=NOW)
        repo.vote(recent, "b", -1, "misquote", now=NOW)
        repo.vote(recent, "c", -1, None, now=NOW)  # the reason select was never used
        repo.vote(recent, "d", 1, now=NOW)
        repo.vote(recent, "e", -1, "wrong_author", now=NOW)
        repo.vote(recent, "e", 1, now=NOW)  # changed their mind: counted once, as 👍
        repo.vote(old, "a", -1, "not_relevant", now=NOW)

    day = stats(engine, "24h")
    assert (day.thumbs_up, day.thumbs_down) == (2, 3)
    assert day.down_by_reason == {
        "wrong_author": 0,
        "out_of_context": 0,
        "misquote": 2,
        "not_relevant": 0,
        "essay_says_it": 0,
        "doesnt_say_it": 0,
        NO_REASON: 1,
    }
    week = stats(engine, "7d")
    assert (week.thumbs_up, week.thumbs_down) == (2, 4)
    assert week.down_by_reason["not_relevant"] == 1


def test_bad_arguments(engine: Engine) -> None:
    with session_scope(engine) as session:
        with pytest.raises(ValueError, match="aware"):
            compute_stats(session, "24h", now=datetime(2025, 1, 1))
        with pytest.raises(ValueError, match="unknown window"):
            compute_stats(session, "1y", now=NOW)  # type: ignore[arg-type]
        with pytest.raises(ValueError, match="negative"):
            compute_stats(session, "all", now=NOW, top=-1)
