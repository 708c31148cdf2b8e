"""The Discord client: cogs, command sync, stale-button answers and the background chores.

The client is built around an ``Essaybot`` that is already migrated and indexed; ``runner.py`` owns
start-up, the connection loop and shutdown. Tests build this same client against a fake Discord.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import discord
from discord.ext import commands

from bot.core.essaybot import Essaybot
from bot.core.privacy import UserRefs
from bot.discord.clock import Clock, system_clock
from bot.discord.cogs import COGS
from bot.discord.cooldown import MemberCooldowns
from bot.discord.records import DiscordRecorder
from bot.discord.registry import ViewRegistry
from bot.discord.service import AnswerService
from bot.discord.tree import EssaybotTree
from bot.ops.heartbeat import write_heartbeat
from bot.paths import DataDir

log = logging.getLogger(__name__)

# The bot never joins voice: discord.py's start-up warnings about missing voice libraries are noise.
discord.VoiceClient.warn_nacl = False
discord.VoiceClient.warn_dave = False

SYNC_STATE = DataDir.SYNC_STATE
# What the bot needs in a channel: read it, answer in it (threads too), embeds, attachments (exports).
INVITE_PERMISSIONS = discord.Permissions(
    view_channel=True,
    send_messages=True,
    send_messages_in_threads=True,
    embed_links=True,
    attach_files=True,
    read_message_history=True,
)


class EssaybotClient(commands.Bot):
    """essaybot in Discord. Needs no privileged intent: it reads only its own interactions."""

    def __init__(self, app: Essaybot, *, clock: Clock = system_clock, **options: Any) -> None:
        intents = discord.Intents.none()
        intents.guilds = True  # guild, channel and role cache: moderator roles and channel names
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=intents,
            tree_cls=EssaybotTree,
            help_command=None,
            allowed_mentions=discord.AllowedMentions.none(),
            **options,
        )
        self.app, self.settings, self.clock = app, app.settings, clock
        cfg = self.settings.discord
        self.service = AnswerService(app)
        self.corpora = self.service.corpora  # the guilds' own corpora when corpus_scope = "per_guild"
        self.cooldowns = MemberCooldowns(cfg.cooldown_rate, cfg.cooldown_seconds, clock)
        self.recorder = DiscordRecorder(
            self.service, UserRefs(self.settings.data_dir, hashed=self.settings.hash_user_ids)
        )
        self.views = ViewRegistry(clock)
        self.connected = False
        self.connected_once = False  # the runner resets its backoff after a session that worked
        self._chores: list[asyncio.Task[None]] = []

    async def setup_hook(self) -> None:
        """Load the cogs, sync commands if they changed, and start the chores."""
        for cog in COGS:
            await self.add_cog(cog(self))
        await self.sync_commands()
        self._chores = [
            # Load the index and the model now, so that the first member's question is not the slow one.
            asyncio.create_task(self._warm_up(), name="essaybot-warmup"),
            asyncio.create_task(self._every(1.0, self.views.reap), name="essaybot-views"),
            asyncio.create_task(self._every(86400.0, self.recorder.purge, first=True), name="essaybot-purge"),
            asyncio.create_task(
                self._every(self.settings.discord.heartbeat_seconds, self._beat), name="essaybot-heartbeat"
            ),
        ]

    async def _every(
        self, seconds: float, chore: Callable[[], Awaitable[Any]], *, first: bool = False
    ) -> None:
        if not first:
            await asyncio.sleep(seconds)
        while True:
            try:
                await chore()
            except Exception:
                log.exception("background chore %s failed", getattr(chore, "__name__", chore))
            await asyncio.sleep(seconds)

    async def _warm_up(self) -> None:
        try:
            await self.service.run(lambda: self.app.retriever().embed(["warm-up"]))
        except Exception:
            log.exception("warm-up failed; the first question will load the model")

    async def _beat(self) -> None:
        if self.connected:
            write_heartbeat(self.settings.data_dir, "connected")

    # -- command sync -------------------------------------------------------------------------

    async def sync_commands(self) -> list[str]:
        """Sync to the dev guilds (instant) or globally, only where the definitions changed."""
        state_file = self.settings.data_dir / SYNC_STATE
        state = _read_state(state_file)
        guild_ids = self.settings.discord.dev_guild_ids
        scopes: list[discord.Object | None] = [discord.Object(g) for g in guild_ids] or [None]
        synced = []
        for guild in scopes:
            if guild is not None:
                self.tree.copy_global_to(guild=guild)
            key = f"{self.application_id}:{guild.id if guild else 'global'}"
            payload = [cmd.to_dict(self.tree) for cmd in self.tree.get_commands(guild=guild)]
            digest = hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()
            if state.get(key) == digest:
                continue
            await self.tree.sync(guild=guild)
            state[key] = digest
            synced.append(key)
            log.info(
                "synced %d commands to %s", len(payload), f"guild {guild.id}" if guild else "every server"
            )
        if synced:
            _write_state(state_file, state)
        else:
            log.info("application commands unchanged: no sync needed")
        return synced

    def invite_url(self) -> str:
        """The URL that adds the bot to a server with exactly the scopes and permissions it needs."""
        assert self.application_id is not None
        return discord.utils.oauth_url(
            self.application_id, permissions=INVITE_PERMISSIONS, scopes=("bot", "applications.commands")
        )

    # -- events -------------------------------------------------------------------------------

    async def on_ready(self) -> None:
        """Log who we are and how to invite us."""
        self.connected = self.connected_once = True
        write_heartbeat(self.settings.data_dir, "connected")
        log.info("connected as %s in %d servers; invite: %s", self.user, len(self.guilds), self.invite_url())

    async def on_resumed(self) -> None:
        """The gateway session came back."""
        self.connected = True
        write_heartbeat(self.settings.data_dir, "connected")

    async def on_disconnect(self) -> None:
        """discord.py reconnects by itself; the health check must say we are not connected meanwhile."""
        self.connected = False
        write_heartbeat(self.settings.data_dir, "connecting", "gateway disconnected")

    async def on_interaction(self, interaction: discord.Interaction) -> None:
        """Answer presses on buttons whose view has expired (discord.py would ignore them)."""
        await self.views.answer_stale_press(interaction)

    async def close(self) -> None:
        """Disable live buttons, stop the chores and the worker threads, then disconnect."""
        for task in self._chores:
            task.cancel()
        for task in self._chores:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.views.expire_all(), timeout=3)
        await super().close()
        self.service.close()
        self.connected = False


def _read_state(path: Path) -> dict[str, str]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def _write_state(path: Path, state: dict[str, str]) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(state, indent=2, sort_keys=True), encoding="utf-8")
    tmp.replace(path)
