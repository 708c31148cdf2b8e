"""/quotes for moderators: save curated quotes, list them, remove them, export and import them."""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.curation.audit import CurationError
from bot.curation.passages import author_line
from bot.curation.quotes import CuratedQuotes, export_csv, export_document, parse_import
from bot.discord.actions import modlog
from bot.discord.actions.moderation import in_session, require_moderator, save_quote
from bot.discord.cogs.common import name_choices
from bot.discord.render import limits
from bot.discord.render.answers import page_count
from bot.discord.render.common import NEUTRAL, Rendered, finish, footer, human_date, one_line
from bot.discord.render.markdown import escape, italic
from bot.discord.replies import NO_MENTIONS, defer, send, send_text
from bot.discord.views.base import PagedView, is_moderator
from bot.discord.views.panels import ConfirmView
from bot.store.models import CuratedQuoteRow, EssayRow

if TYPE_CHECKING:
    from bot.discord.client import EssaybotClient

PER_PAGE = 5
MAX_IMPORT_BYTES = 5 * 1024 * 1024


@dataclass(frozen=True)
class QuoteLine:
    """A curated quote as the list shows it."""

    id: int
    text: str
    author_line: str
    title: str
    note: str | None
    tags: tuple[str, ...]
    saved_by: str
    saved_at: datetime


def _lines(session: Session, rows: Sequence[CuratedQuoteRow]) -> list[QuoteLine]:
    essays = {
        e.id: e for e in session.scalars(select(EssayRow).where(EssayRow.id.in_({r.essay_id for r in rows})))
    }
    out = []
    for r in rows:
        essay = essays.get(r.essay_id)
        out.append(
            QuoteLine(
                id=r.id,
                text=r.text,
                author_line=author_line(essay.authors if essay else []),
                title=essay.title if essay else r.essay_id,
                note=r.note,
                tags=tuple(r.tags),
                saved_by=r.saved_by,
                saved_at=r.saved_at,
            )
        )
    return out


def _entry(q: QuoteLine) -> str:
    who = f"<@{q.saved_by}>" if q.saved_by.isdigit() else escape(q.saved_by)
    parts = [
        f"**#{q.id}** “{limits.truncate(escape(one_line(q.text)), 400)}”",
        f"— {escape(one_line(q.author_line))}, {italic(one_line(q.title))}",
        f"saved by {who} on {human_date(q.saved_at.date().isoformat())}",
    ]
    if q.tags:
        parts[-1] += " · tags: " + ", ".join(escape(t) for t in q.tags)
    if q.note:
        parts.append(f"*{limits.truncate(escape(one_line(q.note)), 200)}*")
    return "\n".join(parts)


def list_page(quotes: Sequence[QuoteLine], page: int, filters: str) -> Rendered:
    """One page of curated quotes."""
    pages = page_count(len(quotes), PER_PAGE)
    shown = quotes[page * PER_PAGE : (page + 1) * PER_PAGE]
    embed = discord.Embed(
        title=f"Curated quotes{filters}",
        description=limits.truncate("\n\n".join(_entry(q) for q in shown), limits.EMBED_DESCRIPTION)
        or "No curated quotes yet: save one with /quotes save or Moderate this answer.",
        colour=NEUTRAL,
    )
    embed.set_footer(text=footer(f"Page {page + 1} of {pages}", "Only you can see this"))
    return finish(
        f"{len(quotes)} curated quote{'s' if len(quotes) != 1 else ''} · page {page + 1} of {pages}", [embed]
    )


class QuoteListView(PagedView):
    """Previous/Next through the curated quotes (a private message)."""

    def __init__(
        self,
        client: EssaybotClient,
        origin: discord.Interaction,
        owner_id: int,
        quotes: Sequence[QuoteLine],
        filters: str,
    ) -> None:
        self.quotes, self.filters = list(quotes), filters
        super().__init__(client, origin, owner_id, len(self.quotes), PER_PAGE)

    def page(self) -> Rendered:
        """The current page."""
        return list_page(self.quotes, self.page_no, self.filters)


