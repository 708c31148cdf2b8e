"""/passages for moderators: hide junk passages, show them again, and fix who speaks in a passage.

A passage is picked by autocomplete on its words (type a few, pick it), or given by its id; the
"Moderate this answer" panel offers the same actions on the passages of one answer.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.curation.passages import PassageInfo, find_passages
from bot.discord.actions.moderation import ROLES, Outcome, attribute, in_session, set_hidden
from bot.discord.render import limits
from bot.discord.render.common import finish, one_line
from bot.discord.replies import send
from bot.discord.views.base import is_moderator
from bot.discord.views.moderation import CorrectView

if TYPE_CHECKING:
    from bot.discord.client import EssaybotClient

ROLE_CHOICES = [app_commands.Choice(name=text, value=value) for value, text in ROLES.items()]
CORRECT_HINT = "Answers already posted still show the old version: press the button to correct them."


def choice_label(info: PassageInfo) -> str:
    """“words…” — Author, Title (plain text, at most 100 characters), marked when hidden."""
    source = f" — {one_line(info.author_line)}, {one_line(info.title)}"
    room = limits.SELECT_OPTION_LABEL - len(source) - 4 - (9 if info.hidden else 0)
    words = limits.truncate(one_line(info.text), max(room, 30), markdown=False)
    label = f"{'[hidden] ' if info.hidden else ''}“{words}”{source}"
    return limits.truncate(label, 100, markdown=False)


async def passage_choices(
    client: EssaybotClient, interaction: discord.Interaction, current: str
) -> list[app_commands.Choice[str]]:
    """Passages whose words match what the moderator typed (nothing for anyone else)."""
    if interaction.guild_id is None or not await is_moderator(interaction) or not current.strip():
        return []
    gid = str(interaction.guild_id)
    found = await in_session(client, gid, lambda s: find_passages(s, gid, current, limit=25))
    return [app_commands.Choice(name=choice_label(p), value=p.id) for p in found]


@app_commands.guild_only()
@app_commands.default_permissions(manage_messages=True)
class PassagesCog(
    commands.GroupCog, group_name="passages", group_description="Moderators: hide passages, fix speakers"
):
    """Passage moderation, per server."""

    def __init__(self, client: EssaybotClient) -> None:
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
        async with self.client.recorder.entry(interaction, "passages_hide", {"passage": passage}):
            await self._reply(interaction, await set_hidden(self.client, interaction, passage, True))

    @app_commands.command(name="unhide", description="Show a hidden passage in answers again.")
    @app_commands.describe(passage="Type a few of its words and pick it (or give its id)")
    async def unhide(
        self, interaction: discord.Interaction, passage: app_commands.Range[str, 1, 300]
    ) -> None:
        """/passages unhide passage."""
        async with self.client.recorder.entry(interaction, "passages_unhide", {"passage": passage}):
            await self._reply(interaction, await set_hidden(self.client, interaction, passage, False))

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
        async with self.client.recorder.entry(interaction, "passages_attribute", options):
            await self._reply(interaction, await attribute(self.client, interaction, passage, speaker, value))

    @hide.autocomplete("passage")
    @unhide.autocomplete("passage")
    @attribute.autocomplete("passage")
    async def _passage(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await passage_choices(self.client, interaction, current)
