"""Quote of the day and quiz logic over the seeded corpus: rotation, due times, choices, leaderboard."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.config import DiscordSection, load_settings
from bot.core.essaybot import Essaybot
from bot.corpus.models import QuoteSpan
from bot.corpus.speakers import speaker_for_span
from bot.curation import community
from bot.curation.community import claim_daily, is_due, shown_quotes
from bot.curation.passages import PassageOverrides
from bot.curation.quiz import (
    QuizQuestion,
    author_pool,
    build_choices,
    guess,
    leaderboard,
    reveal,
    start_round,
)
from bot.curation.quotes import CuratedQuotes
from bot.curation.settings import GuildSettings
from bot.store.db import session_scope
from bot.store.models import CuratedQuoteRow, PassageRow, QuoteSpanRow

pytestmark = pytest.mark.model

GUILD, OTHER_GUILD = "111", "222"
MASON, SMITH, ANON = (
    "mason-2022-marxist-position",
    "smith-2022-stop-putins-war",
    "anon-2022-solidarity-with-ukraine",
)
DEFAULTS = DiscordSection()
HOUR = timedelta(hours=1)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


@pytest.fixture
def app(clone_seeded: Callable[[str], Path]) -> Essaybot:
    return Essaybot(load_settings(None, data_dir=clone_seeded("community")))


def own_passages(app: Essaybot, essay_id: str, n: int) -> list[str]:
    """The first ``n`` sentences of an essay that are its authors' own words (no quotation in them)."""
    with session_scope(app.engine) as session:
        spans = [
            QuoteSpan(s.start, s.end, s.speaker, s.role)  # type: ignore[arg-type]
            for s in session.scalars(select(QuoteSpanRow).where(QuoteSpanRow.essay_id == essay_id))
        ]
        rows = session.scalars(
            select(PassageRow)
            .where(PassageRow.essay_id == essay_id, PassageRow.kind == "sentence")
            .order_by(PassageRow.seq)
        )
        own = [p.id for p in rows if len(p.text) > 40 and speaker_for_span(spans, p.start, p.end) is None]
    assert len(own) >= n
    return own[:n]


def save(app: Essaybot, guild: str, passage_ids: list[str]) -> list[int]:
    with session_scope(app.engine) as session:
        quotes = CuratedQuotes(session, guild)
        return [quotes.save(p, actor="42").id for p in passage_ids]


def configure(app: Essaybot, guild: str, **values: Any) -> None:
    with session_scope(app.engine) as session:
        GuildSettings(session, guild).set(actor="42", **values)


def open_round(session: Session, guild: str, now: datetime, rng: random.Random) -> QuizQuestion | None:
    return start_round(session, guild, "9", now=now, duration=timedelta(minutes=10), rng=rng)


def claim(app: Essaybot, guild: str, now: datetime) -> int | None:
    with session_scope(app.engine) as session:
        daily = claim_daily(session, guild, DEFAULTS, now)
        return None if daily is None else daily.shown.quote_id


# -- due times --------------------------------------------------------------------------------


def test_due_once_per_local_day_at_or_after_the_time() -> None:
    def due(now: datetime, last: datetime | None) -> bool:
        return is_due(now, hhmm="09:00", timezone="UTC", last_posted=last)

    assert not due(utc(2024, 5, 1, 8, 59), None)
    assert due(utc(2024, 5, 1, 9, 0), None)
    assert due(utc(2024, 5, 1, 22, 0), utc(2024, 4, 30, 9, 0))  # down at 09:00: posts when back
    assert not due(utc(2024, 5, 1, 23, 59), utc(2024, 5, 1, 9, 0))
    assert not due(utc(2024, 5, 2, 8, 59), utc(2024, 5, 1, 9, 0))
    assert due(utc(2024, 5, 2, 9, 0), utc(2024, 5, 1, 9, 0))


def test_due_follows_the_guild_time_zone() -> None:
    # 18:00 in Los Angeles (UTC-7 in May) is 01:00 UTC the next day.
    def due(now: datetime, last: datetime | None) -> bool:
        return is_due(now, hhmm="18:00", timezone="America/Los_Angeles", last_posted=last)

    assert not due(utc(2024, 5, 2, 0, 59), None)
    assert due(utc(2024, 5, 2, 1, 0), utc(2024, 5, 1, 1, 0))  # yesterday's post, local time
    assert not due(utc(2024, 5, 2, 6, 59), utc(2024, 5, 2, 1, 0))  # still 1 May in Los Angeles
    # Tokyo (UTC+9): 09:00 is midnight UTC, so the local day starts at 15:00 UTC the day before.
    assert is_due(
        utc(2024, 5, 2, 0, 0), hhmm="09:00", timezone="Asia/Tokyo", last_posted=utc(2024, 5, 1, 0, 0)
    )
    assert not is_due(
        utc(2024, 5, 2, 0, 0), hhmm="09:00", timezone="Asia/Tokyo", last_posted=utc(2024, 5, 1, 15, 0)
    )


