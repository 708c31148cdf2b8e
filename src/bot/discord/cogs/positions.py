"""/positions: the best passage of every author on a topic, a map of the debate."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord.checks import check_question
from bot.discord.cogs.common import answer_visibility, declare_max_length
from bot.discord.context import Context
from bot.discord.host import Host
from bot.discord.replies import defer, send
from bot.discord.views.panels import PositionsView


class PositionsCog(commands.Cog):
    """Every author's position on a topic, one line each."""

    def __init__(self, client: Host) -> None:
        self.client = client
        # Discord enforces the configured length while the member types (6000 is only the ceiling).
        declare_max_length(self.positions, "topic", client.settings.max_query_chars)

    @app_commands.command(
        name="positions", description="Each author's best passage on a topic, one line each."
    )
    @app_commands.describe(topic="e.g. arming Ukraine")
    @app_commands.allowed_contexts(guilds=True, dms=True, private_channels=True)
    async def positions(
        self, interaction: discord.Interaction, topic: app_commands.Range[str, 1, 6000]
    ) -> None:
        """/positions topic."""
        visibility = await answer_visibility(interaction)
        async with Context.of(interaction).entry("positions", {"topic": topic}) as entry:
            await check_question(interaction)
            parsed = self.client.service.topic(topic)
            await defer(interaction, ephemeral=visibility == "ephemeral")
            answer = await self.client.service.answer_positions(parsed, guild_id=interaction.guild_id)
            entry.describe_positions(answer)
            view = PositionsView(self.client, interaction, interaction.user.id, answer, visibility=visibility)
            entry.message_id = await send(
                interaction, view.page(), ephemeral=visibility == "ephemeral", view=view
            )
            view.register(entry.message_id)
