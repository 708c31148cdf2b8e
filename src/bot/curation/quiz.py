"""/quiz rounds on a guild's curated quotes: choices, one guess per member, reveal, leaderboard.

The random generator is injected, so rounds are reproducible in tests. Guesses keep the raw user id:
the leaderboard names players, and /privacy says so.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.curation.audit import CurationError
from bot.curation.community import Shown, shown_quotes
from bot.store.models import (
    ESSAY_ACTIVE,
    EssayRow,
    QuizGuessRow,
    QuizRoundRow,
)
from bot.store.repo import essay_meta

CHOICES = 4  # the right author and up to three others
LEADERBOARD_SIZE = 10


def author_pool(session: Session) -> list[str]:
    """Every signed author line of the active essays, once each (case-insensitively)."""
    seen: dict[str, str] = {}
    for row in session.scalars(select(EssayRow).where(EssayRow.status == ESSAY_ACTIVE).order_by(EssayRow.id)):
        meta = essay_meta(row)
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
