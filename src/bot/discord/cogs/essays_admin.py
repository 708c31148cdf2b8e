"""/essays add, remove, restore and edit: curating the essay library.

With the shared corpus (the default) only the bot's owners may change it: every server reads it.
With ``corpus_scope = "per_guild"`` each server has its own library, which its moderators may change
too, and a command changes only the library of the server it is used in.

The commands sit in the public ``/essays`` group (``EssaysCog`` mixes them in), and Discord cannot
restrict single subcommands, so every member sees them: the check is in code. Each action is audited
with ``guild_id`` None (corpus-wide, in the corpus's own database), can be undone from ``/audit
undo``, and is posted to the mod-log of every server that reads the library. The slow work (reading
the file, preparing the preview, embedding, publishing the index) runs on the worker threads.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TypeVar

import discord
from discord import app_commands
from discord.ext import commands

from bot.core.essaybot import Essaybot
from bot.corpus.models import EssayMeta
from bot.corpus.upload import Preview, Upload, check_file, parse_changes, read_upload
from bot.curation.audit import CurationError
from bot.discord.actions import modlog
from bot.discord.checks import is_moderator
from bot.discord.context import Context, GuildScope
from bot.discord.host import Host
from bot.discord.render.answers import Rendered
from bot.discord.render.common import one_line
from bot.discord.render.limits import truncate
from bot.discord.render.markdown import escape
from bot.discord.replies import defer, send, send_text
from bot.discord.views.essay_upload import SlowConfirmView, ask_or_preview

T = TypeVar("T")


# Reading and parsing a large file can take a while; past this, answer "thinking…" first and offer
# the details form behind a button, because Discord wants an answer within 3 seconds.
FORM_BUDGET_SECONDS = 2.0
MAX_CHOICES = 25


class NotBotOwner(app_commands.CheckFailure):
    """Someone who may not change this essay library tried to."""

    def __init__(self, what: str, *, per_guild: bool = False) -> None:
        if per_guild:
            super().__init__(f"{what} is for this server's moderators and the bot's owners.")
        else:
            super().__init__(f"{what} is for the bot's owners: the essay library is shared by every server.")


async def may_edit(interaction: discord.Interaction) -> bool:
    """Owners always; with per-guild corpora, that server's moderators too (for their own library)."""
    host = Context.of(interaction).host
    if interaction.user.id in host.settings.discord.owner_ids:
        return True
    return host.corpora.per_guild and interaction.guild_id is not None and await is_moderator(interaction)


async def require_owner(interaction: discord.Interaction, what: str) -> Context:
    """The interaction's context, once its member may change the library it acts on (see ``may_edit``)."""
    context = Context.of(interaction)
    if not await may_edit(interaction):
        raise NotBotOwner(what, per_guild=context.host.corpora.per_guild)
    return context


def _label(meta: EssayMeta) -> str:
    return f"**{escape(one_line(meta.title))}** (`{meta.id}`)"


