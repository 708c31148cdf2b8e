"""Member reports (👎 with a reason) as moderators read them: the reasons, the review queue panel."""

from __future__ import annotations

import discord

from bot.curation.review import NO_REASON, ReviewItem, VerdictReport, by_reason
from bot.discord.render.answers import Rendered
from bot.discord.render.common import NEUTRAL, one_line, user_text
from bot.discord.render.limits import (
    CONTENT,
    EMBED_DESCRIPTION,
    FIELD_NAME,
    FIELD_VALUE,
    fit_embeds,
    truncate,
)
from bot.discord.render.markdown import escape

PASSAGE_CHARS = 1500
REASONS: dict[str, tuple[str, str]] = {
    "wrong_author": ("Wrong author", "Someone else said this"),
    "out_of_context": ("Out of context", "The quote means something else in its essay"),
    "misquote": ("Misquote", "The words are not what the essay says"),
    "not_relevant": ("Not relevant", "This passage does not answer the question"),
    "essay_says_it": ("An essay does say this (which?)", "The verdict is wrong: you can name the essay"),
    "doesnt_say_it": ("It doesn't say this / says the opposite", "The passage does not say what was asked"),
}


def reason_label(reason: str) -> str:
    """The label members picked the reason with."""
    return REASONS[reason][0] if reason in REASONS else "No reason given" if reason == NO_REASON else reason


def reasons_text(item: ReviewItem) -> str:
    """``Wrong author ×2 · Misquote ×1``."""
    return " · ".join(f"{reason_label(r)} ×{n}" for r, n in item.reasons)


def excerpt(item: ReviewItem, limit: int = 200) -> str:
    """The passage's opening words, escaped, in typographic quotes."""
    return f"“{truncate(escape(one_line(item.text)), limit)}”"


def source(item: ReviewItem) -> str:
    """Essay title and authors, escaped."""
    authors = ", ".join(item.authors) or "unknown author"
    return f"**{escape(one_line(item.title))}** by {escape(authors)}"


def item_embed(item: ReviewItem, index: int, total: int) -> discord.Embed:
    """One reported passage: its text, essay, reports by reason, and the questions it answered."""
    embed = discord.Embed(
        title=f"{item.reports} 👎 · {reason_label(item.main_reason)}",
        description=truncate(escape(item.text), min(PASSAGE_CHARS, EMBED_DESCRIPTION)),
        colour=NEUTRAL,
    )
    embed.add_field(name="Essay", value=truncate(source(item), FIELD_VALUE), inline=False)
    embed.add_field(name="Reports by reason", value=truncate(reasons_text(item), FIELD_VALUE), inline=False)
    if item.questions:
        asked = "\n".join(user_text(q, 150) for q in item.questions)
        embed.add_field(name="Reported answers to", value=truncate(asked, FIELD_VALUE), inline=False)
    if item.override is not None:
        speaker, role = item.override
        fixed = f"{escape(speaker)} ({role})" if speaker else role
        embed.add_field(name="Attribution fixed", value=truncate(fixed, FIELD_VALUE), inline=False)
    embed.add_field(name="Last report", value=f"<t:{int(item.last_report_at.timestamp())}:R>")
    embed.set_footer(text=f"Passage {item.passage_id} · {index + 1} of {total}")
    return embed


VERDICT_QUESTIONS = 10  # questions listed in the verdict reports embed


def verdicts_embed(reports: list[VerdictReport]) -> discord.Embed:
    """Reports about the verdict itself, one field per question, most reported first."""
    total = sum(r.reports for r in reports)
    embed = discord.Embed(
        title=f"Verdict reports: {len(reports)} question{'s' if len(reports) != 1 else ''}, {total} 👎",
        description=(
            "Members say an essay does say what was asked, or that the passage shown does not say it. "
            "Right-click the answer → Apps → Moderate this answer to rule on the question."
        ),
        colour=NEUTRAL,
    )
    for report in reports[:VERDICT_QUESTIONS]:
        lines = [" · ".join(f"{reason_label(r)} ×{n}" for r, n in report.reasons)]
        lines += [f"Which: {user_text(w, 150)}" for w in report.which]
        if report.passage_ids:
            lines.append("Passages shown: " + ", ".join(f"`{p}`" for p in report.passage_ids[:5]))
        lines.append(f"Last report <t:{int(report.last_report_at.timestamp())}:R>")
        embed.add_field(
            name=truncate(f"{report.reports} 👎 · {escape(one_line(report.question))}", FIELD_NAME),
            value=truncate("\n".join(lines), FIELD_VALUE),
            inline=False,
        )
    if len(reports) > VERDICT_QUESTIONS:
        embed.set_footer(text=f"{len(reports) - VERDICT_QUESTIONS} more questions not shown")
    return embed


def queue_page(
    items: list[ReviewItem], index: int, status: str = "", verdicts: list[VerdictReport] | None = None
) -> Rendered:
    """The panel: a summary of the queue by reason, the passage at ``index``, then verdict reports."""
    lead = f"{status}\n" if status else ""
    extra = [verdicts_embed(verdicts)] if verdicts else []
    if not items:
        text = "Nothing to review: no passage has open 👎 reports."
        if verdicts:
            text = "No passage has open 👎 reports; members reported the verdict of these questions."
        return Rendered(truncate(lead + text, CONTENT), fit_embeds(extra))
    summary = ", ".join(f"{reason_label(r).lower()} {n}" for r, n in by_reason(items))
    reports = sum(i.reports for i in items)
    head = (
        f"**Review queue**: {len(items)} passage{'s' if len(items) != 1 else ''}, "
        f"{reports} open 👎 report{'s' if reports != 1 else ''} ({summary}). Most reported first."
    )
    return Rendered(
        truncate(lead + head, CONTENT), fit_embeds([item_embed(items[index], index, len(items)), *extra])
    )
