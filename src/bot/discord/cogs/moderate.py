"""The "Moderate this answer" message command: a private panel for moderators on one of the bot's answers.

Buttons on a public answer are the same for everyone, so moderator actions cannot live there. The
command finds the logged interaction behind the message (``InteractionRow.message_id``) and opens an
ephemeral panel on the passages that answer showed: save quote, hide, fix attribution, correct, and for
a who-said answer the verdict of the question on each passage.
"""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.curation.answers import answer_state, logged_answer
from bot.curation.audit import CurationError
from bot.discord.checks import require_moderator
from bot.discord.context import Context
from bot.discord.host import Host
from bot.discord.replies import send
from bot.discord.views.moderation import ModerationPanel

NAME = "Moderate this answer"


class ModerateCog(commands.Cog):
    """The context-menu entry point of moderation."""

    def __init__(self, client: Host) -> None:
        self.client = client
        self.menu = app_commands.ContextMenu(name=NAME, callback=self.moderate)
        self.menu.guild_only = True
        self.menu.default_permissions = discord.Permissions(manage_messages=True)

    async def cog_load(self) -> None:
        """Context menus cannot be declared inside a cog: add it by hand."""
        self.client.tree.add_command(self.menu)

    async def cog_unload(self) -> None:
        """Remove the context menu with the cog."""
        self.client.tree.remove_command(self.menu.name, type=self.menu.type)

    async def moderate(self, interaction: discord.Interaction, message: discord.Message) -> None:
        """Right-click one of the bot's answers → Apps → Moderate this answer."""
        options = {"message_id": str(message.id)}
        async with Context.of(interaction).entry("moderate", options) as entry:
            context = await require_moderator(interaction, NAME)
            gid = context.gid
            me = self.client.user
            if me is None or message.author.id != me.id:
                raise CurationError("That is not one of my answers: use this on a message I posted.")
            logged = await context.db(lambda s: logged_answer(s, gid, message.id))
            if logged is None:
                days = self.client.settings.retention_days
                raise CurationError(
                    "I have no record of that answer: answers are logged for "
                    f"{days} days, and copies shared from a private answer are not."
                )
            ids, claim = logged
            state = await context.db(lambda s: answer_state(s, gid, ids, claim))
            if not state.passages:
                raise CurationError("That answer showed no passage that is still in the library.")
            entry.passage_ids = [p.id for p in state.passages]
            panel = ModerationPanel(self.client, interaction, interaction.user.id, state, claim=claim)
            await send(interaction, panel.page(), ephemeral=True, view=panel)
            panel.register()