class EssaysAdmin(commands.Cog):
    """The owners' subcommands of ``/essays``: a base of ``EssaysCog``, never loaded on its own."""

    client: Host

    def _library(self) -> str:
        """How replies name the library a command changes."""
        return "this server's library" if self.client.corpora.per_guild else "the shared library"

    async def _modlog(self, interaction: discord.Interaction, text: str) -> None:
        """Tell the servers that read the changed library: all of them, or only this one."""
        if not self.client.corpora.per_guild:
            await modlog.post(GuildScope(self.client, None), text)
        elif interaction.guild_id is not None:  # a DM changes the main library, which no server reads
            await modlog.post(Context.of(interaction), text)

    async def _apply(self, interaction: discord.Interaction, change: Callable[[Essaybot, str], T]) -> T:
        """Acknowledge privately, then run ``change(app, actor)`` on this library, off the event loop."""
        await defer(interaction, ephemeral=True)
        context = Context.of(interaction)
        return await context.run(change, await context.app(), context.actor)

    @app_commands.command(
        name="add", description="Owners or per-server mods: add an essay (.md with front matter, or .txt)."
    )
    @app_commands.describe(file="The essay: Markdown with YAML front matter, or plain text (UTF-8)")
    async def add_essay(self, interaction: discord.Interaction, file: discord.Attachment) -> None:
        """/essays add file: validate, ask for missing details, preview, and add on Confirm."""
        options = {"file": file.filename[:100], "size": file.size}
        async with Context.of(interaction).entry("essays_add", options) as entry:
            await require_owner(interaction, "/essays add")
            max_bytes = self.client.settings.max_upload_bytes
            check_file(file.filename, file.size, max_bytes=max_bytes)  # before downloading anything
            reading = asyncio.ensure_future(self._read(interaction, file, max_bytes))
            done, _ = await asyncio.wait({reading}, timeout=FORM_BUDGET_SECONDS)
            if not done:
                await defer(interaction, ephemeral=True)
            upload = await reading
            entry.verdict = await ask_or_preview(self.client, interaction, upload, self._add_confirmed)

    async def _read(
        self, interaction: discord.Interaction, file: discord.Attachment, max_bytes: int
    ) -> Upload:
        data = await file.read()
        upload = await self.client.service.run(read_upload, data, file.filename, max_bytes=max_bytes)
        # A duplicate is refused before the owner spends time on the details form.
        context = Context.of(interaction)
        await context.run((await context.app()).library.check_new_essay, upload.essay)
        return upload

    async def _add_confirmed(self, interaction: discord.Interaction, preview: Preview) -> str:
        """Confirm on the preview: store the essay and publish the index with it."""
        essay = preview.essay
        async with Context.of(interaction).entry("essays_add_confirm", {"essay": essay.id}) as entry:
            context = await require_owner(interaction, "Adding an essay")
            actor = context.actor
            report = await context.run(
                (await context.app()).library.add_essays, [preview.prepared], actor=actor
            )
            entry.verdict = "added"
            label = _label(essay.meta)
            await self._modlog(
                interaction,
                f"📚 <@{actor}> added {label} to {self._library()} ({preview.passages} passages).",
            )
            return (
                f"✅ Added {label}: {preview.passages} passages, answerable now "
                f"(index generation {report.generation}). `/essays remove` takes it out again."
            )

    @app_commands.command(
        name="remove", description="Owners or per-server mods: take an essay out of answers (restorable)."
    )
    @app_commands.describe(essay="The essay to remove (type a few words of its title)")
    async def remove_essay(self, interaction: discord.Interaction, essay: str) -> None:
        """/essays remove essay: asks for confirmation, then tombstones the essay."""
        async with Context.of(interaction).entry("essays_remove", {"essay": essay}) as entry:
            context = await require_owner(interaction, "/essays remove")
            meta = await self._active(interaction, essay)
            app = await context.app()
            where = "in this server" if self.client.corpora.per_guild else "in any server"

            async def remove(press: discord.Interaction) -> str:
                async with Context.of(press).entry("essays_remove_confirm", {"essay": meta.id}):
                    actor = (await require_owner(press, "Removing an essay")).actor
                    await context.run(app.library.remove_essay_by, meta.id, actor=actor)
                    await self._modlog(press, f"🗑️ <@{actor}> removed {_label(meta)} from {self._library()}.")
                    return (
                        f"🗑️ Removed {_label(meta)}: it no longer appears in answers, {where}. "
                        f"`/essays restore` brings it back."
                    )

            view = SlowConfirmView(
                self.client,
                interaction,
                interaction.user.id,
                remove,
                confirm_label="Remove",
                working=f"⏳ Removing {_label(meta)}…",
                cancelled="Cancelled: nothing was removed.",
            )
            library = (
                "this server's library" if self.client.corpora.per_guild else "the library of every server"
            )
            prompt = (
                f"Remove {_label(meta)} by {escape(one_line(meta.author_line))} from {library}? "
                "It is kept, and `/essays restore` brings it back."
            )
            entry.message_id = await send(interaction, Rendered(prompt, []), ephemeral=True, view=view)
            view.register()
            entry.verdict = "confirm"

    @app_commands.command(
        name="restore", description="Owners or per-server mods: bring a removed essay back into answers."
    )
    @app_commands.describe(essay="The removed essay (type a few words of its title)")
    async def restore_essay(self, interaction: discord.Interaction, essay: str) -> None:
        """/essays restore essay."""
        async with Context.of(interaction).entry("essays_restore", {"essay": essay}) as entry:
            actor = (await require_owner(interaction, "/essays restore")).actor
            meta = await self._apply(
                interaction, lambda app, who: app.library.restore_essay_by(essay, actor=who)
            )
            entry.verdict = "restored"
            await send_text(interaction, f"♻️ Restored {_label(meta)}: it is back in answers.")
            await self._modlog(interaction, f"♻️ <@{actor}> restored {_label(meta)} to {self._library()}.")

    @app_commands.command(
        name="edit",
        description="Owners or per-server mods: fix an essay's title, authors, date, link or publication.",
    )
    @app_commands.describe(
        essay="The essay to edit (type a few words of its title)",
        title="The new title",
        authors="Authors separated by commas (or semicolons); - for unsigned",
        date="YYYY-MM-DD, YYYY-MM or YYYY; - to clear",
        url="Link to the original; - to clear",
        publication="Where it was published; - to clear",
    )
    async def edit_essay(
        self,
        interaction: discord.Interaction,
        essay: str,
        title: app_commands.Range[str, 1, 200] | None = None,
        authors: app_commands.Range[str, 1, 400] | None = None,
        date: app_commands.Range[str, 1, 10] | None = None,
        url: app_commands.Range[str, 1, 500] | None = None,
        publication: app_commands.Range[str, 1, 200] | None = None,
    ) -> None:
        """/essays edit essay [title] [authors] [date] [url] [publication]."""
        given = {"title": title, "authors": authors, "date": date, "url": url, "publication": publication}
        options = {"essay": essay, **{k: v for k, v in given.items() if v is not None}}
        async with Context.of(interaction).entry("essays_edit", options) as entry:
            actor = (await require_owner(interaction, "/essays edit")).actor
            changes = parse_changes(given)
            before, after = await self._apply(
                interaction, lambda app, who: app.library.edit_essay(essay, actor=who, **changes)
            )
            entry.verdict = "edited"
            detail = describe_edit(before, after)
            await send_text(interaction, f"✏️ Edited {_label(after)}: {detail}. Answers show it now.")
            await self._modlog(interaction, f"✏️ <@{actor}> edited {_label(after)}: {detail}.")

    @remove_essay.autocomplete("essay")
    @edit_essay.autocomplete("essay")
    async def _active_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await essay_choices(interaction, current, removed=False)

    @restore_essay.autocomplete("essay")
    async def _removed_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await essay_choices(interaction, current, removed=True)

    async def _active(self, interaction: discord.Interaction, essay_id: str) -> EssayMeta:
        for meta in await self.client.service.essays(guild_id=interaction.guild_id):
            if meta.id == essay_id:
                return meta
        raise CurationError(f"There is no essay {essay_id!r} in the library. Pick one from the list.")


