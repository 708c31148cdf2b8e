"""Pieces shared by the Discord renderers: result types, colours, excerpts, sources and summary lines.

Essay text and user text always pass through :func:`bot.discord.render.markdown.escape` before they reach
markdown; footers and embed author names are plain text in Discord, so they are only truncated.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

import discord

from bot.answer.excerpt import Excerpt, make_excerpt, render_markdown
from bot.answer.types import Quote
from bot.corpus.models import EssayMeta
from bot.discord.render import limits
from bot.discord.render.markdown import escape, italic, link, safe_url

Visibility = Literal["public", "ephemeral"]

MATCH_LABELS = {"exact": "Exact quote", "near": "Near quote", "paraphrase": "Similar idea"}
VISIBILITY_TEXT: dict[str, str] = {"public": "Visible to everyone", "ephemeral": "Only you can see this"}

# One colour for an answer, one for "not found", one for "an essay says otherwise", one for
# everything that is not an answer.
FOUND = discord.Colour(0x2E8B57)
NOT_FOUND = discord.Colour(0xC0392B)
CONTRADICTED = discord.Colour(0x8E44AD)
NEUTRAL = discord.Colour(0x95A5A6)
SAYS_OTHERWISE = "Says otherwise"

# Room kept in summary lines so callers can add a short prefix and stay under 2000 characters.
SUMMARY_QUOTE_CHARS = 300
SUMMARY_SOURCE_CHARS = 300
_MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]


@dataclass(frozen=True)
class Rendered:
    """A message ready to send: content (never empty) and embeds within Discord's limits."""

    content: str
    embeds: list[discord.Embed]


def one_line(text: str) -> str:
    """Whitespace (newlines included) collapsed to single spaces."""
    return " ".join(text.split())


def user_text(text: str, limit: int = 200) -> str:
    """User input (a query, a topic) as escaped one-line markdown in typographic quotes."""
    return f"“{limits.truncate(escape(one_line(text)), limit)}”"


