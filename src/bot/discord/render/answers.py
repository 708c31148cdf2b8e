"""Answers rendered as Discord messages: pure functions from answers to content and embeds.

No client and no network here. Every message fits Discord's limits (``bot.discord.render.limits``), every
piece of essay or user text is escaped (``bot.discord.render.markdown``), and the content always holds a
plain one-line summary, so members who turn embeds off still see the answer.

Compare, positions, the essay list and notices live in ``render_info`` and are re-exported here.
"""

from __future__ import annotations

import discord

from bot.answer.types import SUPPORT_WORDS, Contradiction, Quote, WhoSaidAnswer
from bot.answer.wording import contradiction_line, headline
from bot.discord.render import limits
from bot.discord.render.common import (
    CONTRADICTED,
    CURATED_LABEL,
    FOUND,
    MATCH_LABELS,
    NEUTRAL,
    NOT_FOUND,
    SAYS_OTHERWISE,
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
from bot.discord.render.info import compare, essays_page, notice, page_count, positions
from bot.discord.render.markdown import escape, escape_minimal

__all__ = [
    "CONTRADICTED",
    "CUE_WORDS",
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
    "verdict_line",
    "who_said",
    "why",
]

# Characters of excerpt in a who-said embed: enough for the sentence and a little context.
EXCERPT_CHARS = 700
CONTEXT_CHARS = 3600
# The verdict line leads the content; the quote's summary line follows within 2000 characters.
HEADLINE_CHARS = 1000

# The verifier's cues as the "Why?" reply names them.
CUE_WORDS: dict[str, str] = {
    "negation": "Negation",
    "number": "A changed number",
    "opposite": "Opposite words",
    "role_swap": "Swapped roles",
    "mix": "A mix of two essays",
    "moderators": "The moderators' ruling",
}


def pages(answer: WhoSaidAnswer) -> list[Quote]:
    """The quotes Previous/Next go through for this answer.

    Found: the results. Not found: where else it was said (an author filter missed), else the
    passages that say otherwise, then the related passages that are not among them.
    """
    if answer.verdict == "found" and answer.results:
        return answer.results
    if answer.found_elsewhere:
        return answer.found_elsewhere
    opposed = [c.quote for c in answer.contradicted_by]
    ids = {q.passage_id for q in opposed}
    return opposed + [q for q in answer.closest if q.passage_id not in ids]


def result_count(answer: WhoSaidAnswer) -> int:
    """How many pages Previous/Next can go through: results when found, else the quotes shown instead.

    Those are the passages found in another author's essays when an ``author`` filter missed, else
    the passages that say otherwise and the related passages (which are not a match).
    """
    return len(pages(answer))


def verdict_line(answer: WhoSaidAnswer) -> str:
    """``answer.wording.headline`` as escaped one-line markdown: the first words of every answer."""
    return limits.truncate(escape(one_line(headline(answer))), HEADLINE_CHARS)


def support_label(answer: WhoSaidAnswer) -> str:
    """How plainly the passage says it, in words the score can back (no percentage)."""
    return SUPPORT_WORDS[answer.support or "says_this"]


def _found(answer: WhoSaidAnswer, index: int, visibility: Visibility) -> Rendered:
    q = answer.results[index]
    embed = quote_embed(q, colour=FOUND, budget=EXCERPT_CHARS)
    label = f"{MATCH_LABELS[q.match]} · {support_label(answer)}"
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
    return finish(f"{verdict_line(answer)} {summary_line(q)}", [embed])


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
    found = escape(found_in(q))
    content = f"{verdict_line(answer)} {found[:1].upper()}{found[1:]}{f' ({year})' if year else ''}: "
    return finish(content + summary_quote(q), [embed])


def _opposed(answer: WhoSaidAnswer, c: Contradiction, index: int, visibility: Visibility) -> Rendered:
    """One passage that says something other than the claim, with its real speaker and what differs."""
    q = c.quote
    claim = user_text(answer.query, 300)
    if answer.author_filter:
        lead = f"**{escape(one_line(answer.author_filter))}** doesn't say {claim}."
    else:
        lead = f"No essay in this library says {claim}."
    embed = quote_embed(q, colour=CONTRADICTED, lead=lead, budget=EXCERPT_CHARS)
    embed.set_author(name=SAYS_OTHERWISE)
    # Field values are markdown: the difference names essay words, so it is escaped.
    embed.add_field(
        name="What differs",
        value=limits.truncate(escape(one_line(contradiction_line(c))), limits.FIELD_VALUE),
        inline=False,
    )
    if answer.diff_summary and index == 0:
        diff = one_line(answer.diff_summary)
        embed.add_field(
            name="Your words against the essay's",
            value=limits.truncate(escape(diff[:1].upper() + diff[1:]), limits.FIELD_VALUE),
            inline=False,
        )
    others = [o for o in answer.contradicted_by if o is not c]
    if others:
        listed = "\n".join(f"• {escape(one_line(contradiction_line(o)))}" for o in others)
        embed.add_field(
            name="Also says otherwise", value=limits.truncate(listed, limits.FIELD_VALUE), inline=False
        )
    n = len(answer.contradicted_by)
    embed.set_footer(
        text=footer(f"{SAYS_OTHERWISE}: passage {index + 1} of {n}", VISIBILITY_TEXT[visibility])
    )
    return finish(f"{verdict_line(answer)} {summary_line(q)}", [embed])


def _not_found(answer: WhoSaidAnswer, index: int, visibility: Visibility) -> Rendered:
    shown = pages(answer)
    opposed = {id(c.quote): c for c in answer.contradicted_by}
    if shown and id(shown[index]) in opposed:
        return _opposed(answer, opposed[id(shown[index])], index, visibility)
    who = escape(one_line(answer.author_filter)) if answer.author_filter else None
    if shown:
        # Related passages exist: the verdict is that none clearly says it, never that nothing does.
        where = f" in {who}'s essays" if who else ""
        text = f"No passage{where} clearly says {user_text(answer.query, 300)}."
    else:
        text = (
            f"Nothing in {f'{who}’s essays' if who else 'this library'} says {user_text(answer.query, 300)}."
        )
    title = "Not found: says otherwise" if answer.contradicted_by else "Not found"
    colour = CONTRADICTED if answer.contradicted_by else NOT_FOUND
    embed = discord.Embed(title=title, description=text, colour=colour)
    content = verdict_line(answer)
    embeds = [embed]
    if shown:
        q = shown[index]
        # Never styled as an answer: neutral colour, no match label, no bold, labelled in the title.
        near = discord.Embed(
            title="Related passage — not a match",
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
        content += " The related passages shown are not a match."
        first = len(answer.contradicted_by)
        label = f"Related passage {index + 1 - first} of {len(shown) - first}"
    else:
        label = ""
    embeds[-1].set_footer(text=footer(label, VISIBILITY_TEXT[visibility]))
    return finish(content, embeds)


def who_said(answer: WhoSaidAnswer, index: int = 0, *, visibility: Visibility) -> Rendered:
    """Page ``index`` of a who-said answer (clamped to the pages there are).

    The content always starts with the verdict (``answer.wording.headline``). Found: the excerpt with
    the matched words in bold, the attribution as the linked title, the source line, the match label
    and how plainly the passage says it, the misquote diff and "also in" sources. Not found: where
    else it was said (when an author filter missed), else each passage that says otherwise (its own
    colour, its real speaker and what differs), then the related passages, labelled as not a match.
    """
    index = max(0, min(index, result_count(answer) - 1))
    if answer.verdict == "found" and answer.results:
        return _found(answer, index, visibility)
    if answer.found_elsewhere:
        return _elsewhere(answer, index, visibility)
    return _not_found(answer, index, visibility)


def why(answer: WhoSaidAnswer, quote: Quote | None = None) -> Rendered:
    """The private "Why?" reply: the cue the verifier used, or how plainly a found passage says it."""
    lines: list[str] = [verdict_line(answer)]
    if answer.verdict == "found":
        if answer.quote_verdict == "near" and answer.diff_summary:
            lines.append(f"A near quote: {escape(one_line(answer.diff_summary))}.")
        if answer.support == "probably_means_this":
            lines.append(
                "The passage says it in other words: the verifier found no negation, changed number, "
                "opposite word or swapped roles against your claim, but the wording differs, so check "
                "the context."
            )
        else:
            lines.append(
                "The passage says it in your words: the verifier found no negation, changed number, "
                "opposite word or swapped roles against your claim."
            )
    elif answer.contradicted_by:
        chosen = [
            c for c in answer.contradicted_by if quote is None or c.quote is quote
        ] or answer.contradicted_by
        for c in chosen[:1] + [o for o in answer.contradicted_by if o is not chosen[0]]:
            cue = CUE_WORDS.get(c.cue, c.cue)
            lines.append(f"**{cue}**: {escape(one_line(contradiction_line(c)))}.")
    elif answer.found_elsewhere:
        lines.append("The author you named does not say it; the passage shown is another author's.")
    elif pages(answer):
        lines.append(
            "The closest passages are about your claim, but none of them says it clearly enough for the "
            "verifier, and none says the opposite either."
        )
    else:
        lines.append("No passage in this library is close enough to your claim to check.")
    embed = discord.Embed(
        title="Why this verdict?",
        description=limits.truncate("\n\n".join(lines[1:]), limits.EMBED_DESCRIPTION),
        colour=NEUTRAL,
    )
    embed.set_footer(text=footer(VISIBILITY_TEXT["ephemeral"]))
    return finish(f"Why: {lines[0]}", [embed])


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
