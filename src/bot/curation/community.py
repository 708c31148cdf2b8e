"""Community features on a guild's curated quotes: the quotes members may see, and the quote of the day.

Decisions are plain functions with the time injected (when a daily post is due); the rest reads and
writes one guild's rows in a session the caller owns. None of this is curation, so nothing here is
audited. The quiz is in ``bot.curation.quiz``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any, cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import CursorResult, func, or_, select, update
from sqlalchemy.orm import Session, aliased

from bot.answer.links import text_fragment_url
from bot.answer.types import Quote
from bot.config import DiscordSection
from bot.corpus.models import EssayMeta, QuoteSpan, SpeakerRole
from bot.corpus.speakers import speaker_for_span
from bot.curation.settings import GuildSettings, effective
from bot.store.models import (
    ESSAY_ACTIVE,
    CuratedQuoteRow,
    EssayRow,
    PassageOverrideRow,
    QuoteSpanRow,
)
from bot.store.repo import essay_meta

# -- curated quotes as members see them ---------------------------------------------------------


@dataclass(frozen=True)
class Shown:
    """A live curated quote ready to show: the words with their real attribution."""

    quote_id: int
    quote: Quote  # ``quote.attribution`` is the line shown; ``quote.quote`` the saved words
    speaker: str | None  # the name a quiz asks for; None when the words have no named speaker


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
        meta = essay_meta(essay)
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
