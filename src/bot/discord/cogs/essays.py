"""/essays list: the corpus, paginated; the owners' add, remove, restore and edit are in essays_admin."""

from __future__ import annotations

import functools

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord.cogs.essays_admin import EssaysAdmin
from bot.discord.context import Context
from bot.discord.host import Host
from bot.discord.render.info import essays_page
from bot.discord.replies import send
from bot.discord.views.base import PagedView

PER_PAGE = 5


@app_commands.allowed_contexts(guilds=True, dms=True, private_channels=True)
class EssaysCog(
    EssaysAdmin,
    commands.GroupCog,
    group_name="essays",
    group_description="The essays the bot quotes from",
):
    """The library of essays: everyone lists it; the bot's owners change it (``EssaysAdmin``)."""

    def __init__(self, client: Host) -> None:
        self.client = client
        super().__init__()

    @app_commands.command(
        name="list", description="Every essay in the library, with authors, dates and links."
    )
    async def list_essays(self, interaction: discord.Interaction) -> None:
        """/essays list."""
        async with Context.of(interaction).entry("essays", {}) as entry:
            essays = await self.client.service.essays(guild_id=interaction.guild_id)
            entry.verdict = str(len(essays))
            page = functools.partial(essays_page, per_page=PER_PAGE)
            view = PagedView(self.client, interaction, interaction.user.id, essays, PER_PAGE, page)
            entry.message_id = await send(interaction, view.page(), ephemeral=True, view=view)
            view.register()
