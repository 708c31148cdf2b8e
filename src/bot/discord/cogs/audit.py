"""/audit show and /audit undo: the curation log of a server, and reverting one action from it."""

from __future__ import annotations

import functools

import discord
from discord import app_commands
from discord.ext import commands

from bot.curation import audit
from bot.curation.audit_entries import AuditEntry, recent_entries, undo_rule
from bot.discord.actions import modlog
from bot.discord.checks import is_moderator, require_moderator
from bot.discord.cogs.common import guild_group
from bot.discord.context import Context, GuildScope
from bot.discord.host import Host
from bot.discord.render.audit_page import PER_PAGE, audit_page, change, who
from bot.discord.render.common import one_line
from bot.discord.render.markdown import escape
from bot.discord.replies import send, send_text
from bot.discord.views.base import PagedView

RECENT = 200  # entries /audit show pages through
CHOICES = 25


async def _recent(scope: GuildScope) -> list[AuditEntry]:
    gid = scope.gid
    return await scope.db(functools.partial(recent_entries, guild_id=gid, limit=RECENT))


class AuditCog(commands.Cog):
    """The audit log for moderators."""

    group = guild_group("audit", "Moderators: who changed what in the curation, and undo.", "manage_messages")

    def __init__(self, client: Host) -> None:
        self.client = client

    @group.command(name="show", description="The recent curation actions in this server, newest first.")
    async def show(self, interaction: discord.Interaction) -> None:
        """/audit show: paged, private."""
        async with Context.of(interaction).entry("audit_show", {}):
            context = await require_moderator(interaction, "/audit")
            entries = await _recent(context)
            view = PagedView(self.client, interaction, interaction.user.id, entries, PER_PAGE, audit_page)
            await send(interaction, view.page(), ephemeral=True, view=view)
            view.register()

    @group.command(name="undo", description="Revert one action of the audit log.")
    @app_commands.describe(entry="The entry number (#) shown by /audit show")
    async def undo(self, interaction: discord.Interaction, entry: app_commands.Range[int, 1]) -> None:
        """/audit undo entry: moderators; corpus-wide entries only for the bot's owners."""
        async with Context.of(interaction).entry("audit_undo", {"entry": entry}) as log_entry:
            context = await require_moderator(interaction, "/audit undo")
            allowed = undo_rule(
                entry,
                guild_id=context.gid,
                # A guild's own corpus (per-guild mode) is its moderators' to change, and so to undo.
                corpus_owner=interaction.user.id in self.client.settings.discord.owner_ids
                or self.client.corpora.per_guild,
                manage_guild=interaction.permissions.manage_guild,
            )
            library = (await context.app()).library
            # The library's undo publishes a new index generation when the entry changed the corpus.
            row = await context.run(
                library.undo, entry, actor=context.actor, guild_id=context.gid, allowed=allowed
            )
            undone = AuditEntry.of(row)
            log_entry.verdict = "undone"
            what = f"#{undone.id} `{undone.action}` {escape(one_line(undone.target))}"
            detail = change(undone.after, undone.before)
            await send_text(interaction, f"↩️ Undone: {what}" + (f"\n{detail}" if detail else ""))
            await modlog.post(
                context,
                f"↩️ {who(context.actor)} undid audit entry {what} (by {who(undone.actor)})"
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
            e for e in await _recent(Context.of(interaction)) if e.undone_at is None and e.action in undoable
        ]
        typed = current.strip().lstrip("#")
        if typed:
            entries = [e for e in entries if str(e.id).startswith(typed)]
        return [
            app_commands.Choice(name=f"#{e.id} {e.action} {' '.join(e.target.split())}"[:100], value=e.id)
            for e in entries[:CHOICES]
        ]
