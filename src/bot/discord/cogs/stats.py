"""/stats for moderators: usage, answer quality and feedback, all from the interaction log."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord.render.stats_page import stats_page
from bot.discord.replies import send
from bot.discord.tree import NotModerator
from bot.discord.views.base import is_moderator
from bot.store.db import session_scope
from bot.store.models import utcnow
from bot.store.stats import Stats, compute_stats

if TYPE_CHECKING:
    from bot.discord.client import EssaybotClient


class StatsCog(commands.Cog):
    """Moderator statistics."""

    def __init__(self, client: EssaybotClient) -> None:
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
        async with self.client.recorder.entry(interaction, "stats", {"window": window}):
            if interaction.guild_id is None:  # Discord hides it in DMs; a stale client may still send it
                raise app_commands.NoPrivateMessage()
            if not await is_moderator(interaction):
                raise NotModerator("/stats")
            engine, now = (await self.client.app_for(interaction.guild_id)).engine, utcnow()

            def compute() -> Stats:
                with session_scope(engine) as session:
                    return compute_stats(session, window, now=now)

            result = await self.client.service.run(compute)
            await send(interaction, stats_page(result), ephemeral=True)
