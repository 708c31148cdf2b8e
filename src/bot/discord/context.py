"""The per-interaction context: a server's app, its database and the interaction log, in one object.

A cog or a view never opens a database session: it hands a curation function to ``db()``, which runs
it in one transaction on the server's own database (with per-guild corpora) on a worker thread, so
the event loop never waits for SQLite. ``GuildScope`` is the same for work that no interaction asks
for (the quote-of-the-day chore, the mod-log); ``Context`` adds the interaction: who acts, its log
entry, and the server's settings read once per interaction.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any, ParamSpec, TypeVar, cast

import discord
from discord import app_commands
from sqlalchemy.orm import Session

from bot.core.essaybot import Essaybot
from bot.core.interactions import Entry
from bot.curation.settings import Effective, GuildSettings, GuildValues, effective
from bot.discord.host import Host
from bot.discord.records import DiscordRecorder
from bot.store.db import session_scope

P = ParamSpec("P")
T = TypeVar("T")

CONTEXT = "essaybot_context"  # Interaction.extras: the interaction's context, built once


class GuildScope:
    """One server's corpus and database: the main ones outside servers, and with the shared corpus."""

    def __init__(self, host: Host, guild_id: int | str | None) -> None:
        self.host, self.guild_id = host, guild_id

    @property
    def gid(self) -> str:
        """The server's id as the database keeps it; outside servers, ``NoPrivateMessage``."""
        if self.guild_id is None:
            raise app_commands.NoPrivateMessage()
        return str(self.guild_id)

    async def app(self) -> Essaybot:
        """The instance whose corpus answers here (a server's first use builds it off the loop)."""
        return await self.host.service.app_for(self.guild_id)

    async def run(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run a blocking call on the worker pool."""
        return await self.host.service.run(fn, *args, **kwargs)

    async def db(self, work: Callable[[Session], T]) -> T:
        """Run ``work`` in one transaction on this server's database, on a worker thread."""
        corpora, guild_id = self.host.corpora, self.guild_id

        def run() -> T:
            with session_scope(corpora.for_guild(guild_id).engine) as session:
                return work(session)

        return await self.host.service.run_prompt(run)

    async def settings(self) -> Effective:
        """The settings that apply here (the server's /settings over the config; defaults outside servers)."""
        defaults = self.host.settings.discord
        # A server whose own corpus (per-guild mode) does not exist yet has set nothing: asking must not
        # create it (the quote-of-the-day chore and the mod-log ask about every server the bot is in).
        if self.guild_id is None or not self.host.corpora.exists(self.guild_id):
            return effective(defaults, GuildValues())
        gid = str(self.guild_id)
        return effective(defaults, await self.db(lambda s: GuildSettings(s, gid).values()))


class Context(GuildScope):
    """One interaction: its server's scope, who acts, its log entry and its server's settings."""

    def __init__(self, host: Host, interaction: discord.Interaction) -> None:
        super().__init__(host, interaction.guild_id)
        self.interaction = interaction
        self.recorder: DiscordRecorder = host.recorder
        self._settings: Effective | None = None

    @classmethod
    def of(cls, interaction: discord.Interaction) -> Context:
        """The context of ``interaction``, built on first use and kept on it."""
        found = interaction.extras.get(CONTEXT)
        if isinstance(found, Context):
            return found
        context = cls(cast(Host, interaction.client), interaction)
        interaction.extras[CONTEXT] = context
        return context

    @property
    def actor(self) -> str:
        """The member acting, as the audit log names them."""
        return str(self.interaction.user.id)

    def entry(self, command: str, options: dict[str, Any]) -> AbstractAsyncContextManager[Entry]:
        """Time the command body and log it (``Recorder.entry``)."""
        return self.recorder.entry(self.interaction, command, options)

    async def settings(self) -> Effective:
        """The server's settings, read once per interaction so that one command sees one version."""
        if self._settings is None:
            self._settings = await super().settings()
        return self._settings
