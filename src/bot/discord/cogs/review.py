"""/review: the passages members reported with 👎 in this server, for moderators to act on, and the
questions whose verdict members reported, grouped by question."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord.cogs.audit import moderator_guild
from bot.discord.replies import send
from bot.discord.views.review import ReviewView, load_queue, load_verdict_reports, queue_page

if TYPE_CHECKING:
    from bot.discord.client import EssaybotClient


class ReviewCog(commands.Cog):
    """The review queue."""

    def __init__(self, client: EssaybotClient) -> None:
        self.client = client

    @app_commands.command(
        name="review", description="Moderators: passages reported with 👎, most reported first."
    )
    @app_commands.guild_only()
    @app_commands.default_permissions(manage_messages=True)
    async def review(self, interaction: discord.Interaction) -> None:
        """/review: a private panel with Hide, Fix attribution and Dismiss on each passage."""
        async with self.client.recorder.entry(interaction, "review", {}) as entry:
            guild_id = await moderator_guild(interaction, "/review")
            items = await load_queue(self.client, guild_id)
            verdicts = await load_verdict_reports(self.client, guild_id)
            entry.passage_ids = [i.passage_id for i in items[:50]]
            if not items:
                entry.verdict = "empty" if not verdicts else "verdicts"
                view = None
            else:
                view = ReviewView(self.client, interaction, interaction.user.id, guild_id, items, verdicts)
            page = view.page() if view else queue_page([], 0, verdicts=verdicts)
            await send(interaction, page, ephemeral=True, view=view)
            if view is not None:
                view.register()
