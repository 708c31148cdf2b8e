"""The interaction log as the Discord shell sees it: one row per interaction, failures included.

Command bodies run inside ``DiscordRecorder.entry()``, which times them and writes the row on the way
out, whatever happened, through the core's :class:`~bot.core.interactions.Recorder`. Writes run on the
search pool: SQLite may wait on a lock, the event loop must not.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from typing import Any, Literal

import discord

from bot.core.interactions import Entry, Recorder, elapsed_ms, log_failure, noting_errors
from bot.core.privacy import UserRefs, every_database, forget_user, purge_older_than
from bot.store.models import utcnow

from .service import AnswerService

LOGGED = "essaybot_logged"  # key in Interaction.extras: the tree's error handler must not log twice


class DiscordRecorder:
    """Writes interaction rows and feedback through the core's recorder, in the guild's own database."""

    def __init__(self, service: AnswerService, user_refs: UserRefs) -> None:
        self.service, self.user_refs = service, user_refs

    def _recorder(self, guild_id: int | None) -> Recorder:
        return Recorder(self.service.corpora.for_guild(guild_id).engine, source="discord")

    @asynccontextmanager
    async def entry(
        self, interaction: discord.Interaction, command: str, options: dict[str, Any]
    ) -> AsyncIterator[Entry]:
        """Time a command body and log it, with the error's class and message when it fails."""
        started = time.perf_counter()
        entry = Entry(command=command, options=options)
        interaction.extras[LOGGED] = True
        try:
            with noting_errors(entry):
                yield entry
        finally:
            await self.write(interaction, entry, started)

    def new_entry(self, command: str, options: dict[str, Any]) -> Entry:
        """An entry for an interaction logged outside ``entry()`` (failed checks, button presses)."""
        return Entry(command=command, options=options)

    async def write(self, interaction: discord.Interaction, entry: Entry, started: float | None) -> None:
        """Store one row; a logging failure is logged, never shown to the member."""
        interaction.extras[LOGGED] = True
        latency = elapsed_ms(started)
        ref = self.user_refs.ref(interaction.user.id)
        entry.guild_id = interaction.guild_id

        def write() -> None:
            self._recorder(entry.guild_id).write(
                entry,
                latency_ms=latency,
                guild_id=str(interaction.guild_id) if interaction.guild_id else None,
                channel_id=str(interaction.channel_id) if interaction.channel_id else None,
                user_ref=ref,
            )

        try:
            await self.service.run(write)
        except Exception as exc:  # the guild's corpus could not be opened
            log_failure(entry.command, exc)

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
            return self._recorder(entry.guild_id).vote(
                row_id, ref, vote, reason=reason, passage_id=passage_id, now=now, detail=detail
            )

        return await self.service.run(write)

    async def forget(self, user_id: int) -> int:
        """Delete a member's own logged rows in every database (``/privacy forget-me``); how many went."""
        refs = self.user_refs.candidates(user_id)
        # Each server's database is opened directly: deleting rows needs no model, index or seeding.
        settings = self.service.app.settings
        return await self.service.run(lambda: forget_user(every_database(settings), refs))

    async def purge(self, now: datetime | None = None) -> int:
        """Delete rows older than the retention period."""
        days = self.service.app.settings.retention_days
        cutoff = (now or utcnow()) - timedelta(days=days)
        settings = self.service.app.settings
        return await self.service.run(lambda: purge_older_than(every_database(settings), cutoff))
