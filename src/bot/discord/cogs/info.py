"""/about, /help and /privacy: what the bot is, how to use it, what it keeps about you."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord.context import Context
from bot.discord.host import Host
from bot.discord.render import info_pages
from bot.discord.replies import send
from bot.discord.views.panels import ConfirmView

EVERYWHERE = {"guilds": True, "dms": True, "private_channels": True}


class InfoCog(commands.Cog):
    """Information commands; every reply is private."""

    privacy = app_commands.Group(
        name="privacy",
        description="What the bot logs about you, and deleting it",
        allowed_contexts=app_commands.AppCommandContext(guild=True, dm_channel=True, private_channel=True),
    )

    def __init__(self, client: Host) -> None:
        self.client = client

    @app_commands.command(name="about", description="What this bot is, its library and what it logs.")
    @app_commands.allowed_contexts(**EVERYWHERE)
    async def about(self, interaction: discord.Interaction) -> None:
        """/about."""
        context = Context.of(interaction)
        async with context.entry("about", {}):
            counts = await context.run((await context.app()).counts)
            await send(interaction, info_pages.about(self.client.settings, counts), ephemeral=True)

    @app_commands.command(name="help", description="Every command, with an example.")
    @app_commands.allowed_contexts(**EVERYWHERE)
    async def help(self, interaction: discord.Interaction) -> None:
        """/help."""
        async with Context.of(interaction).entry("help", {}):
            await send(interaction, info_pages.help_page(), ephemeral=True)

    @privacy.command(name="info", description="What is logged, for how long, and who can see it.")
    async def privacy_info(self, interaction: discord.Interaction) -> None:
        """/privacy info."""
        async with Context.of(interaction).entry("privacy", {}):
            await send(interaction, info_pages.privacy(self.client.settings), ephemeral=True)

    @privacy.command(name="forget-me", description="Delete everything the bot logged about you.")
    async def forget_me(self, interaction: discord.Interaction) -> None:
        """/privacy forget-me, after a confirmation."""
        recorder = self.client.recorder

        async def forget(press: discord.Interaction) -> str:
            deleted = await recorder.forget(press.user.id)
            return f"Done: deleted {deleted} logged interaction(s) and your feedback. This cannot be undone."

        view = ConfirmView(
            self.client, interaction, interaction.user.id, forget, confirm_label="Delete my data"
        )
        # Not logged: a row saying "forget me" would itself be data about the member.
        await send(
            interaction,
            info_pages.forget_me_prompt(),
            ephemeral=True,
            view=view,
        )
        view.register()
