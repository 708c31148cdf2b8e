"""Database tables (SQLAlchemy 2.x declarative). Migrations in ``migrations/`` must match these.

Offsets are character offsets into ``essays.body``, exactly as in ``bot.corpus.models``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar, cast

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

ESSAY_ACTIVE = "active"
ESSAY_REMOVED = "removed"

# Named constraints are what let Alembic's batch mode (SQLite table rebuilds) find and alter them.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


T = TypeVar("T")


def from_row(cls: type[T], row: object, **values: Any) -> T:
    """The dataclass ``cls`` from a row's attributes of the same names; ``values`` give some instead.

    A row and its plain dataclass name their columns alike, so one copy serves every table.
    """
    names = [f.name for f in dataclasses.fields(cast(Any, cls)) if f.name not in values]
    return cast(Callable[..., T], cls)(**{name: getattr(row, name) for name in names}, **values)


def utcnow() -> datetime:
    """The current time as a timezone-aware UTC datetime."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on every backend.

    SQLite has no time zones and hands back naive values, so values are stored as naive UTC there
    and re-labelled on the way out. Naive input is refused rather than guessed at.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value!r}: use an aware (UTC) datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    """Declarative base; ``Base.metadata`` is Alembic's target metadata."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class EssayRow(Base):
    """One essay. ``status == "removed"`` is a tombstone: kept, never answered, not re-imported."""

    __tablename__ = "essays"
    __table_args__ = (CheckConstraint("status IN ('active', 'removed')", name="status"),)

    id: Mapped[str] = mapped_column(String(80), primary_key=True)
    title: Mapped[str] = mapped_column(Text)
    subtitle: Mapped[str | None] = mapped_column(Text)
    authors: Mapped[list[str]] = mapped_column(JSON)
    aliases: Mapped[list[str]] = mapped_column(JSON)
    publication: Mapped[str | None] = mapped_column(Text)
    date: Mapped[str | None] = mapped_column(String(10))
    url: Mapped[str | None] = mapped_column(Text)
    notes: Mapped[str | None] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64), index=True)
    # ``EssayMeta.meta_hash`` of the metadata as its file (or upload) last gave it, not as stored: when
    # the two differ, a moderator has edited the essay, and a re-ingest keeps that edit.
    meta_hash: Mapped[str | None] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default=ESSAY_ACTIVE)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class PassageRow(Base):
    """One retrieval passage: ``essays.body[start:end] == text``."""

    __tablename__ = "passages"
    # The unique index leads with essay_id, so it also serves every per-essay lookup and delete;
    # a separate essay_id index would only slow ingest down.
    __table_args__ = (UniqueConstraint("essay_id", "seq"),)

    id: Mapped[str] = mapped_column(String(16), primary_key=True)
    essay_id: Mapped[str] = mapped_column(String(80), ForeignKey("essays.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    paragraph: Mapped[int] = mapped_column(Integer)
    section: Mapped[str | None] = mapped_column(Text)
    # "end" is an SQL keyword: spelled out in SQL so hand-written queries need no quoting.
    start: Mapped[int] = mapped_column("start_offset", Integer)
    end: Mapped[int] = mapped_column("end_offset", Integer)
    text: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(16))


class QuoteSpanRow(Base):
    """Words in an essay that are not its authors' own claim (quotation, reported view, intro)."""

    __tablename__ = "quote_spans"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    essay_id: Mapped[str] = mapped_column(String(80), ForeignKey("essays.id", ondelete="CASCADE"), index=True)
    start: Mapped[int] = mapped_column("start_offset", Integer)
    end: Mapped[int] = mapped_column("end_offset", Integer)
    speaker: Mapped[str | None] = mapped_column(Text)
    role: Mapped[str] = mapped_column(String(32))


