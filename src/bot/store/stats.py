"""Usage statistics for moderators (``/stats``), computed from the interaction log and feedback.

Everything is aggregated in SQL; only the latency percentiles are finished in Python, from a
histogram, because SQLite has no percentile function. Measured on SQLite with 100,000
interactions in the window ("all" over a full 90-day log): about 0.4 s; "24h" of that log: 15 ms.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.orm import Session

from bot.store.models import FEEDBACK_REASONS, EssayRow, FeedbackRow, InteractionRow, PassageRow

Window = Literal["24h", "7d", "30d", "all"]
WINDOWS: Mapping[Window, timedelta | None] = {
    "24h": timedelta(hours=24),
    "7d": timedelta(days=7),
    "30d": timedelta(days=30),
    "all": None,
}

#: Commands that count as a question, as logged by the Discord cogs (``/who-said``, the "Who said
#: this?" message command, ``/compare``, ``/positions``) and by the CLI (``who-said``). Browsing
#: commands (``/essays``, ``/about``, ``/help``, ``/stats``, ``/privacy``) are not questions.
QUESTION_COMMANDS: tuple[str, ...] = ("who_said", "who_said_message", "compare", "positions", "who-said")
#: The questions whose ``verdict`` is ``found`` or ``not_found``; the others leave it empty.
WHO_SAID_COMMANDS: tuple[str, ...] = ("who_said", "who_said_message", "who-said")
#: Key of ``Stats.down_by_reason`` for a 👎 whose reason was never chosen.
NO_REASON = "unspecified"
#: Title under which quotes of passages no longer in the corpus are counted.
UNKNOWN_TITLE = "unknown"
SHORT_TEXT_CHARS = 100


@dataclass(frozen=True)
class QuotedEssay:
    """An essay and how many found answers quoted it; ``essay_id`` None groups vanished passages."""

    essay_id: str | None
    title: str
    count: int


@dataclass(frozen=True)
class QuotedPassage:
    """A passage and how many found answers quoted it; ``text`` None when it left the corpus."""

    passage_id: str
    essay_id: str | None
    text: str | None
    count: int


@dataclass(frozen=True)
class Stats:
    """What ``/stats`` shows for one window; shares are fractions in [0, 1] (0 when nothing to share)."""

    window: Window
    since: datetime | None  # None for "all"
    until: datetime
    questions: int
    found: int
    not_found: int  # contradicted answers included: their verdict is "not found"
    errors: int  # interactions of any command that failed
    top_essays: tuple[QuotedEssay, ...]
    top_passages: tuple[QuotedPassage, ...]
    latency_p50_ms: int | None  # None when no question was answered
    latency_p95_ms: int | None
    thumbs_up: int
    thumbs_down: int
    down_by_reason: Mapping[str, int]  # every reason, then NO_REASON; zeros included
    contradicted: int = 0  # not found, and an essay says otherwise (logged as "contradicted")

    @property
    def found_share(self) -> float:
        """Found answers among the who-said answers with a verdict."""
        return self.found / (self.found + self.not_found) if self.found + self.not_found else 0.0

    @property
    def not_found_share(self) -> float:
        """Not-found answers among the who-said answers with a verdict."""
        return self.not_found / (self.found + self.not_found) if self.found + self.not_found else 0.0


def compute_stats(session: Session, window: Window, *, now: datetime, top: int = 5) -> Stats:
    """Statistics over the interactions created in ``window`` up to ``now`` (aware datetime).

    A window includes its start (``now - 24h`` is inside "24h") and ``now``. Feedback counts when
    the answer it is about falls in the window, so every figure describes the same answers. "Quoted"
    means the first passage of a found who-said answer: the one its reply shows.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware (UTC)")
    if top < 0:
        raise ValueError(f"top must not be negative, got {top}")
    if window not in WINDOWS:
        raise ValueError(f"unknown window {window!r}; expected one of {', '.join(WINDOWS)}")
    now = now.astimezone(UTC)
    span = WINDOWS[window]
    since = None if span is None else now - span
    in_window = _in_window(since, now)

    is_question = InteractionRow.command.in_(QUESTION_COMMANDS)
    is_who = InteractionRow.command.in_(WHO_SAID_COMMANDS)
    totals = session.execute(
        select(
            _count_if(is_question),
            _count_if(is_who & (InteractionRow.verdict == "found")),
            _count_if(is_who & InteractionRow.verdict.in_(("not_found", "contradicted"))),
            _count_if(InteractionRow.error.is_not(None)),
            _count_if(is_who & (InteractionRow.verdict == "contradicted")),
        ).where(*in_window)
    ).one()

    answered_ok = (is_question, InteractionRow.error.is_(None), InteractionRow.latency_ms.is_not(None))
    ms = InteractionRow.latency_ms
    # A histogram (one row per distinct latency), not one row per question: a fraction of the rows
    # to move into Python, and the percentiles are read off it just as exactly.
    rows = session.execute(select(ms, func.count()).where(*in_window, *answered_ok).group_by(ms).order_by(ms))
    # "is not None" already holds in SQL; the test only tells the type checker.
    histogram = [(value, int(n)) for value, n in rows if value is not None]
    up, down, by_reason = _feedback(session, in_window)
    essays, passages = _most_quoted(session, in_window, is_who, top)
    return Stats(
        window=window,
        since=since,
        until=now,
        questions=int(totals[0]),
        found=int(totals[1]),
        not_found=int(totals[2]),
        errors=int(totals[3]),
        top_essays=essays,
        top_passages=passages,
        latency_p50_ms=percentile(histogram, 50),
        latency_p95_ms=percentile(histogram, 95),
        thumbs_up=up,
        thumbs_down=down,
        down_by_reason=by_reason,
        contradicted=int(totals[4]),
    )


