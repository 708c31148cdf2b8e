"""Community features on a guild's curated quotes: the quote of the day and /quiz rounds.

The decisions are plain functions with the time and the random generator injected (when a daily
post is due, which authors a round offers); the rest reads and writes one guild's rows in a session
the caller owns. None of this is curation, so nothing here is audited. Quiz guesses keep the raw
user id: the leaderboard names players, and /privacy says so.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import CursorResult, case, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from bot.answer.links import text_fragment_url
from bot.answer.types import Quote
from bot.config import DiscordSection
from bot.corpus.models import EssayMeta, QuoteSpan, SpeakerRole
from bot.corpus.quotes import speaker_for_span
from bot.curation.audit import CurationError
from bot.curation.settings import GuildSettings, effective
from bot.store.models import (
    ESSAY_ACTIVE,
    CuratedQuoteRow,
    EssayRow,
    PassageOverrideRow,
    QuizGuessRow,
    QuizRoundRow,
    QuoteSpanRow,
)

CHOICES = 4  # the right author and up to three others
LEADERBOARD_SIZE = 10


# -- curated quotes as members see them ---------------------------------------------------------


@dataclass(frozen=True)
class Shown:
    """A live curated quote ready to show: the words with their real attribution."""

    quote_id: int
    quote: Quote  # ``quote.attribution`` is the line shown; ``quote.quote`` the saved words
    speaker: str | None  # the name a quiz asks for; None when the words have no named speaker


def _meta(row: EssayRow) -> EssayMeta:
    return EssayMeta(
        id=row.id,
        title=row.title,
        authors=tuple(row.authors),
        aliases=tuple(row.aliases),
        subtitle=row.subtitle,
        publication=row.publication,
        date=row.date,
        url=row.url,
        notes=row.notes,
    )


def _quiz_name(meta: EssayMeta, speaker: str | None, role: SpeakerRole | None) -> str | None:
    """Who said the words, as a quiz answer; None when no fair question can be asked."""
    if role is None:
        return meta.author_line if meta.authors else None
    if role in ("quoted", "editors' introduction"):
        return speaker
    # A reported view: the author wrote the words to reject them, so "who said it" has no fair answer.
    return None


def shown_quotes(session: Session, guild_id: str) -> list[Shown]:
    """The guild's live curated quotes that can be shown: essay active, passage not hidden.

    The attribution applies the guild's speaker overrides, else the speakers found at ingest, as
    answers do.
    """
    rows = session.execute(
        select(CuratedQuoteRow, EssayRow)
        .join(EssayRow, EssayRow.id == CuratedQuoteRow.essay_id)
        .where(
            CuratedQuoteRow.guild_id == guild_id,
            CuratedQuoteRow.removed_at.is_(None),
            EssayRow.status == ESSAY_ACTIVE,
        )
        .order_by(CuratedQuoteRow.saved_at, CuratedQuoteRow.id)
    ).all()
    if not rows:
        return []
    overrides = {
        o.passage_id: o
        for o in session.scalars(select(PassageOverrideRow).where(PassageOverrideRow.guild_id == guild_id))
    }
    essay_ids = {essay.id for _, essay in rows}
    spans: dict[str, list[QuoteSpan]] = {}
    for s in session.scalars(select(QuoteSpanRow).where(QuoteSpanRow.essay_id.in_(essay_ids))):
        spans.setdefault(s.essay_id, []).append(
            QuoteSpan(s.start, s.end, s.speaker, cast(SpeakerRole, s.role))
        )
    out: list[Shown] = []
    for row, essay in rows:
        override = overrides.get(row.passage_id)
        if override is not None and override.hidden:
            continue
        speaker: str | None
        role: SpeakerRole | None
        if override is not None and override.role is not None:
            own = override.role == "own"
            speaker, role = (None, None) if own else (override.speaker, cast(SpeakerRole, override.role))
        else:
            span = speaker_for_span(spans.get(essay.id, []), row.start, row.end)
            speaker, role = (span.speaker, span.role) if span else (None, None)
        meta = _meta(essay)
        quote = Quote(
            passage_id=row.passage_id,
            essay=meta,
            quote=row.text,
            start=row.start,
            end=row.end,
            paragraph=0,
            section=None,
            match="exact",
            score=1.0,
            highlight_start=row.start,
            highlight_end=row.end,
            speaker=speaker,
            speaker_role=role,
            link=text_fragment_url(meta.url, row.text) if meta.url else None,
            attribution_fixed=override is not None and override.role is not None,
        )
        out.append(Shown(row.id, quote, _quiz_name(meta, speaker, role)))
    return out


# -- quote of the day -----------------------------------------------------------------------------


def zone_of(name: str) -> ZoneInfo:
    """The time zone named in the settings (validated there); UTC if it has since vanished."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _local(day: date, at: time, zone: ZoneInfo) -> datetime:
    # fold=0: a wall time skipped by a DST jump maps to the instant just after the jump (02:30 on
    # a spring-forward night is posted at 03:30), and a repeated wall time to its first occurrence.
    return datetime.combine(day, at, tzinfo=zone)


