"""/audit show and /audit undo: the curation log of a server, and reverting one action from it."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.curation import audit
from bot.curation.audit import CurationError
from bot.discord.actions import modlog
from bot.discord.render.common import one_line
from bot.discord.render.markdown import escape
from bot.discord.replies import send, send_text
from bot.discord.tree import NotModerator
from bot.discord.views.audit import AuditLine, AuditView, change, who
from bot.discord.views.base import is_moderator
from bot.store.db import session_scope
from bot.store.models import AuditRow

if TYPE_CHECKING:
    from bot.discord.client import EssaybotClient

RECENT = 200  # entries /audit show pages through
CHOICES = 25


class AuditCog(commands.Cog):
    """The audit log for moderators."""

    group = app_commands.Group(
        name="audit",
        description="Moderators: who changed what in the curation, and undo.",
        guild_only=True,
        default_permissions=discord.Permissions(manage_messages=True),
    )

    def __init__(self, client: EssaybotClient) -> None:
        self.client = client

    async def _recent(self, guild_id: int, limit: int) -> list[AuditLine]:
        engine, gid = (await self.client.app_for(guild_id)).engine, str(guild_id)

        def load() -> list[AuditLine]:
            with session_scope(engine) as session:
                return [AuditLine.of(r) for r in audit.recent(session, gid, limit=limit)]

        return await self.client.service.run(load)

    @group.command(name="show", description="The recent curation actions in this server, newest first.")
    async def show(self, interaction: discord.Interaction) -> None:
        """/audit show: paged, private."""
        async with self.client.recorder.entry(interaction, "audit_show", {}):
            guild_id = await moderator_guild(interaction, "/audit")
            view = AuditView(
                self.client, interaction, interaction.user.id, await self._recent(guild_id, RECENT)
            )
            await send(interaction, view.page(), ephemeral=True, view=view)
            view.register()

    @group.command(name="undo", description="Revert one action of the audit log.")
    @app_commands.describe(entry="The entry number (#) shown by /audit show")
    async def undo(self, interaction: discord.Interaction, entry: app_commands.Range[int, 1]) -> None:
        """/audit undo entry: moderators; corpus-wide entries only for the bot's owners."""
        async with self.client.recorder.entry(interaction, "audit_undo", {"entry": entry}) as log_entry:
            guild_id = await moderator_guild(interaction, "/audit undo")
            library, gid, actor = (
                (await self.client.app_for(guild_id)).library,
                str(guild_id),
                str(interaction.user.id),
            )
            # A guild's own corpus (per-guild mode) is its moderators' to change, and so to undo.
            owner = (
                interaction.user.id in self.client.settings.discord.owner_ids or self.client.corpora.per_guild
            )
            manage_guild = interaction.permissions.manage_guild

            def allowed(row: AuditRow | None) -> None:
                if row is not None and row.guild_id is None and not owner:
                    raise CurationError(
                        f"Entry #{entry} changed the shared corpus: only the bot's owners can undo it."
                    )
                if (
                    row is not None
                    and row.action == "settings.set"
                    and row.guild_id == gid
                    and not manage_guild
                ):
                    raise CurationError("Undoing a settings change needs the Manage Server permission.")

            def revert() -> AuditLine:
                # The library's undo publishes a new index generation when the entry changed the corpus.
                return AuditLine.of(library.undo(entry, actor=actor, guild_id=gid, allowed=allowed))

            undone = await self.client.service.run(revert)
            log_entry.verdict = "undone"
            what = f"#{undone.id} `{undone.action}` {escape(one_line(undone.target))}"
            detail = change(undone.after, undone.before)
            await send_text(interaction, f"↩️ Undone: {what}" + (f"\n{detail}" if detail else ""))
            await modlog.post(
                self.client,
                guild_id,
                f"↩️ {who(actor)} undid audit entry {what} (by {who(undone.actor)})"
                + (f": {detail}" if detail else ""),
            )

    @undo.autocomplete("entry")
    async def _entry_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[int]]:
        if interaction.guild_id is None or not await is_moderator(interaction):
            return []
        undoable = audit.undoable_actions()
        entries = [
            e
            for e in await self._recent(interaction.guild_id, RECENT)
            if e.undone_at is None and e.action in undoable
        ]
        typed = current.strip().lstrip("#")
        if typed:
            entries = [e for e in entries if str(e.id).startswith(typed)]
        return [
            app_commands.Choice(name=f"#{e.id} {e.action} {' '.join(e.target.split())}"[:100], value=e.id)
            for e in entries[:CHOICES]
        ]


async def moderator_guild(interaction: discord.Interaction, what: str) -> int:
    """The guild id, once the member is known to be a moderator (refused in code, whatever Discord shows)."""
    if interaction.guild_id is None:
        raise app_commands.NoPrivateMessage()
    if not await is_moderator(interaction):
        raise NotModerator(what)
    return interaction.guild_id
