"""/passages for moderators: hide junk passages, show them again, and fix who speaks in a passage.

A passage is picked by autocomplete on its words (type a few, pick it), or given by its id; the
"Moderate this answer" panel offers the same actions on the passages of one answer.
"""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord.actions.moderation import ROLES, Outcome, attribute, set_hidden
from bot.discord.cogs.common import passage_choices
from bot.discord.context import Context
from bot.discord.host import Host
from bot.discord.render.common import finish
from bot.discord.replies import send
from bot.discord.views.moderation import CorrectView

ROLE_CHOICES = [app_commands.Choice(name=text, value=value) for value, text in ROLES.items()]
CORRECT_HINT = "Answers already posted still show the old version: press the button to correct them."


@app_commands.guild_only()
@app_commands.default_permissions(manage_messages=True)
class PassagesCog(
    commands.GroupCog, group_name="passages", group_description="Moderators: hide passages, fix speakers"
):
    """Passage moderation, per server."""

    def __init__(self, client: Host) -> None:
        self.client = client
        super().__init__()

    async def _reply(self, interaction: discord.Interaction, outcome: Outcome) -> None:
        if not outcome.changed:
            await send(interaction, finish(outcome.text, []), ephemeral=True)
            return
        view = CorrectView(self.client, interaction, interaction.user.id, outcome.passage_id)
        await send(interaction, finish(f"{outcome.text}\n{CORRECT_HINT}", []), ephemeral=True, view=view)
        view.register()

    @app_commands.command(name="hide", description="Never show this passage in this server's answers.")
    @app_commands.describe(passage="Type a few of its words and pick it (or give its id)")
    async def hide(self, interaction: discord.Interaction, passage: app_commands.Range[str, 1, 300]) -> None:
        """/passages hide passage."""
        async with Context.of(interaction).entry("passages_hide", {"passage": passage}):
            await self._reply(interaction, await set_hidden(interaction, passage, True))

    @app_commands.command(name="unhide", description="Show a hidden passage in answers again.")
    @app_commands.describe(passage="Type a few of its words and pick it (or give its id)")
    async def unhide(
        self, interaction: discord.Interaction, passage: app_commands.Range[str, 1, 300]
    ) -> None:
        """/passages unhide passage."""
        async with Context.of(interaction).entry("passages_unhide", {"passage": passage}):
            await self._reply(interaction, await set_hidden(interaction, passage, False))

    @app_commands.command(name="attribute", description="Say who really speaks in a passage.")
    @app_commands.describe(
        passage="Type a few of its words and pick it (or give its id)",
        speaker="Who speaks, e.g. Tempest editors",
        role="How the essay uses the words (default: quoted)",
    )
    @app_commands.choices(role=ROLE_CHOICES)
    async def attribute(
        self,
        interaction: discord.Interaction,
        passage: app_commands.Range[str, 1, 300],
        speaker: app_commands.Range[str, 1, 200],
        role: app_commands.Choice[str] | None = None,
    ) -> None:
        """/passages attribute passage speaker [role]."""
        value = role.value if role else "quoted"
        options = {"passage": passage, "speaker": speaker, "role": value}
        async with Context.of(interaction).entry("passages_attribute", options):
            await self._reply(interaction, await attribute(interaction, passage, speaker, value))

    @hide.autocomplete("passage")
    @unhide.autocomplete("passage")
    @attribute.autocomplete("passage")
    async def _passage(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await passage_choices(interaction, current)
