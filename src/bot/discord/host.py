"""What the cogs, views and actions use of the running client, as a protocol they can import.

``EssaybotClient`` provides it. Typing them against this protocol instead of the client class keeps
the imports pointing one way: the client imports its cogs, and nothing below it imports the client.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

import discord
from discord import app_commands

from bot.config import Settings
from bot.core.corpora import Corpora
from bot.discord.clock import Clock
from bot.discord.cooldown import MemberCooldowns
from bot.discord.records import DiscordRecorder
from bot.discord.registry import ViewRegistry
from bot.discord.service import AnswerService


class Host(Protocol):
    """The client as its parts see it: settings, services, the view registry and Discord's lookups."""

    settings: Settings
    clock: Clock
    service: AnswerService
    corpora: Corpora
    recorder: DiscordRecorder
    cooldowns: MemberCooldowns
    views: ViewRegistry

    @property
    def guilds(self) -> Sequence[discord.Guild]:
        """The servers the bot is in."""
        ...

    @property
    def user(self) -> discord.ClientUser | None:
        """The bot's own user, once connected."""
        ...

    @property
    def tree(self) -> app_commands.CommandTree[Any]:
        """The command tree (cogs add their context menus to it)."""
        ...

    def get_channel(
        self, id: int, /
    ) -> discord.abc.GuildChannel | discord.Thread | discord.abc.PrivateChannel | None:
        """A cached channel."""
        ...

    async def fetch_channel(
        self, channel_id: int, /
    ) -> discord.abc.GuildChannel | discord.abc.PrivateChannel | discord.Thread:
        """A channel from Discord."""
        ...

    def get_partial_messageable(
        self, id: int, *, guild_id: int | None = None, type: discord.ChannelType | None = None
    ) -> discord.PartialMessageable:
        """A channel to edit messages in, without fetching it."""
        ...
