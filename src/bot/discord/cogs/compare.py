"""/compare: two authors' or essays' passages on a topic, one embed per side."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord.checks import check_question
from bot.discord.cogs.common import answer_visibility, declare_max_length, name_choices
from bot.discord.context import Context
from bot.discord.host import Host
from bot.discord.render import answers as render
from bot.discord.replies import defer, send
from bot.discord.views.panels import CompareView


class CompareCog(commands.Cog):
    """Side by side: what A and B wrote on a topic."""

    def __init__(self, client: Host) -> None:
        self.client = client
        # Discord enforces the configured length while the member types (6000 is only the ceiling).
        declare_max_length(self.compare, "topic", client.settings.max_query_chars)

    @app_commands.command(
        name="compare", description="What two authors or essays say on a topic, side by side."
    )
    @app_commands.describe(a="An author or essay", b="Another author or essay", topic="e.g. NATO expansion")
    @app_commands.allowed_contexts(guilds=True, dms=True, private_channels=True)
    async def compare(
        self,
        interaction: discord.Interaction,
        a: app_commands.Range[str, 1, 200],
        b: app_commands.Range[str, 1, 200],
        topic: app_commands.Range[str, 1, 6000],
    ) -> None:
        """/compare a b topic."""
        visibility = await answer_visibility(interaction)
        service = self.client.service
        async with Context.of(interaction).entry("compare", {"a": a, "b": b, "topic": topic}) as entry:
            await check_question(interaction)
            parsed = service.topic(topic)
            side_a = await service.resolve_named(a, guild_id=interaction.guild_id)
            side_b = await service.resolve_named(b, guild_id=interaction.guild_id)
            await defer(interaction, ephemeral=visibility == "ephemeral")
            answer = await service.answer_compare(side_a, side_b, parsed, guild_id=interaction.guild_id)
            entry.describe_compare(answer)
            view = CompareView(self.client, interaction, interaction.user.id, answer, visibility=visibility)
            rendered = render.compare(answer, visibility=visibility)
            entry.message_id = await send(
                interaction, rendered, ephemeral=visibility == "ephemeral", view=view
            )
            view.register(entry.message_id)

    @compare.autocomplete("a")
    async def _a(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        return await name_choices(interaction, current)

    @compare.autocomplete("b")
    async def _b(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        return await name_choices(interaction, current)