class CorpusStateRow(Base):
    """The corpus token: database triggers replace it whenever the searchable corpus may have changed.

    An index generation records the token it was built from; a start that finds it unchanged reads
    the passages' columns from the generation (migration 0006 holds the triggers).
    """

    __tablename__ = "corpus_state"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    token: Mapped[str] = mapped_column(String(32))


class InteractionRow(Base):
    """One answered (or failed) command, kept ``retention_days`` for curation and debugging."""

    __tablename__ = "interactions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    source: Mapped[str] = mapped_column(String(16))  # "cli" | "discord"
    guild_id: Mapped[str | None] = mapped_column(String(32))
    channel_id: Mapped[str | None] = mapped_column(String(32))
    # Raw id or salted hash (bot.core.privacy.UserRefs); indexed so that "forget me" does not scan the log.
    user_ref: Mapped[str | None] = mapped_column(String(64), index=True)
    command: Mapped[str] = mapped_column(String(32))
    options: Mapped[dict[str, Any]] = mapped_column(JSON)
    verdict: Mapped[str | None] = mapped_column(String(16))
    passage_ids: Mapped[list[str]] = mapped_column(JSON)
    latency_ms: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    # The Discord message that showed the answer; known only after it was sent, hence set later.
    message_id: Mapped[str | None] = mapped_column(String(32))
    # ``Calibration.id`` in force when a question was answered: which verdicts a fit produced.
    calibration: Mapped[str | None] = mapped_column(String(40))


# The last two are about the verdict itself: an essay does say it (the member names which), or the
# passage shown does not say it / says the opposite.
FEEDBACK_REASONS = (
    "wrong_author",
    "out_of_context",
    "misquote",
    "not_relevant",
    "essay_says_it",
    "doesnt_say_it",
)
VERDICT_REASONS = ("essay_says_it", "doesnt_say_it")


