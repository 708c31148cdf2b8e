"""Curated quotes as moderators list them: number, words, source, who saved them, tags and note."""

from __future__ import annotations

from collections.abc import Sequence

import discord

from bot.curation.quotes import QuoteLine
from bot.discord.render import limits
from bot.discord.render.answers import page_count
from bot.discord.render.common import NEUTRAL, Rendered, finish, footer, human_date, one_line
from bot.discord.render.markdown import escape, italic

PER_PAGE = 5


def quote_entry(q: QuoteLine) -> str:
    """One curated quote: number, words, source, who saved it when, tags and note (markdown)."""
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


def list_page(quotes: Sequence[QuoteLine], page: int, *, filters: str) -> Rendered:
    """One page of curated quotes."""
    pages = page_count(len(quotes), PER_PAGE)
    shown = quotes[page * PER_PAGE : (page + 1) * PER_PAGE]
    embed = discord.Embed(
        title=f"Curated quotes{filters}",
        description=limits.truncate("\n\n".join(quote_entry(q) for q in shown), limits.EMBED_DESCRIPTION)
        or "No curated quotes yet: save one with /quotes save or Moderate this answer.",
        colour=NEUTRAL,
    )
    embed.set_footer(text=footer(f"Page {page + 1} of {pages}", "Only you can see this"))
    return finish(
        f"{len(quotes)} curated quote{'s' if len(quotes) != 1 else ''} · page {page + 1} of {pages}", [embed]
    )
