"""The "Moderate this answer" message command: a private panel for moderators on one of the bot's answers.

Buttons on a public answer are the same for everyone, so moderator actions cannot live there. The
command finds the logged interaction behind the message (``InteractionRow.message_id``) and opens an
ephemeral panel on the passages that answer showed: save quote, hide, fix attribution, correct, and for
a who-said answer the verdict of the question on each passage.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.curation.audit import CurationError
from bot.curation.verdicts import claim_key
from bot.discord.actions.corrections import WHO_SAID
from bot.discord.actions.moderation import in_session, require_moderator
from bot.discord.replies import send
from bot.discord.views.moderation import ModerationPanel, load_panel_state, load_rulings
from bot.errors import EssaybotError
from bot.store.models import InteractionRow

if TYPE_CHECKING:
    from bot.discord.client import EssaybotClient

NAME = "Moderate this answer"


def logged_passages(session: Session, guild_id: str, message_id: int) -> list[str] | None:
    """The passages the logged answer shown in ``message_id`` showed; None when no answer is logged."""
    found = logged_answer(session, guild_id, message_id)
    return None if found is None else found[0]


def logged_answer(session: Session, guild_id: str, message_id: int) -> tuple[list[str], str | None] | None:
    """The passages the answer in ``message_id`` showed and, for a who-said answer, its folded claim.

    None when no answer is logged for that message.
    """
    row = session.scalars(
        select(InteractionRow)
        .where(InteractionRow.guild_id == guild_id, InteractionRow.message_id == str(message_id))
        .order_by(InteractionRow.id.desc())
    ).first()
    if row is None:
        return None
    query = (row.options or {}).get("query")
    claim = None
    if row.command in WHO_SAID and isinstance(query, str):
        try:
            claim = claim_key(query) or None
        except EssaybotError:
            claim = None  # a question that no longer parses: no verdict to override
    return list(row.passage_ids), claim


class ModerateCog(commands.Cog):
    """The context-menu entry point of moderation."""

    def __init__(self, client: EssaybotClient) -> None:
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
        async with self.client.recorder.entry(interaction, "moderate", options) as entry:
            gid = await require_moderator(interaction, NAME)
            me = self.client.user
            if me is None or message.author.id != me.id:
                raise CurationError("That is not one of my answers: use this on a message I posted.")
            logged = await in_session(self.client, gid, lambda s: logged_answer(s, gid, message.id))
            if logged is None:
                days = self.client.settings.retention_days
                raise CurationError(
                    "I have no record of that answer: answers are logged for "
                    f"{days} days, and copies shared from a private answer are not."
                )
            ids, claim = logged
            passages, curated = await load_panel_state(self.client, gid, ids)
            if not passages:
                raise CurationError("That answer showed no passage that is still in the library.")
            entry.passage_ids = [p.id for p in passages]
            rulings = await load_rulings(self.client, gid, claim, ids) if claim else {}
            panel = ModerationPanel(
                self.client, interaction, interaction.user.id, passages, curated, claim=claim, rulings=rulings
            )
            await send(interaction, panel.page(), ephemeral=True, view=panel)
            panel.register()