def day_bounds(now: datetime, hhmm: str, timezone: str) -> tuple[datetime, datetime]:
    """The start of ``now``'s local day and that day's posting time, both as aware datetimes."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    zone = zone_of(timezone)
    today = now.astimezone(zone).date()
    hour, minute = (int(x) for x in hhmm.split(":"))
    return _local(today, time(0, 0), zone), _local(today, time(hour, minute), zone)


def is_due(now: datetime, *, hhmm: str, timezone: str, last_posted: datetime | None) -> bool:
    """Whether a guild's quote of the day should go out at ``now``.

    One post per local day, at or after the posting time: a bot that was down at that time posts
    when it comes back the same day, never a backlog for the days it missed.
    """
    day_start, slot = day_bounds(now, hhmm, timezone)
    return now >= slot and (last_posted is None or last_posted < day_start)


def last_posted(session: Session, guild_id: str) -> datetime | None:
    """When the guild's last quote of the day went out (removed quotes count too)."""
    return session.scalar(
        select(func.max(CuratedQuoteRow.last_posted_at)).where(CuratedQuoteRow.guild_id == guild_id)
    )


def next_daily(session: Session, guild_id: str) -> Shown | None:
    """The quote to post next: never posted first (oldest saved first), else the least recently posted.

    Every post stamps ``last_posted_at``, so no quote comes back before all the others were posted.
    """
    shown = shown_quotes(session, guild_id)
    if not shown:
        return None
    posted = {
        r.id: r.last_posted_at
        for r in session.scalars(
            select(CuratedQuoteRow).where(CuratedQuoteRow.id.in_([s.quote_id for s in shown]))
        )
    }
    epoch = datetime.min.replace(tzinfo=UTC)
    # ``shown`` is oldest saved first and the sort is stable.
    return min(shown, key=lambda s: (posted[s.quote_id] is not None, posted[s.quote_id] or epoch))


@dataclass(frozen=True)
class DailyQuote:
    """A quote of the day claimed for posting."""

    guild_id: str
    channel_id: int
    shown: Shown


