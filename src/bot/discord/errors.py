"""The command tree's central error handler: short private replies, and an id for the unexpected.

Errors a member can cause (bad query, unknown author, cooldown, missing permission) are answered
with their own message. So are the ordinary troubles of a distributed system, logged in one line
without a traceback: a command whose definition the member's Discord has not caught up with yet
(for up to an hour after a global sync), an interaction that expired before we could acknowledge
it (10062), Discord failing with a 5xx. Anything else is a bug: it is logged with a short id, and
the member gets a generic reply that quotes the id, so a moderator can find the traceback.
"""

from __future__ import annotations

import contextlib
import logging
import math
import secrets
from typing import Any

import discord
from discord import app_commands

from bot.discord.replies import send_error
from bot.errors import EssaybotError

log = logging.getLogger(__name__)


class NotModerator(app_commands.CheckFailure):
    """A member command's moderator-only action, or a moderator command, used by a member."""

    def __init__(self, what: str = "This command") -> None:
        super().__init__(f"{what} is for moderators (Manage Messages, or a moderator role).")


class NotOwner(app_commands.CheckFailure):
    """Someone pressed a button that belongs to another member."""

    def __init__(self, what: str) -> None:
        super().__init__(what)


class Cooldown(app_commands.CommandOnCooldown):
    """Too many questions too fast."""


STALE_COMMAND = (
    "This command was just updated and your Discord still has the old version. "
    "Try again in a minute (reloading Discord with Ctrl+R fetches the new one at once)."
)
DISCORD_TROUBLE = "Discord did not take my answer just now (a problem on Discord's side). Please try again."
UNKNOWN_INTERACTION = 10062  # Discord error code: the interaction expired before it was acknowledged


def _original(error: BaseException) -> BaseException:
    return getattr(error, "original", None) or error


def is_stale_command(error: BaseException) -> bool:
    """Whether the member's Discord sent a command this bot no longer has in that shape."""
    return isinstance(_original(error), app_commands.CommandNotFound | app_commands.CommandSignatureMismatch)


def user_message(error: BaseException) -> str | None:
    """The message for an error the member caused, or None when it is a bug."""
    original = getattr(error, "original", None) or error
    if isinstance(original, EssaybotError):
        return str(original)
    if isinstance(original, app_commands.CommandOnCooldown):
        wait = max(1, math.ceil(original.retry_after))
        return f"Slow down a little: you can ask again in {wait} s."
    if isinstance(original, app_commands.NoPrivateMessage):
        return "This command works only in a server, not in direct messages."
    if isinstance(original, app_commands.MissingPermissions | NotModerator):
        return str(original) if isinstance(original, NotModerator) else str(NotModerator())
    if isinstance(original, app_commands.CheckFailure) and str(original):
        return str(original)
    if isinstance(original, app_commands.TransformerError):
        return f"I could not understand {original.value!r} for that option."
    if is_stale_command(original):
        return STALE_COMMAND
    if isinstance(original, discord.DiscordServerError):
        return DISCORD_TROUBLE
    return None


async def report_error(interaction: discord.Interaction, error: BaseException) -> None:
    """Answer a failed interaction privately, and log it when it is unexpected."""
    original = _original(error)
    if isinstance(original, discord.NotFound) and original.code == UNKNOWN_INTERACTION:
        # Not acknowledged within Discord's 3 s (a slow start, a stalled loop, a late gateway event):
        # the interaction is gone and there is no one to answer.
        log.warning("interaction expired before it was acknowledged (10062) in %s", _where(interaction))
        return
    if interaction.type is discord.InteractionType.autocomplete:
        # Suggestions cannot carry a message; an empty list is the only answer there is.
        log.info("autocomplete failed in %s: %s", _where(interaction), type(original).__name__)
        if not interaction.response.is_done():
            with contextlib.suppress(discord.HTTPException):
                await interaction.response.autocomplete([])
        return
    message = user_message(error)
    if message is None:
        error_id = secrets.token_hex(4)
        log.error("unexpected error %s in %s", error_id, _where(interaction), exc_info=original)
        message = f"Something went wrong on my side (error id `{error_id}`). A moderator can look it up."
    elif is_stale_command(original):
        # Normal for up to an hour after a global sync: Discord clients cache definitions.
        log.warning("outdated command from Discord in %s: %s", _where(interaction), type(original).__name__)
    elif isinstance(original, discord.DiscordServerError):
        log.warning("Discord failed in %s: HTTP %s", _where(interaction), original.status)
    await send_error(interaction, message)


def _where(interaction: discord.Interaction) -> str:
    command = interaction.command.qualified_name if interaction.command else _sent_name(interaction)
    return f"{command} (guild {interaction.guild_id}, channel {interaction.channel_id})"


def _sent_name(interaction: discord.Interaction) -> str:
    """The command name Discord sent (a command this bot may not have), else the interaction type."""
    data: dict[str, Any] = dict(interaction.data or {})
    name = data.get("name") if interaction.type is not discord.InteractionType.component else None
    return f"{name!s:.100} ({interaction.type.name})" if name else interaction.type.name