def percentile(histogram: Sequence[tuple[int, int]], p: float) -> int | None:
    """Nearest-rank percentile of ``(value, count)`` pairs in ascending value order; None if empty.

    The result is the smallest value with at least p% of all values at or below it. Nearest rank,
    not interpolation, so the figure is always a latency that really happened.
    """
    total = sum(n for _, n in histogram)
    if total == 0:
        return None
    rank = min(total, max(1, math.ceil(p / 100 * total)))
    seen = 0
    for value, n in histogram:
        seen += n
        if seen >= rank:
            return value
    raise AssertionError("unreachable: rank <= total")


def _in_window(since: datetime | None, now: datetime) -> list[ColumnElement[bool]]:
    conditions = [InteractionRow.created_at <= now]
    if since is not None:
        conditions.append(InteractionRow.created_at >= since)
    return conditions


def _count_if(condition: ColumnElement[bool]) -> ColumnElement[Any]:
    # SUM over CASE works on every backend (FILTER is missing from older SQLite builds); COALESCE
    # turns the NULL of an empty window into 0.
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _feedback(session: Session, in_window: list[ColumnElement[bool]]) -> tuple[int, int, dict[str, int]]:
    rows = session.execute(
        select(FeedbackRow.vote, FeedbackRow.reason, func.count())
        .join(InteractionRow, InteractionRow.id == FeedbackRow.interaction_id)
        .where(*in_window)
        .group_by(FeedbackRow.vote, FeedbackRow.reason)
    ).all()
    up = down = 0
    by_reason = dict.fromkeys((*FEEDBACK_REASONS, NO_REASON), 0)
    for vote, reason, count in rows:
        if vote > 0:
            up += count
            continue
        down += count
        key = reason if reason in by_reason else NO_REASON
        by_reason[key] += count
    return up, down, by_reason


def _most_quoted(
    session: Session, in_window: list[ColumnElement[bool]], is_who: ColumnElement[bool], top: int
) -> tuple[tuple[QuotedEssay, ...], tuple[QuotedPassage, ...]]:
    # First element of the JSON list: json_extract on SQLite, ->> on PostgreSQL.
    first = InteractionRow.passage_ids[0].as_string().label("passage_id")
    per_passage = (
        select(first, func.count().label("n"))
        .where(*in_window, is_who, InteractionRow.verdict == "found", InteractionRow.error.is_(None))
        .group_by(first)
        .subquery()
    )
    # One row per distinct quoted passage (at most the corpus size), so the rest is done here.
    quoted = per_passage.c
    rows = session.execute(
        select(quoted.passage_id, quoted.n, PassageRow.essay_id, PassageRow.text, EssayRow.title)
        .select_from(per_passage)
        .outerjoin(PassageRow, PassageRow.id == quoted.passage_id)
        .outerjoin(EssayRow, EssayRow.id == PassageRow.essay_id)
        .where(quoted.passage_id.is_not(None))
    ).all()
    passages: list[QuotedPassage] = []
    essays: dict[str | None, list[Any]] = {}
    for passage_id, n, essay_id, text, title in rows:
        passages.append(QuotedPassage(passage_id, essay_id, _short(text), int(n)))
        entry = essays.setdefault(essay_id, [title or UNKNOWN_TITLE, 0])
        entry[1] += int(n)
    passages.sort(key=lambda q: (-q.count, q.passage_id))
    ranked = sorted(
        (QuotedEssay(essay_id, title, count) for essay_id, (title, count) in essays.items()),
        # Vanished passages sort after real essays with the same count.
        key=lambda e: (-e.count, e.essay_id is None, e.essay_id or ""),
    )
    return tuple(ranked[:top]), tuple(passages[:top])


def _short(text: str | None) -> str | None:
    if text is None or len(text) <= SHORT_TEXT_CHARS:
        return text
    cut = text[: SHORT_TEXT_CHARS - 1]
    # Cut at a word boundary when there is one in the second half, so no word is chopped.
    space = cut.rfind(" ")
    if space > SHORT_TEXT_CHARS // 2:
        cut = cut[:space]
    return cut.rstrip() + "…"