def claim_daily(
    session: Session, guild_id: str, defaults: DiscordSection, now: datetime
) -> DailyQuote | None:
    """Decide whether the guild's quote of the day is due and, if so, claim the quote to post.

    Deciding and stamping ``last_posted_at`` happen in the caller's transaction, and the stamp is a
    conditional update that succeeds only while no quote of the guild was posted today: of two
    processes deciding at once, only one gets a quote back.
    """
    settings = effective(defaults, GuildSettings(session, guild_id).values())
    if settings.qotd_channel_id is None:
        return None
    if not is_due(
        now,
        hhmm=settings.qotd_time,
        timezone=settings.qotd_timezone,
        last_posted=last_posted(session, guild_id),
    ):
        return None
    pick = next_daily(session, guild_id)
    if pick is None:
        return None
    day_start, _ = day_bounds(now, settings.qotd_time, settings.qotd_timezone)
    other = aliased(CuratedQuoteRow)
    posted_today = (
        select(other.id).where(other.guild_id == guild_id, other.last_posted_at >= day_start).exists()
    )
    result = cast(
        CursorResult[Any],
        session.execute(
            update(CuratedQuoteRow)
            .where(
                CuratedQuoteRow.id == pick.quote_id,
                or_(CuratedQuoteRow.last_posted_at.is_(None), CuratedQuoteRow.last_posted_at < day_start),
                ~posted_today,
            )
            .values(last_posted_at=now)
            .execution_options(synchronize_session=False)
        ),
    )
    if result.rowcount != 1:
        return None
    session.expire_all()  # the ORM copies predate the update
    return DailyQuote(guild_id, settings.qotd_channel_id, pick)


# -- quiz -----------------------------------------------------------------------------------------


def author_pool(session: Session) -> list[str]:
    """Every signed author line of the active essays, once each (case-insensitively)."""
    seen: dict[str, str] = {}
    for row in session.scalars(select(EssayRow).where(EssayRow.status == ESSAY_ACTIVE).order_by(EssayRow.id)):
        meta = _meta(row)
        if meta.authors:
            seen.setdefault(meta.author_line.casefold(), meta.author_line)
    return list(seen.values())


def build_choices(answer: str, pool: Sequence[str], rng: random.Random, n: int = CHOICES) -> list[str]:
    """The right answer and up to ``n - 1`` other names from ``pool``, shuffled by ``rng``."""
    others: dict[str, str] = {}
    for name in pool:
        if name.casefold() != answer.casefold():
            others.setdefault(name.casefold(), name)
    candidates = sorted(others.values())  # a fixed order, so that a seeded rng gives a fixed round
    choices = [answer, *rng.sample(candidates, min(n - 1, len(candidates)))]
    rng.shuffle(choices)
    return choices


@dataclass(frozen=True)
class QuizQuestion:
    """One round: which quote, the answer and the choices in button order."""

    round_id: int
    shown: Shown
    answer: str
    choices: list[str]


def start_round(
    session: Session,
    guild_id: str,
    channel_id: str,
    *,
    now: datetime,
    duration: timedelta,
    rng: random.Random,
) -> QuizQuestion | None:
    """Open a round on one of the guild's quotes with a named speaker; None when there is none.

    The quotes quizzed least often in this guild come first, so rounds go round the collection.
    """
    candidates = [s for s in shown_quotes(session, guild_id) if s.speaker]
    if not candidates:
        return None
    counts = session.execute(
        select(QuizRoundRow.quote_id, func.count())
        .where(QuizRoundRow.guild_id == guild_id)
        .group_by(QuizRoundRow.quote_id)
    )
    used: dict[int, int] = dict(counts.all())
    fewest = min(used.get(s.quote_id, 0) for s in candidates)
    pick = rng.choice([s for s in candidates if used.get(s.quote_id, 0) == fewest])
    assert pick.speaker is not None
    choices = build_choices(pick.speaker, author_pool(session), rng)
    row = QuizRoundRow(
        guild_id=guild_id,
        channel_id=channel_id,
        quote_id=pick.quote_id,
        answer=pick.speaker,
        choices=choices,
        started_at=now,
        ends_at=now + duration,
    )
    session.add(row)
    session.flush()
    return QuizQuestion(row.id, pick, pick.speaker, choices)


def set_message(session: Session, round_id: int, message_id: str) -> None:
    """Remember which message shows the round."""
    row = session.get(QuizRoundRow, round_id)
    if row is not None:
        row.message_id = message_id


