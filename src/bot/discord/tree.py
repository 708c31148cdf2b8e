"""The command tree: every app command error goes to ``errors.report_error``, logged first when the
command body never ran (a failed check, a bad option)."""

from __future__ import annotations

import discord
from discord import app_commands

from bot.core.interactions import describe
from bot.discord.context import Context
from bot.discord.errors import report_error
from bot.discord.records import LOGGED


class EssaybotTree(app_commands.CommandTree[discord.Client]):
    """Routes every command error to ``report_error`` and logs failures nobody logged yet."""

    async def on_error(self, interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
        """Central handler for every app command (and context menu) error."""
        autocomplete = interaction.type is discord.InteractionType.autocomplete
        if not interaction.extras.get(LOGGED) and not autocomplete:  # suggestions are not logged
            # Failed before the command body ran (a check, a bad option): log it here.
            recorder = Context.of(interaction).recorder
            name = interaction.command.qualified_name if interaction.command else "unknown"
            entry = recorder.new_entry(name.replace(" ", "_").replace("-", "_"), {})
            entry.error = describe(error)
            await recorder.write(interaction, entry, started=None)
        await report_error(interaction, error)
