"""The command tree's central error handler: short private replies, and an id for the unexpected.

Errors a member can cause (bad query, unknown author, cooldown, missing permission) are answered
with their own message. Anything else is a bug: it is logged with a short id, and the member gets a
generic reply that quotes the id, so a moderator can find the traceback.
"""

from __future__ import annotations

import logging
import math
import secrets
from typing import TYPE_CHECKING

import discord
from discord import app_commands

from bot.discord.records import LOGGED, describe
from bot.discord.replies import send_error
from bot.errors import EssaybotError

if TYPE_CHECKING:
    from bot.discord.client import EssaybotClient

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
    return None


async def report_error(interaction: discord.Interaction, error: BaseException) -> None:
    """Answer a failed interaction privately, and log it when it is unexpected."""
    message = user_message(error)
    if message is None:
        error_id = secrets.token_hex(4)
        original = getattr(error, "original", None) or error
        log.error("unexpected error %s in %s", error_id, _where(interaction), exc_info=original)
        message = f"Something went wrong on my side (error id `{error_id}`). A moderator can look it up."
    await send_error(interaction, message)


def _where(interaction: discord.Interaction) -> str:
    command = interaction.command.qualified_name if interaction.command else interaction.type.name
    return f"{command} (guild {interaction.guild_id}, channel {interaction.channel_id})"


class EssaybotTree(app_commands.CommandTree["EssaybotClient"]):
    """Routes every command error to ``report_error`` and logs failures nobody logged yet."""

    async def on_error(self, interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
        """Central handler for every app command (and context menu) error."""
        if not interaction.extras.get(LOGGED):
            # Failed before the command body ran (a check, a bad option): log it here.
            client: EssaybotClient = interaction.client  # type: ignore[assignment]
            name = interaction.command.qualified_name if interaction.command else "unknown"
            entry = client.recorder.new_entry(name.replace(" ", "_").replace("-", "_"), {})
            entry.error = describe(error)
            await client.recorder.write(interaction, entry, started=None)
        await report_error(interaction, error)
