"""/quotes for moderators: save curated quotes, list them, remove them, export and import them."""

from __future__ import annotations

import functools
import io
import json

import discord
from discord import app_commands
from discord.ext import commands

from bot.curation.audit import CurationError
from bot.curation.quote_files import export_csv, export_document, parse_import
from bot.curation.quotes import CuratedQuotes
from bot.discord.actions import modlog
from bot.discord.actions.moderation import save_quote
from bot.discord.checks import is_moderator, require_moderator
from bot.discord.cogs.common import name_choices, passage_choices
from bot.discord.context import Context
from bot.discord.host import Host
from bot.discord.render import limits
from bot.discord.render.common import finish, one_line
from bot.discord.render.markdown import escape
from bot.discord.render.quotes_page import PER_PAGE, list_page, quote_entry
from bot.discord.replies import NO_MENTIONS, defer, send, send_text
from bot.discord.views.base import PagedView
from bot.discord.views.panels import ConfirmView

MAX_IMPORT_BYTES = 5 * 1024 * 1024


@app_commands.guild_only()
@app_commands.default_permissions(manage_messages=True)
class QuotesCog(commands.GroupCog, group_name="quotes", group_description="Moderators: curated quotes"):
    """Curated quotes: they rank first in answers, and feed the quote of the day and the quiz."""

    def __init__(self, client: Host) -> None:
        self.client = client
        super().__init__()

    @app_commands.command(name="save", description="Save a passage (or some words of it) as a curated quote.")
    @app_commands.describe(
        passage="Type a few of its words and pick it (or give its id)",
        start="Keep only from these words on (optional)",
        end="Keep only up to these words (optional)",
        note="Why it matters (optional)",
        tags="Comma-separated tags (optional)",
    )
    async def save(
        self,
        interaction: discord.Interaction,
        passage: app_commands.Range[str, 1, 300],
        start: app_commands.Range[str, 1, 200] | None = None,
        end: app_commands.Range[str, 1, 200] | None = None,
        note: app_commands.Range[str, 1, 1000] | None = None,
        tags: app_commands.Range[str, 1, 200] | None = None,
    ) -> None:
        """/quotes save passage [start] [end] [note] [tags]."""
        options = {"passage": passage, "start": start, "end": end, "note": note, "tags": tags}
        async with Context.of(interaction).entry("quotes_save", options):
            text = await save_quote(
                interaction, passage, start_words=start, end_words=end, note=note, tags=tags
            )
            await send_text(interaction, text)

    @save.autocomplete("passage")
    async def _passage(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await passage_choices(interaction, current)

    @app_commands.command(
        name="list", description="The curated quotes, optionally of one author or with a tag."
    )
    @app_commands.describe(author="Only this author's (or essay's) quotes", tag="Only quotes with this tag")
    async def list_quotes(
        self, interaction: discord.Interaction, author: str | None = None, tag: str | None = None
    ) -> None:
        """/quotes list [author] [tag], paginated."""
        async with Context.of(interaction).entry("quotes_list", {"author": author, "tag": tag}) as entry:
            context = await require_moderator(interaction, "/quotes list")
            gid = context.gid
            essay_ids = (
                set((await self.client.service.resolve(author, guild_id=interaction.guild_id)).essay_ids)
                if author
                else None
            )

            quotes = await context.db(lambda s: CuratedQuotes(s, gid).lines(author_essays=essay_ids, tag=tag))
            entry.verdict = str(len(quotes))
            filters = "".join(
                f" · {label} {escape(one_line(value))}"
                for label, value in (("by", author), ("tagged", tag))
                if value
            )
            page = functools.partial(list_page, filters=filters)
            view = PagedView(self.client, interaction, interaction.user.id, quotes, PER_PAGE, page)
            entry.message_id = await send(interaction, view.page(), ephemeral=True, view=view)
            view.register()

    @list_quotes.autocomplete("author")
    async def _author(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        return await name_choices(interaction, current)

    @list_quotes.autocomplete("tag")
    async def _tag(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        if interaction.guild_id is None or not await is_moderator(interaction):
            return []
        context = Context.of(interaction)
        gid = context.gid
        tags = await context.db(
            lambda s: sorted({t for q in CuratedQuotes(s, gid).listing() for t in q.tags})
        )
        wanted = current.strip().lower()
        return [app_commands.Choice(name=t, value=t) for t in tags if wanted in t][:25]

    @app_commands.command(
        name="remove", description="Remove a curated quote (asks to confirm; /audit undo brings it back)."
    )
    @app_commands.describe(quote="Pick the quote (or give its number)")
    async def remove(self, interaction: discord.Interaction, quote: app_commands.Range[str, 1, 100]) -> None:
        """/quotes remove quote, with a confirmation button."""
        async with Context.of(interaction).entry("quotes_remove", {"quote": quote}):
            context = await require_moderator(interaction, "/quotes remove")
            gid = context.gid
            number = quote.strip().lstrip("#")
            if not number.isdigit():
                raise CurationError("Pick the quote from the list, or give its number (e.g. 12).")
            quote_id = int(number)
            line = await context.db(lambda s: CuratedQuotes(s, gid).line(quote_id))
            actor = context.actor

            async def confirmed(press: discord.Interaction) -> str:
                await require_moderator(press, "/quotes remove")
                await context.db(lambda s: CuratedQuotes(s, gid).remove(quote_id, actor=actor))
                await modlog.post(context, f"🗑️ <@{actor}> removed curated quote {quote_entry(line)}")
                return f"Removed curated quote #{quote_id}. `/audit undo` can bring it back."

            view = ConfirmView(
                self.client, interaction, interaction.user.id, confirmed, confirm_label="Remove"
            )
            await send(
                interaction,
                finish(f"Remove this curated quote?\n{quote_entry(line)}", []),
                ephemeral=True,
                view=view,
            )
            view.register()

    @remove.autocomplete("quote")
    async def _quote(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        if interaction.guild_id is None or not await is_moderator(interaction):
            return []
        context = Context.of(interaction)
        gid, wanted = context.gid, current.strip().lower().lstrip("#")
        rows = await context.db(lambda s: [(q.id, q.text) for q in CuratedQuotes(s, gid).listing()])
        hits = [(i, t) for i, t in rows if not wanted or wanted in t.lower() or wanted == str(i)]
        return [
            app_commands.Choice(
                name=limits.truncate(f"#{i} “{one_line(t)}”", 100, markdown=False), value=str(i)
            )
            for i, t in hits[:25]
        ]

    @app_commands.command(name="export", description="The curated quotes as CSV and JSON files.")
    async def export(self, interaction: discord.Interaction) -> None:
        """/quotes export: two attachments; the JSON one is what /quotes import reads."""
        async with Context.of(interaction).entry("quotes_export", {}) as entry:
            context = await require_moderator(interaction, "/quotes export")
            gid = context.gid
            items = await context.db(lambda s: CuratedQuotes(s, gid).export())
            entry.verdict = str(len(items))
            document = json.dumps(export_document(gid, items), ensure_ascii=False, indent=2).encode()
            files = [
                discord.File(io.BytesIO(export_csv(items).encode()), filename=f"curated-quotes-{gid}.csv"),
                discord.File(io.BytesIO(document), filename=f"curated-quotes-{gid}.json"),
            ]
            await interaction.response.send_message(
                f"{len(items)} curated quote{'s' if len(items) != 1 else ''}. "
                "The JSON file can be imported with /quotes import, here or in another server.",
                files=files,
                ephemeral=True,
                allowed_mentions=NO_MENTIONS,
            )

    @app_commands.command(name="import", description="Import curated quotes from a /quotes export JSON file.")
    @app_commands.describe(file="The .json file that /quotes export made")
    async def import_quotes(self, interaction: discord.Interaction, file: discord.Attachment) -> None:
        """/quotes import file: all or nothing; quotes already here are skipped."""
        options = {"file": file.filename[:200], "size": file.size}
        async with Context.of(interaction).entry("quotes_import", options) as entry:
            context = await require_moderator(interaction, "/quotes import")
            gid = context.gid
            if file.size > MAX_IMPORT_BYTES:
                raise CurationError(
                    f"That file is over {MAX_IMPORT_BYTES // (1024 * 1024)} MB: attach a /quotes export file."
                )
            await defer(interaction, ephemeral=True)
            items = parse_import(await file.read())
            actor = context.actor
            saved, skipped = await context.db(lambda s: CuratedQuotes(s, gid).import_(items, actor=actor))
            entry.verdict = str(saved)
            text = f"Imported {saved} curated quote{'s' if saved != 1 else ''}"
            text += f"; {skipped} already here, skipped." if skipped else "."
            if saved:
                await modlog.post(
                    context, f"📥 <@{actor}> imported {saved} curated quotes ({skipped} skipped)"
                )
            await send_text(interaction, text)