def test_due_across_daylight_saving_changes() -> None:
    # New York at 09:00: 14:00 UTC before the change of 10 March 2024, 13:00 UTC after it.
    def ny(now: datetime) -> bool:
        return is_due(now, hhmm="09:00", timezone="America/New_York", last_posted=None)

    assert not ny(utc(2024, 3, 9, 13, 30))
    assert ny(utc(2024, 3, 9, 14, 0))
    assert ny(utc(2024, 3, 10, 13, 0))
    assert not ny(utc(2024, 3, 10, 12, 59))

    # Paris at 02:30 does not exist on 31 March 2024 (02:00 → 03:00): posted at 03:30 CEST (01:30 UTC).
    def paris(now: datetime, last: datetime | None = None) -> bool:
        return is_due(now, hhmm="02:30", timezone="Europe/Paris", last_posted=last)

    assert not paris(utc(2024, 3, 31, 1, 29))
    assert paris(utc(2024, 3, 31, 1, 30))
    # 02:30 happens twice on 27 October 2024: the first one (00:30 UTC) posts, the second does not again.
    assert not paris(utc(2024, 10, 27, 0, 29))
    assert paris(utc(2024, 10, 27, 0, 30))
    assert not paris(utc(2024, 10, 27, 1, 30), utc(2024, 10, 27, 0, 30))
    assert paris(utc(2024, 10, 28, 1, 30), utc(2024, 10, 27, 0, 30))  # back on CET: 02:30 is 01:30 UTC


# -- quote of the day ------------------------------------------------------------------------


def test_daily_quote_never_repeats_until_all_were_posted(app: Essaybot) -> None:
    ids = save(app, GUILD, own_passages(app, MASON, 3))
    save(app, OTHER_GUILD, own_passages(app, SMITH, 1))
    assert claim(app, GUILD, utc(2024, 5, 1, 12)) is None  # no channel configured
    configure(app, GUILD, qotd_channel_id=5, qotd_time="09:00", qotd_timezone="Europe/Paris")
    day = utc(2024, 5, 1, 7, 5)  # 09:05 in Paris
    posted = []
    for n in range(7):
        now = day + timedelta(days=n)
        assert claim(app, GUILD, now - timedelta(minutes=10)) is None  # 08:55: not yet
        picked = claim(app, GUILD, now)
        assert picked is not None
        assert claim(app, GUILD, now + HOUR) is None  # once a day
        posted.append(picked)
    assert sorted(posted[:3]) == sorted(ids)
    assert posted[3:6] == posted[:3] and posted[6] == posted[0]
    # Another guild's quotes and stamps are its own.
    with session_scope(app.engine) as session:
        others = session.scalars(select(CuratedQuoteRow).where(CuratedQuoteRow.guild_id == OTHER_GUILD)).all()
        assert all(r.last_posted_at is None for r in others)


def test_daily_quote_skips_removed_and_hidden_quotes_and_new_ones_go_first(app: Essaybot) -> None:
    passages = own_passages(app, MASON, 4)
    first, second, third = save(app, GUILD, passages[:3])
    configure(app, GUILD, qotd_channel_id=5)  # default time 09:00 UTC
    with session_scope(app.engine) as session:
        CuratedQuotes(session, GUILD).remove(second, actor="42")
        PassageOverrides(session, GUILD).hide(passages[2], actor="42")
    day = utc(2024, 5, 1, 9)
    assert claim(app, GUILD, day) == first
    assert claim(app, GUILD, day + timedelta(days=1)) == first  # the only one left to show
    (fourth,) = save(app, GUILD, passages[3:])
    assert claim(app, GUILD, day + timedelta(days=2)) == fourth  # never posted: before the rest
    assert third not in {claim(app, GUILD, day + timedelta(days=d)) for d in (3, 4)}


def test_the_claim_is_conditional_on_no_post_today(app: Essaybot, monkeypatch: pytest.MonkeyPatch) -> None:
    save(app, GUILD, own_passages(app, MASON, 2))
    configure(app, GUILD, qotd_channel_id=5)
    now = utc(2024, 5, 1, 9, 30)
    assert claim(app, GUILD, now) is not None
    # A second process that decided "due" on a stale read must lose the conditional update.
    monkeypatch.setattr(community, "is_due", lambda *a, **k: True)
    assert claim(app, GUILD, now + HOUR) is None
    with session_scope(app.engine) as session:
        stamps = [r.last_posted_at for r in session.scalars(select(CuratedQuoteRow))]
    assert stamps.count(now) == 1 and stamps.count(None) == 1


# -- quiz ------------------------------------------------------------------------------------------


