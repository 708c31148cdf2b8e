"""Compare, positions, the essay list and short notices, rendered as Discord messages."""

from __future__ import annotations

import math
from collections.abc import Sequence

import discord

from bot.answer.types import CompareAnswer, PositionsAnswer, Quote, Side
from bot.corpus.models import EssayMeta
from bot.discord.render import limits
from bot.discord.render.common import (
    FOUND,
    NEUTRAL,
    VISIBILITY_TEXT,
    Rendered,
    Visibility,
    excerpt_markdown,
    finish,
    footer,
    human_date,
    one_line,
    quote_embed,
    quote_url,
    source_line,
    user_text,
)
from bot.discord.render.markdown import bold, escape, link, safe_url

# Two sides share the 6000 characters of a message: about 2,700 each, split among their passages.
SIDE_CHARS = 2700
POSITION_LINE_MAX = 300
POSITION_LINE_MIN = 60


def _passage_block(q: Quote, budget: int) -> str:
    """A passage in a list: its excerpt, then who says it and where."""
    speaker = f"{escape(one_line(q.attribution))} · " if q.speaker_role else ""
    return f"{excerpt_markdown(q, budget)}\n— {speaker}{source_line(q.essay, quote_url(q))}"


def _side_embed(side: Side, topic: str, which: str) -> discord.Embed:
    embed = discord.Embed(title=limits.truncate(escape(one_line(side.label)), limits.EMBED_TITLE))
    embed.set_author(name=f"Side {which} · {side.kind}")
    if not side.passages:
        embed.description = f"Nothing by {bold(one_line(side.label))} on {user_text(topic)}."
        embed.colour = NEUTRAL
        return embed
    budget = max(200, SIDE_CHARS // len(side.passages) - 250)
    blocks = [_passage_block(q, budget) for q in side.passages]
    embed.description = limits.truncate("\n\n".join(blocks), min(SIDE_CHARS, limits.EMBED_DESCRIPTION))
    embed.colour = FOUND
    return embed


def _side_summary(side: Side) -> str:
    n = len(side.passages)
    said = f"{n} passage{'s' if n != 1 else ''}" if n else "nothing on this topic"
    return f"{escape(one_line(side.label))} ({said})"


def compare(answer: CompareAnswer, *, visibility: Visibility) -> Rendered:
    """Both sides on a topic, one embed per side, stacked (inline columns collapse on phones).

    A side with nothing on the topic says so explicitly.
    """
    embeds = [_side_embed(answer.a, answer.topic, "A"), _side_embed(answer.b, answer.topic, "B")]
    embeds[-1].set_footer(text=footer(VISIBILITY_TEXT[visibility]))
    content = (
        f"Compare on {user_text(answer.topic)}: {_side_summary(answer.a)} and {_side_summary(answer.b)}."
    )
    return finish(content, embeds)


def _position_line(i: int, author: str, q: Quote | None, quote_chars: int) -> str:
    head = f"**{i}. {escape(one_line(author))}**"  # the line starts with "**": no list marker to escape
    if q is None:
        return f"{head} — *nothing on this topic*"
    words = limits.truncate(escape(one_line(q.quote)), quote_chars)
    year = (q.essay.date or "")[:4]
    where = link(f"*{escape(one_line(q.essay.title))}*", quote_url(q)) + (f", {year}" if year else "")
    return f"{head} — “{words}” ({where})"


def positions(answer: PositionsAnswer, *, visibility: Visibility, expanded: int | None = None) -> Rendered:
    """Every author's best passage on a topic, one trimmed line each (numbered from 1).

    ``expanded`` is the 0-based index of a position shown in full as a second embed.
    """
    n = len(answer.positions)
    # Share the description between the authors; each line also carries its name and source.
    quote_chars = max(POSITION_LINE_MIN, min(POSITION_LINE_MAX, 3800 // max(n, 1) - 150))
    lines = [_position_line(i, p.author, p.passage, quote_chars) for i, p in enumerate(answer.positions, 1)]
    have = sum(1 for p in answer.positions if p.passage)
    overview = discord.Embed(
        title=limits.truncate(f"Positions on {user_text(answer.topic)}", limits.EMBED_TITLE),
        description=limits.truncate(
            "\n".join(lines) or "No authors in the corpus.", limits.EMBED_DESCRIPTION
        ),
        colour=FOUND if have else NEUTRAL,
    )
    embeds = [overview]
    if expanded is not None and 0 <= expanded < n:
        p = answer.positions[expanded]
        if p.passage is None:
            full = discord.Embed(
                title=limits.truncate(escape(one_line(p.author)), limits.EMBED_TITLE),
                description=f"Nothing by {bold(one_line(p.author))} on {user_text(answer.topic)}.",
                colour=NEUTRAL,
            )
        else:
            full = quote_embed(p.passage, colour=FOUND, budget=1500)
            full.set_author(
                name=limits.truncate(
                    f"{expanded + 1}. {one_line(p.author)}", limits.AUTHOR_NAME, markdown=False
                )
            )
        embeds.append(full)
    embeds[-1].set_footer(text=footer(VISIBILITY_TEXT[visibility]))
    content = f"Positions on {user_text(answer.topic)}: {have} of {n} authors have a passage on it."
    return finish(content, embeds)


def page_count(n_items: int, per_page: int) -> int:
    """Pages needed for ``n_items`` (at least one, so an empty list still has a page to show)."""
    return max(1, math.ceil(n_items / max(per_page, 1)))


def _essay_entry(i: int, m: EssayMeta) -> str:
    url = safe_url(m.url)
    # An absurdly long URL would crowd the other entries out of the description: leave it unlinked.
    title = link(limits.truncate(escape(one_line(m.title)), 200), url if url and len(url) <= 500 else None)
    details = [escape(one_line(m.author_line))]
    details += [escape(one_line(x)) for x in (m.publication, human_date(m.date)) if x]
    return f"**{i}. {title}**\n" + limits.truncate(" · ".join(details), 600)


def essays_page(essays: Sequence[EssayMeta], page: int, *, per_page: int = 5) -> Rendered:
    """Page ``page`` (0-based, clamped) of the corpus: title linked, authors, publication and date."""
    pages = page_count(len(essays), per_page)
    page = max(0, min(page, pages - 1))
    start = page * per_page
    shown = essays[start : start + per_page]
    entries = [_essay_entry(start + i, m) for i, m in enumerate(shown, 1)]
    # An entry is at most ~1,000 characters (usually under 200); a page that would still not fit loses
    # its last entries to truncation rather than break the limit.
    description = "\n\n".join(entries) or "The corpus is empty: an admin can add essays with essaybot ingest."
    embed = discord.Embed(
        title=f"The corpus: {len(essays)} essay{'s' if len(essays) != 1 else ''}",
        description=limits.truncate(description, limits.EMBED_DESCRIPTION),
        colour=NEUTRAL,
    )
    embed.set_footer(text=f"Page {page + 1} of {pages}")
    return finish(f"{len(essays)} essays in the corpus · page {page + 1} of {pages}", [embed])


def notice(text: str, *, title: str | None = None) -> Rendered:
    """A short error or information message as plain content, shown literally (it is escaped)."""
    line = escape(text.strip()) or "…"
    if title:
        line = f"**{escape(one_line(title))}**: {line}"
    return Rendered(limits.truncate(line, limits.CONTENT), [])
