"""The interaction log as every shell writes it: one row per command answered or failed.

The CLI and the Discord bot both describe an interaction as an :class:`Entry` and store it through
:class:`Recorder`, so a row means the same whichever shell wrote it. Writing never raises: a logging
failure is logged in one line, and the answer goes out regardless.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from bot.store.db import session_scope
from bot.store.feedback import FeedbackRepository
from bot.store.interactions import InteractionLog, failure_summary, logged_verdict

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from bot.answer.types import CompareAnswer, PositionsAnswer, WhoSaidAnswer

log = logging.getLogger(__name__)

# Longest text kept of an option (a question, a topic): enough to read it, bounded whatever was typed.
MAX_OPTION_CHARS = 2000


@dataclass
class Entry:
    """What a command reports about its interaction; written to the log when it ends."""

    command: str
    options: dict[str, Any]
    verdict: str | None = None
    passage_ids: list[str] = field(default_factory=list)
    error: str | None = None
    message_id: int | None = None
    row_id: int | None = None  # set once written; feedback refers to it
    guild_id: int | None = None  # where it was written: per-guild corpora log to the guild's database
    calibration: str | None = None  # Calibration.id behind a who-said verdict

    def describe_answer(self, answer: WhoSaidAnswer, calibration: str) -> None:
        """Log a who-said answer's verdict (``found``, ``not_found`` or ``contradicted``) and calibration."""
        self.verdict, self.calibration = logged_verdict(answer), calibration

    def describe_compare(self, answer: CompareAnswer) -> None:
        """Log a compare answer: ``found`` (both sides), ``partial`` (one) or ``none``, and its passages."""
        quotes = [*answer.a.passages, *answer.b.passages]
        self.verdict = "found" if answer.a.passages and answer.b.passages else "partial" if quotes else "none"
        self.passage_ids = [q.passage_id for q in quotes]

    def describe_positions(self, answer: PositionsAnswer) -> None:
        """Log a positions answer: ``found`` when any author has a passage on the topic, else ``none``."""
        quotes = [p.passage for p in answer.positions if p.passage is not None]
        self.verdict = "found" if quotes else "none"
        self.passage_ids = [q.passage_id for q in quotes]


class Recorder:
    """Writes interaction rows and their feedback to one database (a shell's, or a guild's own)."""

    def __init__(self, engine: Engine, *, source: Literal["cli", "discord"]) -> None:
        self.engine, self.source = engine, source

    def write(
        self,
        entry: Entry,
        *,
        latency_ms: int | None,
        guild_id: str | None = None,
        channel_id: str | None = None,
        user_ref: str | None = None,
    ) -> int | None:
        """Store one row (with its Discord message, when shown in one); None when logging failed."""
        try:
            with session_scope(self.engine) as session:
                repo = InteractionLog(session)
                row_id = repo.record(
                    source=self.source,
                    command=entry.command,
                    options={
                        k: v[:MAX_OPTION_CHARS] if isinstance(v, str) else v for k, v in entry.options.items()
                    },
                    verdict=entry.verdict,
                    passage_ids=entry.passage_ids,
                    latency_ms=latency_ms,
                    error=entry.error,
                    guild_id=guild_id,
                    channel_id=channel_id,
                    user_ref=user_ref,
                    calibration=entry.calibration,
                )
                if entry.message_id is not None:
                    repo.set_message(row_id, str(entry.message_id))
        except Exception as exc:
            log_failure(entry.command, exc)
            return None
        entry.row_id = row_id
        return row_id

    @contextmanager
    def entry(self, command: str, options: dict[str, Any]) -> Iterator[Entry]:
        """Time a command body and log it on the way out; a failure is logged with its error, then raised."""
        started = time.perf_counter()
        entry = Entry(command=command, options=options)
        try:
            with noting_errors(entry):
                yield entry
        finally:
            self.write(entry, latency_ms=elapsed_ms(started))

    def vote(
        self,
        row_id: int,
        user_ref: str,
        vote: Literal[1, -1],
        *,
        now: datetime,
        reason: str | None = None,
        passage_id: str | None = None,
        detail: str | None = None,
    ) -> bool:
        """Store a 👍/👎 on a logged answer; True when it is the user's first vote on it."""
        with session_scope(self.engine) as session:
            return FeedbackRepository(session).vote(
                row_id, user_ref, vote, reason=reason, passage_id=passage_id, now=now, detail=detail
            )


@contextmanager
def noting_errors(entry: Entry) -> Iterator[Entry]:
    """Note a failing command body's error on its entry, then let the error go on."""
    try:
        yield entry
    except Exception as exc:
        entry.error = describe(exc)
        raise


def _bounded(value: Any) -> Any:
    return value[:MAX_OPTION_CHARS] if isinstance(value, str) else value


def elapsed_ms(started: float | None) -> int | None:
    """Milliseconds since ``time.perf_counter()`` read ``started`` (None: not timed)."""
    return None if started is None else int((time.perf_counter() - started) * 1000)


def log_failure(command: str, exc: BaseException) -> None:
    """One warning line, without the SQL parameters (they hold the user's question)."""
    log.warning("could not record the %s interaction: %s", command, failure_summary(exc))


def describe(exc: BaseException) -> str:
    """A short, token-free description of an error for the log row."""
    original = getattr(exc, "original", None) or exc
    text = str(original).splitlines()[0] if str(original) else ""
    return f"{type(original).__name__}: {text}"[:500]