async def essay_choices(
    interaction: discord.Interaction, current: str, *, removed: bool
) -> list[app_commands.Choice[str]]:
    """The library's essays (or its removed ones) whose id, title or authors contain what was typed;
    nothing for members who may not change the library."""
    if not await may_edit(interaction):
        return []
    context = Context.of(interaction)
    if removed:
        metas = await context.run((await context.app()).library.removed_essays)
    else:
        metas = await context.host.service.essays(guild_id=interaction.guild_id)
    typed = current.casefold().strip()
    hits = [m for m in metas if typed in f"{m.id} {m.title} {m.author_line}".casefold()]
    return [
        app_commands.Choice(name=f"{one_line(m.title)[:70]} ({m.id})"[:100], value=m.id)
        for m in hits[:MAX_CHOICES]
    ]


def describe_edit(before: EssayMeta, after: EssayMeta) -> str:
    """``title: “old” → “new”; date: none → 2024-05`` for the fields that changed."""

    def shown(meta: EssayMeta, name: str) -> str:
        value = meta.author_line if name == "authors" else getattr(meta, name)
        return f"“{truncate(escape(one_line(value)), 150)}”" if value else "none"

    names = [
        n
        for n in ("title", "authors", "date", "url", "publication")
        if getattr(before, n) != getattr(after, n)
    ]
    return "; ".join(f"{n}: {shown(before, n)} → {shown(after, n)}" for n in names)
