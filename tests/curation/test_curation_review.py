"""The review queue: 👎 reports per guild and passage, grouped by reason; dismissals and their undo."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine

from bot.curation.audit import CurationError, undo, undoable_actions
from bot.curation.passages import PassageOverrides
from bot.curation.review import DISMISS, ReviewQueue, by_reason
from bot.store.db import session_scope
from bot.store.feedback import FeedbackRepository
from bot.store.interactions import InteractionLog

GUILD, OTHER_GUILD = "111", "222"
T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def report(
    engine: Engine,
    user: str,
    passage: str | None,
    reason: str | None,
    *,
    guild: str | None = GUILD,
    vote: int = -1,
    at: datetime = T0,
    query: str = "who said walls are promises?",
) -> None:
    """One answer logged in ``guild`` and one member's vote on it."""
    with session_scope(engine) as session:
        row_id = InteractionLog(session).record(
            source="discord",
            command="who_said",
            options={"query": query},
            verdict="found",
            passage_ids=[passage] if passage else [],
            latency_ms=5,
            guild_id=guild,
            user_ref=user,
            now=at,
        )
        FeedbackRepository(session).vote(row_id, user, vote, reason=reason, passage_id=passage, now=at)  # type: ignore[arg-type]


def test_queue_counts_only_this_guilds_open_thumbs_down_grouped_by_reason(engine: Engine) -> None:
    report(engine, "a", "p1", "wrong_author")
    report(engine, "b", "p1", "wrong_author", at=T0 + timedelta(minutes=1), query="walls promise")
    report(engine, "c", "p1", "misquote")
    report(engine, "d", "p2", "not_relevant", at=T0 + timedelta(minutes=5))
    report(engine, "e", "p1", None, vote=1)  # a 👍 is no report
    report(engine, "f", "p1", "misquote", guild=OTHER_GUILD)  # another server's report
    report(engine, "g", None, "not_relevant")  # a "not found" answer: no passage to review
    with session_scope(engine) as session:
        items = ReviewQueue(session, GUILD).items()
        assert [(i.passage_id, i.reports) for i in items] == [("p1", 3), ("p2", 1)]
        first = items[0]
        assert first.reasons == (("wrong_author", 2), ("misquote", 1))
        assert first.main_reason == "wrong_author"
        assert first.title == "On *Walls*" and first.authors == ("Ada Mason",)
        assert first.text == "A wall is a promise made in stone."
        assert first.questions == ("walls promise", "who said walls are promises?")
        assert first.last_report_at == T0 + timedelta(minutes=1)
        assert by_reason(items) == [("wrong_author", 2), ("misquote", 1), ("not_relevant", 1)]
        assert ReviewQueue(session, OTHER_GUILD).open_reports("p1") == 1
        assert ReviewQueue(session, GUILD).items("p2")[0].reports == 1


def test_a_member_changing_their_reason_counts_once(engine: Engine) -> None:
    report(engine, "a", "p1", "wrong_author")
    with session_scope(engine) as session:
        FeedbackRepository(session).vote(1, "a", -1, reason="misquote", passage_id="p1", now=T0)
        items = ReviewQueue(session, GUILD).items()
    assert items[0].reports == 1 and items[0].reasons == (("misquote", 1),)


def test_hidden_passages_leave_the_queue_and_attribution_fixes_show(engine: Engine) -> None:
    report(engine, "a", "p1", "wrong_author")
    report(engine, "b", "p2", "misquote")
    with session_scope(engine) as session:
        PassageOverrides(session, GUILD).hide("p2", actor="9")
        PassageOverrides(session, GUILD).attribute("p1", "The mason", "quoted", actor="9")
        items = ReviewQueue(session, GUILD).items()
    assert [i.passage_id for i in items] == ["p1"]
    assert items[0].override == ("The mason", "quoted")


def test_dismiss_closes_reports_until_new_ones_and_undo_reopens(engine: Engine) -> None:
    report(engine, "a", "p1", "wrong_author")
    report(engine, "b", "p1", "misquote")
    with session_scope(engine) as session:
        entry = ReviewQueue(session, GUILD).dismiss("p1", actor="9", now=T0 + timedelta(hours=1))
        assert entry.action == DISMISS and entry.target == "p1"
        assert entry.before == {"reports": 2, "reasons": {"wrong_author": 1, "misquote": 1}}
        entry_id = entry.id
    with session_scope(engine) as session:
        queue = ReviewQueue(session, GUILD)
        assert queue.items() == [] and queue.open_reports("p1") == 0
        with pytest.raises(CurationError, match="no open"):
            queue.dismiss("p1", actor="9")
    # A new 👎 after the dismissal brings it back, with only the new report.
    report(engine, "c", "p1", "out_of_context", at=T0 + timedelta(hours=2))
    with session_scope(engine) as session:
        items = ReviewQueue(session, GUILD).items()
        assert [(i.passage_id, i.reports, i.reasons) for i in items] == [("p1", 1, (("out_of_context", 1),))]
        # Dismissals are per guild.
        assert ReviewQueue(session, OTHER_GUILD).dismissed_at() == {}
    with session_scope(engine) as session:
        undo(session, entry_id, actor="9", guild_id=GUILD)
    with session_scope(engine) as session:
        assert ReviewQueue(session, GUILD).open_reports("p1") == 3
        with pytest.raises(CurationError, match="no audit entry"):
            undo(session, entry_id, actor="9", guild_id=OTHER_GUILD)


def test_dismiss_is_an_undoable_action() -> None:
    assert DISMISS in undoable_actions()
