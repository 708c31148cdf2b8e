"""/stats for moderators: usage, answer quality and feedback, all from the interaction log."""

from __future__ import annotations

from typing import Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord.checks import require_moderator
from bot.discord.context import Context
from bot.discord.host import Host
from bot.discord.render.stats_page import stats_page
from bot.discord.replies import send
from bot.store.models import utcnow
from bot.store.stats import compute_stats


class StatsCog(commands.Cog):
    """Moderator statistics."""

    def __init__(self, client: Host) -> None:
        self.client = client

    @app_commands.command(
        name="stats", description="Moderators: questions, answers found, latency, 👎 reports."
    )
    @app_commands.describe(window="Period to count (default: 7 days)")
    @app_commands.guild_only()
    @app_commands.default_permissions(manage_messages=True)
    async def stats(
        self, interaction: discord.Interaction, window: Literal["24h", "7d", "30d", "all"] = "7d"
    ) -> None:
        """/stats [window]: refused in code to non-moderators, whatever Discord's UI shows."""
        async with Context.of(interaction).entry("stats", {"window": window}):
            context = await require_moderator(interaction, "/stats")
            now = utcnow()
            result = await context.db(lambda s: compute_stats(s, window, now=now))
            await send(interaction, stats_page(result), ephemeral=True)
