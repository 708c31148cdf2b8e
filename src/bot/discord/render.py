"""Answers rendered as Discord messages: pure functions from answers to content and embeds.

No client and no network here. Every message fits Discord's limits (``bot.discord.limits``), every
piece of essay or user text is escaped (``bot.discord.markdown``), and the content always holds a
plain one-line summary, so members who turn embeds off still see the answer.

Compare, positions, the essay list and notices live in ``render_info`` and are re-exported here.
"""

from __future__ import annotations

import discord

from bot.answer.types import Quote, WhoSaidAnswer
from bot.discord import limits
from bot.discord.markdown import escape, escape_minimal
from bot.discord.render_common import (
    CURATED_LABEL,
    FOUND,
    MATCH_LABELS,
    NEUTRAL,
    NOT_FOUND,
    VISIBILITY_TEXT,
    Rendered,
    Visibility,
    attribution_title,
    excerpt_markdown,
    finish,
    footer,
    found_in,
    human_date,
    one_line,
    quote_embed,
    quote_url,
    source_line,
    summary_line,
    summary_quote,
    user_text,
)
from bot.discord.render_info import compare, essays_page, notice, page_count, positions

__all__ = [
    "FOUND",
    "MATCH_LABELS",
    "NEUTRAL",
    "NOT_FOUND",
    "Rendered",
    "Visibility",
    "citation",
    "compare",
    "context",
    "essays_page",
    "notice",
    "page_count",
    "positions",
    "result_count",
    "summary_line",
    "who_said",
]

# Characters of excerpt in a who-said embed: enough for the sentence and a little context.
EXCERPT_CHARS = 700
CONTEXT_CHARS = 3600


def pages(answer: WhoSaidAnswer) -> list[Quote]:
    """The quotes Previous/Next go through for this answer."""
    if answer.verdict == "found" and answer.results:
        return answer.results
    return answer.found_elsewhere or answer.closest


def result_count(answer: WhoSaidAnswer) -> int:
    """How many pages Previous/Next can go through: results when found, else the quotes shown instead.

    Those are the passages found in another author's essays when an ``author`` filter missed, else
    the closest passages (which are not a match).
    """
    return len(pages(answer))


def _found(answer: WhoSaidAnswer, index: int, visibility: Visibility) -> Rendered:
    q = answer.results[index]
    embed = quote_embed(q, colour=FOUND, budget=EXCERPT_CHARS)
    label = f"{MATCH_LABELS[q.match]} · confidence {answer.confidence:.0%}"
    if q.curated is not None:
        label += f" · {CURATED_LABEL}"
    if answer.author_filter:
        label += f" · in {one_line(answer.author_filter)}'s essays"
    embed.set_author(name=limits.truncate(label, limits.AUTHOR_NAME, markdown=False))
    # The misquote diff compares the user's words with the top result only.
    if index == 0 and answer.quote_verdict == "near" and answer.diff_summary:
        diff = one_line(answer.diff_summary)
        embed.add_field(
            name="Not quite the original words",
            value=limits.truncate(escape(diff[:1].upper() + diff[1:]), limits.FIELD_VALUE),
            inline=False,
        )
    _also_in(embed, q)
    embed.set_footer(text=footer(f"Result {index + 1} of {len(answer.results)}", VISIBILITY_TEXT[visibility]))
    return finish(summary_line(q), [embed])


def _also_in(embed: discord.Embed, q: Quote) -> None:
    if q.also_in:
        name = "First said here; also in" if q.first_said else "Also in"
        value = ", ".join(escape(x) for x in q.also_in)
        embed.add_field(name=name, value=limits.truncate(value, limits.FIELD_VALUE), inline=False)


def _elsewhere(answer: WhoSaidAnswer, index: int, visibility: Visibility) -> Rendered:
    q = answer.found_elsewhere[index]
    who = one_line(answer.author_filter or "this author")
    lead = f"Not in **{escape(who)}**'s essays; {escape(found_in(q))}."
    embed = quote_embed(q, colour=FOUND, lead=lead, budget=EXCERPT_CHARS)
    embed.set_author(
        name=limits.truncate(f"{MATCH_LABELS[q.match]} · not by {who}", limits.AUTHOR_NAME, markdown=False)
    )
    _also_in(embed, q)
    n = len(answer.found_elsewhere)
    embed.set_footer(text=footer(f"Result {index + 1} of {n}", VISIBILITY_TEXT[visibility]))
    year = (q.essay.date or "")[:4]
    content = f"Not in {escape(who)}'s essays; {escape(found_in(q))}{f' ({year})' if year else ''}: "
    return finish(content + summary_quote(q), [embed])