def human_date(date: str | None) -> str | None:
    """``2022-03-12`` → ``12 March 2022``, ``2022-03`` → ``March 2022``; anything else unchanged."""
    if not date:
        return None
    m = re.fullmatch(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?", date)
    if not m or (m.group(2) and not 1 <= int(m.group(2)) <= 12):
        return date
    year, month, day = m.groups()
    if not month:
        return year
    name = _MONTHS[int(month) - 1]
    return f"{int(day)} {name} {year}" if day else f"{name} {year}"


def quote_url(q: Quote) -> str | None:
    """Where a click on the source should go: the sentence itself, else the essay."""
    return safe_url(q.link) or safe_url(q.essay.url)


def source_line(meta: EssayMeta, url: str | None) -> str:
    """``*Title* · Publication · Date`` (markdown), the title linked when there is a URL."""
    parts = [link(italic(one_line(meta.title)), url)]
    parts += [escape(one_line(x)) for x in (meta.publication, human_date(meta.date)) if x]
    return limits.truncate(" · ".join(parts), 600)


def _context_of(q: Quote) -> tuple[str, int]:
    """The paragraph around the quote, or the quote alone when the paragraph does not hold it."""
    if q.context and q.context_start <= q.start and q.end <= q.context_start + len(q.context):
        return q.context, q.context_start
    return q.quote, q.start


def excerpt_markdown(q: Quote, budget: int, *, span: tuple[int, int] | None = None, bold: bool = True) -> str:
    """The quote in its paragraph, trimmed with ellipses, ``span`` (body offsets) in bold.

    ``span`` defaults to the words that matched (the whole sentence for a paraphrase). The result is
    a block quote of at most ``budget`` characters; escaping can lengthen the text, so the excerpt is
    shrunk until the markdown fits.
    """
    context, start = _context_of(q)
    a, b = span or (q.highlight_start, q.highlight_end)
    if not q.start <= a < b <= q.end:
        a, b = q.start, q.end
    max_chars = max(budget - 2, 10)
    while True:
        ex = make_excerpt(context, start, a, b, max_chars)
        if not bold:
            ex = Excerpt(ex.text, (), ex.prefix_ellipsis, ex.suffix_ellipsis)
        md = "> " + render_markdown(ex, escape).strip().replace("\n", "\n> ")
        if len(md) <= budget or max_chars <= 40:
            return limits.truncate(md, budget)
        max_chars = max(40, max_chars * budget // len(md) - 1)


def found_in(q: Quote) -> str:
    """``found in X`` for a result's attribution (``found quoted in X`` when no speaker is named)."""
    attribution = one_line(q.attribution)
    return f"found {attribution}" if attribution.startswith("quoted in ") else f"found in {attribution}"


def summary_quote(q: Quote) -> str:
    """The matched words as escaped one-line markdown in quotes, “…” marking what was left out."""
    a, b = q.highlight_start - q.start, q.highlight_end - q.start
    if not 0 <= a < b <= len(q.quote):
        a, b = 0, len(q.quote)
    marks = "“”\"'‘’ \n\t"
    before, words, after = q.quote[:a], q.quote[a:b].strip(marks), q.quote[b:]
    words = limits.truncate(escape(one_line(words)), SUMMARY_QUOTE_CHARS)
    # Only words left out earn an ellipsis, not a closing quote mark or the final full stop.
    left_out = marks + ".,;:!?"
    lead = "…" if before.strip(left_out) and not words.startswith("…") else ""
    tail = "…" if after.strip(left_out) and not words.endswith("…") else ""
    return f"“{lead}{words}{tail}”"


def summary_line(q: Quote) -> str:
    """One plain line for message content: “…quote…” (Attribution, Year), escaped, at most ~620 chars.

    Members with embeds turned off, notifications and link previews still see the answer.
    """
    source = limits.truncate(escape(one_line(q.attribution)), SUMMARY_SOURCE_CHARS)
    year = (q.essay.date or "")[:4]
    return f"{summary_quote(q)} ({source}{', ' + year if year else ''})"


def footer(*parts: str) -> str:
    """A plain footer from non-empty parts, within Discord's limit."""
    return limits.truncate(" · ".join(p for p in parts if p), limits.FOOTER_TEXT, markdown=False)


def attribution_title(q: Quote) -> str:
    """The attribution as an embed title: escaped, capitalised ("Quoted in …"), within 256 chars."""
    text = one_line(q.attribution)
    return limits.truncate(escape(text[:1].upper() + text[1:]), limits.EMBED_TITLE)


def quote_embed(q: Quote, *, colour: discord.Colour, lead: str = "", budget: int = 900) -> discord.Embed:
    """An embed for one passage: attribution as the (linked) title, excerpt, then the source line.

    A quote the server's moderators curated or re-attributed says so in a "From the moderators" field.
    """
    url = quote_url(q)
    body = excerpt_markdown(q, budget)
    description = "\n\n".join(x for x in (lead, body, source_line(q.essay, url)) if x)
    embed = discord.Embed(
        title=attribution_title(q),
        url=url,
        description=limits.truncate(description, limits.EMBED_DESCRIPTION),
        colour=colour,
    )
    note = moderator_note(q)
    if note:
        embed.add_field(name=MODERATORS_FIELD, value=note, inline=False)
    return embed


MODERATORS_FIELD = "From the moderators"
CURATED_LABEL = "⭐ curated"
CORRECTED = "Corrected by the moderators"
ATTRIBUTION_FIXED = "Attribution fixed by the moderators"


def moderator_note(q: Quote) -> str | None:
    """What this server's moderators did to a quote: curated (by whom, when, why), attribution fixed."""
    lines = []
    badge = q.curated
    if badge is not None:
        # A mention in an embed shows the moderator's name and never pings; "cli" is the command line.
        who = (
            f"<@{badge.saved_by}>"
            if badge.saved_by.isdigit()
            else ("an admin (command line)" if badge.saved_by == "cli" else escape(one_line(badge.saved_by)))
        )
        line = f"⭐ Curated quote, saved by {who} on {human_date(badge.saved_at[:10])}"
        if badge.note:
            line += f": {limits.truncate(escape(one_line(badge.note)), 300)}"
        if badge.tags:
            line += " · tags: " + ", ".join(escape(t) for t in badge.tags)
        lines.append(line)
    if q.attribution_fixed:
        lines.append(f"✏️ {ATTRIBUTION_FIXED}")
    return limits.truncate("\n".join(lines), limits.FIELD_VALUE) if lines else None


def corrected(rendered: Rendered) -> Rendered:
    """An answer re-rendered after moderation, marked as corrected in its content and footer.

    The mark goes after the content, whose first words stay the verdict (what notifications show).
    """
    for embed in rendered.embeds[-1:]:
        embed.set_footer(text=footer(embed.footer.text or "", CORRECTED))
    mark = f" · ✏️ *{CORRECTED}*"
    return finish(limits.truncate(rendered.content, limits.CONTENT - len(mark)) + mark, rendered.embeds)


def finish(content: str, embeds: list[discord.Embed]) -> Rendered:
    """A Rendered message within every limit."""
    return Rendered(limits.truncate(content, limits.CONTENT), limits.fit_embeds(embeds))
