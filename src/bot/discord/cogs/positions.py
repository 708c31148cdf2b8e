"""/positions: the best passage of every author on a topic, a map of the debate."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord.cogs.common import answer_visibility, check_question
from bot.discord.replies import defer, send
from bot.discord.tree import declare_max_length
from bot.discord.views.panels import PositionsView

if TYPE_CHECKING:
    from bot.discord.client import EssaybotClient


class PositionsCog(commands.Cog):
    """Every author's position on a topic, one line each."""

    def __init__(self, client: EssaybotClient) -> None:
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
        visibility = await answer_visibility(self.client, interaction)
        async with self.client.recorder.entry(interaction, "positions", {"topic": topic}) as entry:
            await check_question(self.client, interaction)
            parsed = self.client.service.topic(topic)
            await defer(interaction, ephemeral=visibility == "ephemeral")
            answer = await self.client.service.answer_positions(parsed, guild_id=interaction.guild_id)
            entry.describe_positions(answer)
            view = PositionsView(self.client, interaction, interaction.user.id, answer, visibility=visibility)
            entry.message_id = await send(
                interaction, view.page(), ephemeral=visibility == "ephemeral", view=view
            )
            view.register(entry.message_id)
