"""/essays add, remove, restore and edit: the bot's owners curate the essay library every server shares.

The commands sit in the public ``/essays`` group (``EssaysCog`` mixes them in), and Discord cannot
restrict single subcommands, so every member sees them: the owner check is in code, and a moderator
is refused like anyone else. (With per-guild corpora a server's moderators could do this for their
own library; that mode does not exist yet.) Each action is audited with ``guild_id`` None, can be
undone from ``/audit undo``, and is posted to every server's mod-log. The slow work (reading the file,
preparing the preview, embedding, publishing the index) runs on the worker threads.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.corpus.models import EssayMeta
from bot.corpus.upload import Preview, Upload, check_file, parse_changes, read_upload
from bot.curation.audit import CurationError
from bot.discord import modlog
from bot.discord.limits import truncate
from bot.discord.markdown import escape
from bot.discord.render import Rendered
from bot.discord.render_common import one_line
from bot.discord.replies import defer, send, send_text
from bot.discord.views.essay_upload import SlowConfirmView, ask_or_preview

if TYPE_CHECKING:
    from bot.discord.client import EssaybotClient

# Reading and parsing a large file can take a while; past this, answer "thinking…" first and offer
# the details form behind a button, because Discord wants an answer within 3 seconds.
FORM_BUDGET_SECONDS = 2.0
MAX_CHOICES = 25


class NotBotOwner(app_commands.CheckFailure):
    """Someone who is not one of the bot's owners tried to change the shared essay library."""

    def __init__(self, what: str) -> None:
        super().__init__(f"{what} is for the bot's owners: the essay library is shared by every server.")


def require_owner(client: EssaybotClient, interaction: discord.Interaction, what: str) -> None:
    """Refuse anyone but the owners listed in ``[discord] owner_ids``."""
    if interaction.user.id not in client.settings.discord.owner_ids:
        raise NotBotOwner(what)


def _label(meta: EssayMeta) -> str:
    return f"**{escape(one_line(meta.title))}** (`{meta.id}`)"