@dataclass(frozen=True)
class Guess:
    """What happened to a member's press."""

    accepted: bool  # False: the member had answered already, or the round is over
    choice: str  # what they picked (their first pick when it was not accepted)
    answered: int  # members who answered so far
    over: bool = False


def _round(session: Session, round_id: int) -> QuizRoundRow:
    row = session.get(QuizRoundRow, round_id)
    if row is None:
        raise CurationError("This quiz no longer exists.")
    return row


def _answered(session: Session, round_id: int) -> int:
    return session.scalar(select(func.count()).where(QuizGuessRow.round_id == round_id)) or 0


def guess(session: Session, round_id: int, user_id: str, choice: int, *, now: datetime) -> Guess:
    """Record a member's first guess in a round; later presses change nothing."""
    row = _round(session, round_id)
    if not 0 <= choice < len(row.choices):
        raise CurationError("That is not one of the choices.")
    picked = row.choices[choice]
    if row.revealed_at is not None:
        return Guess(False, picked, _answered(session, round_id), over=True)

    def earlier() -> QuizGuessRow | None:
        return session.scalars(
            select(QuizGuessRow).where(QuizGuessRow.round_id == round_id, QuizGuessRow.user_id == user_id)
        ).first()

    first = earlier()
    if first is None:
        try:
            # A savepoint: a simultaneous press by the same member loses on the unique constraint.
            with session.begin_nested():
                correct = picked.casefold() == row.answer.casefold()
                session.add(
                    QuizGuessRow(
                        round_id=round_id, user_id=user_id, choice=picked, correct=correct, created_at=now
                    )
                )
            return Guess(True, picked, _answered(session, round_id))
        except IntegrityError:
            first = earlier()
    assert first is not None
    return Guess(False, first.choice, _answered(session, round_id))


@dataclass(frozen=True)
class RoundResult:
    """A revealed round."""

    answer: str
    choices: list[str]
    guesses: list[tuple[str, str, bool]]  # (user id, choice, correct), in the order they came
    first: bool  # this call revealed it (a second call only reads)

    @property
    def winners(self) -> list[str]:
        """The user ids of the members who got it right."""
        return [user for user, _, correct in self.guesses if correct]


def reveal(session: Session, round_id: int, *, now: datetime) -> RoundResult:
    """Close a round (once) and return its answer and guesses."""
    row = _round(session, round_id)
    first = row.revealed_at is None
    if first:
        row.revealed_at = now
    guesses = session.scalars(
        select(QuizGuessRow).where(QuizGuessRow.round_id == round_id).order_by(QuizGuessRow.id)
    )
    return RoundResult(
        row.answer, list(row.choices), [(g.user_id, g.choice, g.correct) for g in guesses], first
    )


@dataclass(frozen=True)
class Standing:
    """One player on the leaderboard."""

    user_id: str
    correct: int
    answered: int


def leaderboard(
    session: Session, guild_id: str, *, now: datetime, limit: int = LEADERBOARD_SIZE
) -> list[Standing]:
    """The guild's players by right answers, then by fewest guesses, over the finished rounds.

    A round still running does not count: the board would tell a member whether their guess was
    right before the reveal. A round the bot never revealed (it was restarted) counts once it ended.
    """
    correct = func.sum(case((QuizGuessRow.correct.is_(True), 1), else_=0))
    answered = func.count(QuizGuessRow.id)
    rows = session.execute(
        select(QuizGuessRow.user_id, correct, answered)
        .join(QuizRoundRow, QuizRoundRow.id == QuizGuessRow.round_id)
        .where(
            QuizRoundRow.guild_id == guild_id,
            or_(QuizRoundRow.revealed_at.is_not(None), QuizRoundRow.ends_at <= now),
        )
        .group_by(QuizGuessRow.user_id)
        .order_by(correct.desc(), answered, QuizGuessRow.user_id)
        .limit(limit)
    )
    return [Standing(user, int(right or 0), int(total)) for user, right, total in rows]
