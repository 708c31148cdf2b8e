"""Who may do what, checked in code whatever Discord's UI shows: moderators, answer channels, cooldowns.

Server admins can show any command to anyone, so every moderator command and button checks again
here. All of it follows the server's effective settings (``/settings`` over the config defaults),
read once per interaction, so a change applies to the next command without a restart.
"""

from __future__ import annotations

from collections.abc import Awaitable, Coroutine, Generator
from typing import Any

import discord
from discord import app_commands

from bot.discord.context import Context
from bot.discord.errors import Cooldown, NotModerator


class WrongChannel(app_commands.CheckFailure):
    """A question asked in a channel where this server does not want the bot to answer."""

    def __init__(self, channel_ids: list[int]) -> None:
        shown = ", ".join(f"<#{c}>" for c in channel_ids[:10])
        more = f" and {len(channel_ids) - 10} more" if len(channel_ids) > 10 else ""
        super().__init__(f"In this server I answer questions only in {shown}{more}. Ask me there!")


class _Verdict:
    """An awaitable yes/no that refuses to be used as a bool without ``await``.

    A forgotten ``await`` on a plain coroutine would be truthy, so ``if not is_moderator(i)`` would
    let everyone through; this fails closed (TypeError) instead.
    """

    def __init__(self, coro: Coroutine[Any, Any, bool]) -> None:
        self._coro = coro

    def __await__(self) -> Generator[Any, None, bool]:
        return self._coro.__await__()

    def __bool__(self) -> bool:
        self._coro.close()
        raise TypeError("is_moderator() must be awaited")


def is_moderator(interaction: discord.Interaction) -> Awaitable[bool]:
    """Manage Messages (or Manage Server) here, or one of the guild's moderator roles; await it.

    The moderator roles are the guild's effective setting (``/settings``), so they apply at once.
    Manage Server counts because whoever has it can make themselves a moderator in ``/settings``.
    """
    return _Verdict(_is_moderator(interaction))


async def _is_moderator(interaction: discord.Interaction) -> bool:
    if interaction.guild_id is None:
        return False
    perms = interaction.permissions
    if perms.manage_messages or perms.manage_guild:
        return True
    roles = set((await Context.of(interaction).settings()).moderator_role_ids)
    member_roles = getattr(interaction.user, "roles", [])
    return any(role.id in roles for role in member_roles)


async def require_moderator(interaction: discord.Interaction, what: str) -> Context:
    """The interaction's context once its member is known to be a moderator of its server.

    Raises ``NoPrivateMessage`` outside servers and ``NotModerator`` for everyone else.
    """
    if interaction.guild_id is None:
        raise app_commands.NoPrivateMessage()
    if not await is_moderator(interaction):
        raise NotModerator(what)
    return Context.of(interaction)


async def check_question(interaction: discord.Interaction) -> None:
    """Refuse a question outside the guild's answer channels (``WrongChannel``) or too fast (``Cooldown``)."""
    settings = await Context.of(interaction).settings()
    allowed = settings.answer_channel_ids
    if interaction.guild_id is not None and allowed:
        # A thread counts as its parent channel.
        parent = getattr(interaction.channel, "parent_id", None)
        if interaction.channel_id not in allowed and parent not in allowed:
            raise WrongChannel(allowed)
    await check_cooldown(interaction)


async def check_cooldown(interaction: discord.Interaction) -> None:
    """Raise ``Cooldown`` (answered with the retry time) when the member asks too fast for this guild."""
    context = Context.of(interaction)
    settings = await context.settings()
    rate, per = settings.cooldown_rate, settings.cooldown_seconds
    retry = context.host.cooldowns.hit(interaction.user.id, guild_id=interaction.guild_id, rate=rate, per=per)
    if retry is not None:
        raise Cooldown(app_commands.Cooldown(rate, per), retry)