class EssaysAdmin(commands.Cog):
    """The owners' subcommands of ``/essays``: a base of ``EssaysCog``, never loaded on its own."""

    client: EssaybotClient

    @app_commands.command(name="add", description="Owners: add an essay (.md with front matter, or .txt).")
    @app_commands.describe(file="The essay: Markdown with YAML front matter, or plain text (UTF-8)")
    async def add_essay(self, interaction: discord.Interaction, file: discord.Attachment) -> None:
        """/essays add file: validate, ask for missing details, preview, and add on Confirm."""
        options = {"file": file.filename[:100], "size": file.size}
        async with self.client.recorder.entry(interaction, "essays_add", options) as entry:
            require_owner(self.client, interaction, "/essays add")
            max_bytes = self.client.settings.max_upload_bytes
            check_file(file.filename, file.size, max_bytes=max_bytes)  # before downloading anything
            reading = asyncio.ensure_future(self._read(file, max_bytes))
            done, _ = await asyncio.wait({reading}, timeout=FORM_BUDGET_SECONDS)
            if not done:
                await defer(interaction, ephemeral=True)
            upload = await reading
            entry.verdict = await ask_or_preview(self.client, interaction, upload, self._add_confirmed)

    async def _read(self, file: discord.Attachment, max_bytes: int) -> Upload:
        data = await file.read()
        upload = await self.client.service.run(read_upload, data, file.filename, max_bytes=max_bytes)
        # A duplicate is refused before the owner spends time on the details form.
        await self.client.service.run(self.client.app.check_new_essay, upload.essay)
        return upload

    async def _add_confirmed(self, interaction: discord.Interaction, preview: Preview) -> str:
        """Confirm on the preview: store the essay and publish the index with it."""
        essay = preview.essay
        async with self.client.recorder.entry(
            interaction, "essays_add_confirm", {"essay": essay.id}
        ) as entry:
            require_owner(self.client, interaction, "Adding an essay")
            actor = str(interaction.user.id)
            report = await self.client.service.run(
                self.client.app.add_essays, [preview.prepared], actor=actor
            )
            entry.verdict = "added"
            label = _label(essay.meta)
            await modlog.post(
                self.client,
                None,
                f"📚 <@{actor}> added {label} to the shared library ({preview.passages} passages).",
            )
            return (
                f"✅ Added {label}: {preview.passages} passages, answerable now "
                f"(index generation {report.generation}). `/essays remove` takes it out again."
            )

    @app_commands.command(name="remove", description="Owners: take an essay out of answers (restorable).")
    @app_commands.describe(essay="The essay to remove (type a few words of its title)")
    async def remove_essay(self, interaction: discord.Interaction, essay: str) -> None:
        """/essays remove essay: asks for confirmation, then tombstones the essay."""
        async with self.client.recorder.entry(interaction, "essays_remove", {"essay": essay}) as entry:
            require_owner(self.client, interaction, "/essays remove")
            meta = await self._active(essay)

            async def remove(press: discord.Interaction) -> str:
                async with self.client.recorder.entry(press, "essays_remove_confirm", {"essay": meta.id}):
                    require_owner(self.client, press, "Removing an essay")
                    actor = str(press.user.id)
                    await self.client.service.run(self.client.app.remove_essay_by, meta.id, actor=actor)
                    await modlog.post(
                        self.client, None, f"🗑️ <@{actor}> removed {_label(meta)} from the shared library."
                    )
                    return (
                        f"🗑️ Removed {_label(meta)}: it no longer appears in answers, in any server. "
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
            prompt = (
                f"Remove {_label(meta)} by {escape(one_line(meta.author_line))} from the library of every "
                "server? It is kept, and `/essays restore` brings it back."
            )
            entry.message_id = await send(interaction, Rendered(prompt, []), ephemeral=True, view=view)
            view.register()
            entry.verdict = "confirm"

    @app_commands.command(name="restore", description="Owners: bring a removed essay back into answers.")
    @app_commands.describe(essay="The removed essay (type a few words of its title)")
    async def restore_essay(self, interaction: discord.Interaction, essay: str) -> None:
        """/essays restore essay."""
        async with self.client.recorder.entry(interaction, "essays_restore", {"essay": essay}) as entry:
            require_owner(self.client, interaction, "/essays restore")
            await defer(interaction, ephemeral=True)
            actor = str(interaction.user.id)
            meta = await self.client.service.run(self.client.app.restore_essay_by, essay, actor=actor)
            entry.verdict = "restored"
            await send_text(interaction, f"♻️ Restored {_label(meta)}: it is back in answers.")
            await modlog.post(
                self.client, None, f"♻️ <@{actor}> restored {_label(meta)} to the shared library."
            )

    @app_commands.command(
        name="edit", description="Owners: fix an essay's title, authors, date, link or publication."
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
        async with self.client.recorder.entry(interaction, "essays_edit", options) as entry:
            require_owner(self.client, interaction, "/essays edit")
            changes = parse_changes(given)
            await defer(interaction, ephemeral=True)
            actor = str(interaction.user.id)
            before, after = await self.client.service.run(
                self.client.app.edit_essay, essay, actor=actor, **changes
            )
            entry.verdict = "edited"
            detail = describe_edit(before, after)
            await send_text(interaction, f"✏️ Edited {_label(after)}: {detail}. Answers show it now.")
            await modlog.post(self.client, None, f"✏️ <@{actor}> edited {_label(after)}: {detail}.")

    @remove_essay.autocomplete("essay")
    @edit_essay.autocomplete("essay")
    async def _active_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        if interaction.user.id not in self.client.settings.discord.owner_ids:
            return []
        return essay_choices(await self.client.service.essays(), current)

    @restore_essay.autocomplete("essay")
    async def _removed_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        if interaction.user.id not in self.client.settings.discord.owner_ids:
            return []
        return essay_choices(await self.client.service.run(self.client.app.removed_essays), current)

    async def _active(self, essay_id: str) -> EssayMeta:
        for meta in await self.client.service.essays():
            if meta.id == essay_id:
                return meta
        raise CurationError(f"There is no essay {essay_id!r} in the library. Pick one from the list.")


def essay_choices(metas: list[EssayMeta], current: str) -> list[app_commands.Choice[str]]:
    """Essays whose id, title or authors contain what was typed, as autocomplete choices."""
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