@app_commands.guild_only()
@app_commands.default_permissions(manage_messages=True)
class QuotesCog(commands.GroupCog, group_name="quotes", group_description="Moderators: curated quotes"):
    """Curated quotes: they rank first in answers, and feed the quote of the day and the quiz."""

    def __init__(self, client: EssaybotClient) -> None:
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
        async with self.client.recorder.entry(interaction, "quotes_save", options):
            text = await save_quote(
                self.client, interaction, passage, start_words=start, end_words=end, note=note, tags=tags
            )
            await send_text(interaction, text)

    @save.autocomplete("passage")
    async def _passage(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        from bot.discord.cogs.passages import passage_choices

        return await passage_choices(self.client, interaction, current)

    @app_commands.command(
        name="list", description="The curated quotes, optionally of one author or with a tag."
    )
    @app_commands.describe(author="Only this author's (or essay's) quotes", tag="Only quotes with this tag")
    async def list_quotes(
        self, interaction: discord.Interaction, author: str | None = None, tag: str | None = None
    ) -> None:
        """/quotes list [author] [tag], paginated."""
        async with self.client.recorder.entry(
            interaction, "quotes_list", {"author": author, "tag": tag}
        ) as entry:
            gid = await require_moderator(interaction, "/quotes list")
            essay_ids = (
                set((await self.client.service.resolve(author, guild_id=interaction.guild_id)).essay_ids)
                if author
                else None
            )

            def work(session: Session) -> list[QuoteLine]:
                return _lines(session, CuratedQuotes(session, gid).listing(author_essays=essay_ids, tag=tag))

            quotes = await in_session(self.client, gid, work)
            entry.verdict = str(len(quotes))
            filters = "".join(
                f" · {label} {escape(one_line(value))}"
                for label, value in (("by", author), ("tagged", tag))
                if value
            )
            view = QuoteListView(self.client, interaction, interaction.user.id, quotes, filters)
            entry.message_id = await send(interaction, view.page(), ephemeral=True, view=view)
            view.register()

    @list_quotes.autocomplete("author")
    async def _author(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        return await name_choices(self.client, interaction, current)

    @list_quotes.autocomplete("tag")
    async def _tag(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        if interaction.guild_id is None or not await is_moderator(interaction):
            return []
        gid = str(interaction.guild_id)
        tags = await in_session(
            self.client, gid, lambda s: sorted({t for q in CuratedQuotes(s, gid).listing() for t in q.tags})
        )
        wanted = current.strip().lower()
        return [app_commands.Choice(name=t, value=t) for t in tags if wanted in t][:25]

    @app_commands.command(
        name="remove", description="Remove a curated quote (asks to confirm; /audit undo brings it back)."
    )
    @app_commands.describe(quote="Pick the quote (or give its number)")
    async def remove(self, interaction: discord.Interaction, quote: app_commands.Range[str, 1, 100]) -> None:
        """/quotes remove quote, with a confirmation button."""
        async with self.client.recorder.entry(interaction, "quotes_remove", {"quote": quote}):
            gid = await require_moderator(interaction, "/quotes remove")
            number = quote.strip().lstrip("#")
            if not number.isdigit():
                raise CurationError("Pick the quote from the list, or give its number (e.g. 12).")
            quote_id = int(number)
            line = (
                await in_session(self.client, gid, lambda s: _lines(s, [CuratedQuotes(s, gid).get(quote_id)]))
            )[0]
            actor = str(interaction.user.id)

            async def confirmed(press: discord.Interaction) -> str:
                await require_moderator(press, "/quotes remove")
                await in_session(
                    self.client, gid, lambda s: CuratedQuotes(s, gid).remove(quote_id, actor=actor)
                )
                await modlog.post(self.client, gid, f"🗑️ <@{actor}> removed curated quote {_entry(line)}")
                return f"Removed curated quote #{quote_id}. `/audit undo` can bring it back."

            view = ConfirmView(
                self.client, interaction, interaction.user.id, confirmed, confirm_label="Remove"
            )
            await send(
                interaction,
                finish(f"Remove this curated quote?\n{_entry(line)}", []),
                ephemeral=True,
                view=view,
            )
            view.register()

    @remove.autocomplete("quote")
    async def _quote(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        if interaction.guild_id is None or not await is_moderator(interaction):
            return []
        gid, wanted = str(interaction.guild_id), current.strip().lower().lstrip("#")
        rows = await in_session(
            self.client, gid, lambda s: [(q.id, q.text) for q in CuratedQuotes(s, gid).listing()]
        )
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
        async with self.client.recorder.entry(interaction, "quotes_export", {}) as entry:
            gid = await require_moderator(interaction, "/quotes export")
            items = await in_session(self.client, gid, lambda s: CuratedQuotes(s, gid).export())
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
        async with self.client.recorder.entry(interaction, "quotes_import", options) as entry:
            gid = await require_moderator(interaction, "/quotes import")
            if file.size > MAX_IMPORT_BYTES:
                raise CurationError(
                    f"That file is over {MAX_IMPORT_BYTES // (1024 * 1024)} MB: attach a /quotes export file."
                )
            await defer(interaction, ephemeral=True)
            items = parse_import(await file.read())
            actor = str(interaction.user.id)
            saved, skipped = await in_session(
                self.client, gid, lambda s: CuratedQuotes(s, gid).import_(items, actor=actor)
            )
            entry.verdict = str(saved)
            text = f"Imported {saved} curated quote{'s' if saved != 1 else ''}"
            text += f"; {skipped} already here, skipped." if skipped else "."
            if saved:
                await modlog.post(
                    self.client, gid, f"📥 <@{actor}> imported {saved} curated quotes ({skipped} skipped)"
                )
            await send_text(interaction, text)