class FeedbackRow(Base):
    """A member's 👍 (+1) or 👎 (-1) on one answer; one row per member and answer, later votes replace it."""

    __tablename__ = "feedback"
    # The unique index leads with interaction_id, so it also serves the foreign key (cascades) and
    # every per-answer lookup; a separate interaction_id index would be redundant.
    __table_args__ = (
        UniqueConstraint("interaction_id", "user_ref"),
        CheckConstraint("vote IN (1, -1)", name="vote"),
        # Spelled out (not built from FEEDBACK_REASONS) so that it reads exactly like the migration.
        CheckConstraint(
            "reason IS NULL OR reason IN ('wrong_author', 'out_of_context', 'misquote', 'not_relevant',"
            " 'essay_says_it', 'doesnt_say_it')",
            name="reason",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    interaction_id: Mapped[int] = mapped_column(Integer, ForeignKey("interactions.id", ondelete="CASCADE"))
    # Indexed for "forget me": a member's votes on other members' answers go too.
    user_ref: Mapped[str] = mapped_column(String(64), index=True)
    vote: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str | None] = mapped_column(String(16))
    passage_id: Mapped[str | None] = mapped_column(String(16))  # the result the member was looking at
    # The member's own words with the reason: which essay does say it ("essay_says_it").
    detail: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# -- curation (per guild) ------------------------------------------------------------------------
# Guild ids are Discord snowflakes as text. CLI actions name the guild they act for; the actor of a
# CLI action is "cli". Passage ids are not foreign keys: passages are rebuilt on re-ingest (with the
# same ids), and a curation decision must outlive that.

SPEAKER_ROLES = ("own", "quoted", "reported view", "editors' introduction")


class CuratedQuoteRow(Base):
    """A quote moderators saved: a passage or a span of it, with a note and tags. Soft-deleted."""

    __tablename__ = "curated_quotes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    guild_id: Mapped[str] = mapped_column(String(32), index=True)
    essay_id: Mapped[str] = mapped_column(String(80))
    passage_id: Mapped[str] = mapped_column(String(16), index=True)
    start: Mapped[int] = mapped_column("start_offset", Integer)  # into essays.body
    end: Mapped[int] = mapped_column("end_offset", Integer)
    text: Mapped[str] = mapped_column(Text)  # body[start:end] when saved
    note: Mapped[str | None] = mapped_column(Text)
    tags: Mapped[list[str]] = mapped_column(JSON)
    saved_by: Mapped[str] = mapped_column(String(32))  # raw Discord id of the moderator, or "cli"
    saved_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_posted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # quote of the day


class PassageOverrideRow(Base):
    """A guild's decision about one passage: hidden from answers, and/or who really speaks in it."""

    __tablename__ = "passage_overrides"
    __table_args__ = (
        UniqueConstraint("guild_id", "passage_id"),
        CheckConstraint(
            "role IS NULL OR role IN ('own', 'quoted', 'reported view', 'editors'' introduction')",
            name="role",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    guild_id: Mapped[str] = mapped_column(String(32))
    passage_id: Mapped[str] = mapped_column(String(16))
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)
    speaker: Mapped[str | None] = mapped_column(Text)  # None with role "own": the essay's authors
    role: Mapped[str | None] = mapped_column(String(32))  # None: no attribution override
    updated_by: Mapped[str] = mapped_column(String(32))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


VERDICT_RULINGS = ("supports", "contradicts", "unrelated")


class VerdictOverrideRow(Base):
    """A guild's moderators' reading of one claim against one passage, which replaces the verifier's.

    The claim is kept folded (``bot.textnorm.normalize`` of the question's claim) and is keyed by its
    SHA-256, so that the unique index stays small whatever the length of the question.
    """

    __tablename__ = "verdict_overrides"
    __table_args__ = (
        UniqueConstraint("guild_id", "claim_key", "passage_id"),
        CheckConstraint("verdict IN ('supports', 'contradicts', 'unrelated')", name="verdict"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    guild_id: Mapped[str] = mapped_column(String(32))
    claim_key: Mapped[str] = mapped_column(String(64))
    claim: Mapped[str] = mapped_column(Text)
    passage_id: Mapped[str] = mapped_column(String(16))
    verdict: Mapped[str] = mapped_column(String(16))
    updated_by: Mapped[str] = mapped_column(String(32))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AuditRow(Base):
    """Who did what and when, with the values before and after; ``undone_at`` once reverted."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_guild_id_created_at", "guild_id", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    guild_id: Mapped[str | None] = mapped_column(String(32))  # None: the shared corpus
    actor: Mapped[str] = mapped_column(String(32))  # raw Discord id, or "cli"
    action: Mapped[str] = mapped_column(String(40))
    target: Mapped[str] = mapped_column(String(120))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    undone_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    undone_by: Mapped[str | None] = mapped_column(String(32))


class GuildSettingsRow(Base):
    """Per-guild overrides of the config defaults, as a JSON object validated by the application."""

    __tablename__ = "guild_settings"

    guild_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    values: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_by: Mapped[str] = mapped_column(String(32))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class QuizRoundRow(Base):
    """One /quiz question: a curated quote whose author members guess."""

    __tablename__ = "quiz_rounds"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    guild_id: Mapped[str] = mapped_column(String(32), index=True)
    channel_id: Mapped[str] = mapped_column(String(32))
    message_id: Mapped[str | None] = mapped_column(String(32))
    quote_id: Mapped[int] = mapped_column(Integer, ForeignKey("curated_quotes.id", ondelete="CASCADE"))
    answer: Mapped[str] = mapped_column(Text)  # the right author line
    choices: Mapped[list[str]] = mapped_column(JSON)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revealed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class QuizGuessRow(Base):
    """A member's guess in a round (raw user id: the leaderboard names players, /privacy says so)."""

    __tablename__ = "quiz_guesses"
    __table_args__ = (UniqueConstraint("round_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    round_id: Mapped[int] = mapped_column(Integer, ForeignKey("quiz_rounds.id", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(String(32), index=True)
    choice: Mapped[str] = mapped_column(Text)
    correct: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
