"""Which ``Essaybot`` answers in a guild: the shared one, or the guild's own (``corpus_scope``).

With ``corpus_scope = "shared"`` every guild, DM and the CLI use the main instance. With
``"per_guild"`` each guild gets a fully separate instance in ``<data_dir>/guilds/<guild id>/``: its
own SQLite database (essays, curation, interaction log, settings...) and its own index, seeded with
the configured seeds on first use. Every instance shares the main one's embedding model and
calibration, so there is one model in memory however many guilds there are. At most
``max_open_libraries`` guild instances stay open: the least recently used one is closed when another
opens, so memory stays bounded however many servers the bot is in.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from pathlib import Path

from bot.config import Settings
from bot.core.essaybot import Essaybot
from bot.ops.guilds import adopt_misplaced_curation, guild_settings
from bot.paths import DataDir, checked_guild_id

log = logging.getLogger(__name__)


class Corpora:
    """The main ``Essaybot`` and, in per-guild mode, one cached instance per guild."""

    def __init__(self, main: Essaybot) -> None:
        self.main = main
        self._guilds: OrderedDict[str, Essaybot] = OrderedDict()  # least recently used first
        self._lock = threading.Lock()  # guards the two dicts
        self._building: dict[str, threading.Lock] = {}  # one per guild: a slow seeding blocks no other guild

    @property
    def per_guild(self) -> bool:
        """True when every guild has its own corpus."""
        return self.main.settings.corpus_scope == "per_guild"

    def guild_dir(self, guild_id: int | str) -> Path:
        """Where a guild's own database and index live (per-guild mode)."""
        return DataDir(self.main.settings.data_dir).guild(guild_id).root

    def exists(self, guild_id: int | str | None) -> bool:
        """Whether the guild's corpus was ever created (always, when shared); never creates it."""
        if self.cached(guild_id) is not None:
            return True
        assert guild_id is not None
        return DataDir(self.guild_dir(guild_id)).database.is_file()

    def cached(self, guild_id: int | str | None) -> Essaybot | None:
        """The instance for ``guild_id`` if it needs no building (never blocks on seeding)."""
        if guild_id is None or not self.per_guild:
            return self.main
        gid = checked_guild_id(guild_id)
        with self._lock:
            found = self._guilds.get(gid)
            if found is not None:
                self._guilds.move_to_end(gid)
            return found

    def for_guild(self, guild_id: int | str | None) -> Essaybot:
        """The instance that answers in ``guild_id`` (the main one outside guilds or when shared).

        Building a guild's instance the first time migrates its database and imports the seeds, which
        embeds them: call this off the event loop.
        """
        found = self.cached(guild_id)
        if found is not None:
            return found
        assert guild_id is not None
        gid = checked_guild_id(guild_id)
        with self._lock:
            building = self._building.setdefault(gid, threading.Lock())
        # Two first questions in a new guild must not seed it twice.
        with building:
            with self._lock:
                found = self._guilds.get(gid)
            if found is None:
                found = self._build(gid)
                self._keep(gid, found)
            return found

    def _keep(self, gid: str, app: Essaybot) -> None:
        """Cache a newly opened guild instance, closing the least recently used beyond the cap."""
        with self._lock:
            self._guilds[gid] = app
            self._guilds.move_to_end(gid)
            closed = []
            while len(self._guilds) > self.main.settings.max_open_libraries:
                closed.append(self._guilds.popitem(last=False))
        for old_gid, old in closed:
            # A question still running on it finishes: disposing only closes pooled connections, and
            # the instance itself is freed when the last reference goes.
            log.info("guild %s: closing its library (max_open_libraries reached)", old_gid)
            old.engine.dispose()

    @property
    def open_count(self) -> int:
        """How many guild instances are open (never more than ``max_open_libraries``)."""
        with self._lock:
            return len(self._guilds)

    def _build(self, gid: str) -> Essaybot:
        main = self.main
        settings = guild_settings(main.settings, gid)
        app = Essaybot(settings, calibration=main.calibration, embedder=main.embedder)
        app.rebuild_in_background = main.rebuild_in_background
        log.info("guild %s: opening its own corpus in %s", gid, settings.data_dir)
        app.ensure_ready()  # an empty database imports the seeds here
        # Curation older CLI versions wrote to the main database belongs here (a no-op once moved).
        adopt_misplaced_curation(main.settings, gid)
        return app

    def close(self) -> None:
        """Release every guild instance's database connections."""
        with self._lock:
            for app in self._guilds.values():
                app.engine.dispose()


def database_urls(settings: Settings) -> list[str]:
    """The main database and every guild's own one found on disk (for host chores such as forget-user)."""
    guilds = DataDir(settings.data_dir).guild_dirs()
    return [settings.resolved_database_url, *(g.database_url for g in guilds)]