def _not_found(answer: WhoSaidAnswer, index: int, visibility: Visibility) -> Rendered:
    where = f"{escape(one_line(answer.author_filter))}'s essays" if answer.author_filter else "the corpus"
    embed = discord.Embed(
        title="Not found",
        description=f"Nothing in {where} says {user_text(answer.query, 300)}.",
        colour=NOT_FOUND,
    )
    content = f"Not found: nothing in {where} says this."
    embeds = [embed]
    if answer.closest:
        q = answer.closest[index]
        # Never styled as an answer: neutral colour, no match label, no bold, labelled in the title.
        near = discord.Embed(
            title="Closest passages — not a match",
            description="\n\n".join(
                (
                    excerpt_markdown(q, EXCERPT_CHARS, bold=False),
                    f"— {escape(one_line(q.attribution))}",
                    source_line(q.essay, quote_url(q)),
                )
            ),
            colour=NEUTRAL,
        )
        embeds.append(near)
        content += " The closest passages shown are not a match."
        label = f"Closest passage {index + 1} of {len(answer.closest)}"
    else:
        label = ""
    embeds[-1].set_footer(text=footer(label, VISIBILITY_TEXT[visibility]))
    return finish(content, embeds)


def who_said(answer: WhoSaidAnswer, index: int = 0, *, visibility: Visibility) -> Rendered:
    """Page ``index`` of a who-said answer (clamped to the pages there are).

    Found: the excerpt with the matched words in bold, the attribution as the linked title, the
    source line, the match label and confidence, the misquote diff and "also in" sources. Not found:
    says so plainly, then either where else it was said (when an author filter missed) or the closest
    passages, labelled as not a match.
    """
    index = max(0, min(index, result_count(answer) - 1))
    if answer.verdict == "found" and answer.results:
        return _found(answer, index, visibility)
    if answer.found_elsewhere:
        return _elsewhere(answer, index, visibility)
    return _not_found(answer, index, visibility)


def citation(quote: Quote) -> str:
    """A plain-text citation to paste elsewhere: “quote” (attribution, publication, date) link.

    It is sent as message content, so it is escaped only where Discord would otherwise change what it
    shows (``escape_minimal``): a lone ``*`` or ``_`` stays as it is, paired markers and mentions do
    not; the link stays raw so that it pastes as a working URL. At most 2000 characters.
    """
    meta = quote.essay
    parts = [quote.attribution] + [x for x in (meta.publication, human_date(meta.date)) if x]
    url = quote_url(quote)
    tail = " (" + ", ".join(one_line(p) for p in parts) + ")" + (f" {url}" if url else "")
    words, room = one_line(quote.quote), limits.CONTENT
    # Escaped as a whole (a lone "*" in the quote and one in the title would pair), then shortened
    # until escaping leaves it under the limit.
    while True:
        text = escape_minimal(f"“{limits.truncate(words, room, markdown=False)}”{tail}")
        if len(text) <= limits.CONTENT or room <= 1:
            return limits.truncate(text, limits.CONTENT)
        room = max(1, room - (len(text) - limits.CONTENT))


def context(quote: Quote) -> Rendered:
    """The paragraph around a quote, the quote in bold; always ephemeral."""
    body = excerpt_markdown(quote, CONTEXT_CHARS, span=(quote.start, quote.end))
    description = f"{body}\n\n{source_line(quote.essay, quote_url(quote))}"
    embed = discord.Embed(
        title=attribution_title(quote),
        url=quote_url(quote),
        description=limits.truncate(description, limits.EMBED_DESCRIPTION),
        colour=NEUTRAL,
    )
    embed.set_author(name="Context")
    if quote.section:
        embed.add_field(name="Section", value=limits.truncate(escape(one_line(quote.section)), 200))
    embed.set_footer(text=footer(VISIBILITY_TEXT["ephemeral"]))
    return finish(f"Context of {summary_line(quote)}", [embed])