def test_choices_hold_the_answer_and_up_to_three_others_deterministically() -> None:
    pool = ["Paul Mason", "Ashley Smith", "International Communist League", "Rosa Luxemburg", "paul mason"]
    choices = build_choices("Paul Mason", pool, random.Random(7))
    assert len(choices) == 4 and len(set(choices)) == 4 and "Paul Mason" in choices
    assert "paul mason" not in choices  # the answer in another case is not a distractor
    assert choices == build_choices("Paul Mason", pool, random.Random(7))
    spread = {tuple(build_choices("Paul Mason", pool, random.Random(seed))) for seed in range(30)}
    assert len(spread) > 5  # shuffled: the answer is not always first
    assert {c.index("Paul Mason") for c in spread} == {0, 1, 2, 3}
    assert sorted(build_choices("A", ["B", "C"], random.Random(1))) == ["A", "B", "C"]
    assert build_choices("A", [], random.Random(1)) == ["A"]


def test_round_asks_for_the_real_speaker_among_corpus_authors(app: Essaybot) -> None:
    rng, now = random.Random(3), utc(2024, 5, 1, 12)
    with session_scope(app.engine) as session:
        assert open_round(session, GUILD, now, rng) is None  # no curated quotes
        pool = author_pool(session)
    assert "Paul Mason" in pool and not any("Unsigned" in a for a in pool)
    anon = save(app, GUILD, own_passages(app, ANON, 1))
    with session_scope(app.engine) as session:
        assert open_round(session, GUILD, now, rng) is None  # unsigned: no fair answer
    (mason,) = save(app, GUILD, own_passages(app, MASON, 1))
    with session_scope(app.engine) as session:
        question = open_round(session, GUILD, now, rng)
    assert question is not None and question.shown.quote_id == mason
    assert question.answer == "Paul Mason" and len(question.choices) == 4
    assert set(question.choices) <= set(pool)
    # A moderator's attribution fix changes the answer.
    with session_scope(app.engine) as session:
        PassageOverrides(session, GUILD).attribute(
            question.shown.quote.passage_id, "Henry Kissinger", "quoted", actor="42"
        )
        shown = {s.quote_id: s for s in shown_quotes(session, GUILD)}
    assert shown[mason].speaker == "Henry Kissinger"
    assert shown[mason].quote.attribution.startswith("Henry Kissinger, quoted by Paul Mason")
    assert shown[anon[0]].speaker is None and shown[anon[0]].quote.attribution.startswith("Unsigned")


def test_guesses_count_once_per_member_and_the_leaderboard_counts_finished_rounds(app: Essaybot) -> None:
    save(app, GUILD, own_passages(app, MASON, 2))
    save(app, OTHER_GUILD, own_passages(app, SMITH, 1))
    start = utc(2024, 5, 1, 12)
    rounds = []
    with session_scope(app.engine) as session:
        for guild in (GUILD, GUILD, OTHER_GUILD):
            q = start_round(
                session, guild, "9", now=start, duration=timedelta(minutes=10), rng=random.Random(1)
            )
            assert q is not None
            rounds.append(q)
    first, second, elsewhere = rounds
    assert first.shown.quote_id != second.shown.quote_id  # the least quizzed quote comes next
    right, wrong = first.choices.index(first.answer), first.choices.index(first.answer) - 1
    with session_scope(app.engine) as session:
        assert guess(session, first.round_id, "1", right, now=start).accepted
        again = guess(session, first.round_id, "1", wrong, now=start)
        assert not again.accepted and again.choice == first.answer and again.answered == 1
        assert guess(session, first.round_id, "2", wrong, now=start).answered == 2
        assert guess(session, elsewhere.round_id, "2", elsewhere.choices.index(elsewhere.answer), now=start)
        # Nothing counts while the rounds run: the board would give the answer away.
        assert leaderboard(session, GUILD, now=start + timedelta(minutes=5)) == []
        result = reveal(session, first.round_id, now=start + timedelta(minutes=10))
        assert result.first and result.winners == ["1"] and len(result.guesses) == 2
        assert not reveal(session, first.round_id, now=start + timedelta(minutes=11)).first
        assert guess(session, first.round_id, "3", right, now=start).over
        s_right = second.choices.index(second.answer)
        guess(session, second.round_id, "2", s_right, now=start)
        guess(session, second.round_id, "3", s_right, now=start)
        board = leaderboard(session, GUILD, now=start + timedelta(minutes=5))
        assert [(s.user_id, s.correct, s.answered) for s in board] == [("1", 1, 1), ("2", 0, 1)]
        # A round the bot never revealed (a restart) counts once its time is up.
        board = leaderboard(session, GUILD, now=start + timedelta(minutes=11))
        assert [(s.user_id, s.correct, s.answered) for s in board] == [("1", 1, 1), ("3", 1, 1), ("2", 1, 2)]
