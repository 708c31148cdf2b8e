"""/essays list: the corpus, paginated; the owners' add, remove, restore and edit are in essays_admin."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord.cogs.essays_admin import EssaysAdmin
from bot.discord.replies import send
from bot.discord.views.panels import EssaysView

if TYPE_CHECKING:
    from bot.discord.client import EssaybotClient


@app_commands.allowed_contexts(guilds=True, dms=True, private_channels=True)
class EssaysCog(
    EssaysAdmin,
    commands.GroupCog,
    group_name="essays",
    group_description="The essays the bot quotes from",
):
    """The library of essays: everyone lists it; the bot's owners change it (``EssaysAdmin``)."""

    def __init__(self, client: EssaybotClient) -> None:
        self.client = client
        super().__init__()

    @app_commands.command(
        name="list", description="Every essay in the library, with authors, dates and links."
    )
    async def list_essays(self, interaction: discord.Interaction) -> None:
        """/essays list."""
        async with self.client.recorder.entry(interaction, "essays", {}) as entry:
            essays = await self.client.service.essays(guild_id=interaction.guild_id)
            entry.verdict = str(len(essays))
            view = EssaysView(self.client, interaction, interaction.user.id, essays)
            entry.message_id = await send(interaction, view.page(), ephemeral=True, view=view)
            view.register()
