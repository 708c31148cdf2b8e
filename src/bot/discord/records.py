"""The interaction log as the Discord shell sees it: one row per interaction, failures included.

Command bodies run inside ``Recorder.entry()``, which times them and writes the row on the way out,
whatever happened. Writes run on the search pool: SQLite may wait on a lock, the event loop must not.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

import discord

from bot.core.privacy import UserRefs
from bot.store.db import session_scope
from bot.store.feedback import FeedbackRepository
from bot.store.interactions import failure_summary, logged_verdict
from bot.store.models import utcnow
from bot.store.repo import InteractionLog

from .service import AnswerService

if TYPE_CHECKING:
    from bot.answer.types import WhoSaidAnswer

log = logging.getLogger(__name__)

LOGGED = "essaybot_logged"  # key in Interaction.extras: the tree's error handler must not log twice


@dataclass
class Entry:
    """What a command body reports about its interaction; written to the log when it ends."""

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


class Recorder:
    """Writes interaction rows and feedback through the store layer, in the guild's own database."""

    def __init__(self, service: AnswerService, user_refs: UserRefs) -> None:
        self.service, self.user_refs = service, user_refs

    @asynccontextmanager
    async def entry(
        self, interaction: discord.Interaction, command: str, options: dict[str, Any]
    ) -> AsyncIterator[Entry]:
        """Time a command body and log it, with the error's class and message when it fails."""
        started = time.perf_counter()
        entry = Entry(command=command, options=options)
        interaction.extras[LOGGED] = True
        try:
            yield entry
        except Exception as exc:
            entry.error = describe(exc)
            raise
        finally:
            await self.write(interaction, entry, started)

    def new_entry(self, command: str, options: dict[str, Any]) -> Entry:
        """An entry for an interaction logged outside ``entry()`` (failed checks, button presses)."""
        return Entry(command=command, options=options)

    async def write(self, interaction: discord.Interaction, entry: Entry, started: float | None) -> None:
        """Store one row; a logging failure is logged, never shown to the member."""
        interaction.extras[LOGGED] = True
        latency = None if started is None else int((time.perf_counter() - started) * 1000)
        ref = self.user_refs.ref(interaction.user.id)
        entry.guild_id = interaction.guild_id

        def write() -> int:
            with session_scope(self.service.corpora.for_guild(entry.guild_id).engine) as session:
                repo = InteractionLog(session)
                row_id = repo.record(
                    source="discord",
                    command=entry.command,
                    options=entry.options,
                    verdict=entry.verdict,
                    passage_ids=entry.passage_ids,
                    latency_ms=latency,
                    error=entry.error,
                    guild_id=str(interaction.guild_id) if interaction.guild_id else None,
                    channel_id=str(interaction.channel_id) if interaction.channel_id else None,
                    user_ref=ref,
                    calibration=entry.calibration,
                )
                if entry.message_id is not None:
                    repo.set_message(row_id, str(entry.message_id))
                return row_id

        try:
            entry.row_id = await self.service.run(write)
        except Exception as exc:
            # One line, without the SQL parameters (they hold the member's question).
            log.warning("could not record the %s interaction: %s", entry.command, failure_summary(exc))

    async def vote(
        self,
        entry: Entry,
        user_id: int,
        vote: Literal[1, -1],
        *,
        reason: str | None = None,
        passage_id: str | None = None,
        detail: str | None = None,
    ) -> bool:
        """Store a member's 👍/👎 on an answer; True when it is their first vote on it."""
        if entry.row_id is None:
            raise RuntimeError("the answer was not logged, so feedback has nothing to attach to")
        row_id, ref, now = entry.row_id, self.user_refs.ref(user_id), utcnow()

        def write() -> bool:
            with session_scope(self.service.corpora.for_guild(entry.guild_id).engine) as session:
                return FeedbackRepository(session).vote(
                    row_id, ref, vote, reason=reason, passage_id=passage_id, now=now, detail=detail
                )

        return await self.service.run(write)

    async def forget(self, user_id: int) -> int:
        """Delete a member's own logged rows in every database (``/privacy forget-me``); how many went."""
        refs = self.user_refs.candidates(user_id)

        def delete() -> int:
            deleted = 0
            for app in self.service.corpora.all():
                with session_scope(app.engine) as session:
                    deleted += InteractionLog(session).forget_user(refs)
            return deleted

        return await self.service.run(delete)

    async def purge(self, now: datetime | None = None) -> int:
        """Delete rows older than the retention period."""
        days = self.service.app.settings.retention_days
        cutoff = (now or utcnow()) - timedelta(days=days)

        def purge() -> int:
            purged = 0
            for app in self.service.corpora.all():
                with session_scope(app.engine) as session:
                    purged += InteractionLog(session).purge_older_than(cutoff)
            return purged

        return await self.service.run(purge)


def describe(exc: BaseException) -> str:
    """A short, token-free description of an error for the log row."""
    original = getattr(exc, "original", None) or exc
    text = str(original).splitlines()[0] if str(original) else ""
    return f"{type(original).__name__}: {text}"[:500]
