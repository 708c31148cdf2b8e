"""/review: the passages members reported with 👎 in this server, for moderators to act on, and the
questions whose verdict members reported, grouped by question."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord.checks import require_moderator
from bot.discord.context import Context
from bot.discord.host import Host
from bot.discord.render.reports import queue_page
from bot.discord.replies import send
from bot.discord.views.review import ReviewView, load_queue


class ReviewCog(commands.Cog):
    """The review queue."""

    def __init__(self, client: Host) -> None:
        self.client = client

    @app_commands.command(
        name="review", description="Moderators: passages reported with 👎, most reported first."
    )
    @app_commands.guild_only()
    @app_commands.default_permissions(manage_messages=True)
    async def review(self, interaction: discord.Interaction) -> None:
        """/review: a private panel with Hide, Fix attribution and Dismiss on each passage."""
        async with Context.of(interaction).entry("review", {}) as entry:
            context = await require_moderator(interaction, "/review")
            items, verdicts = await load_queue(context)
            entry.passage_ids = [i.passage_id for i in items[:50]]
            if not items:
                entry.verdict = "empty" if not verdicts else "verdicts"
                await send(interaction, queue_page([], 0, verdicts=verdicts), ephemeral=True)
                return
            view = ReviewView(self.client, interaction, interaction.user.id, items, verdicts)
            await send(interaction, view.page(), ephemeral=True, view=view)
            view.register()
