"""Moderation actions from Discord (save a quote, hide, attribute), shared by the commands and panels.

Every action re-checks that the member is a moderator (Discord's command permissions can be
overridden by server admins), runs its database work on the worker pool in one transaction that
also writes the audit entry, and posts to the guild's mod-log.
"""

from __future__ import annotations

from dataclasses import dataclass

import discord
from sqlalchemy.orm import Session

from bot.curation import moderation as curation
from bot.curation.passages import PassageInfo
from bot.curation.verdicts import RULING_WORDS
from bot.discord.actions import modlog
from bot.discord.checks import require_moderator
from bot.discord.render import limits
from bot.discord.render.common import one_line
from bot.discord.render.markdown import escape, italic


@dataclass(frozen=True)
class Outcome:
    """What a moderation action did: the reply for the moderator, and whether anything changed."""

    text: str
    passage_id: str
    changed: bool


# Role choices, in the words moderators read; "reset" removes the override (the detector decides).
ROLES: dict[str, str] = {
    "quoted": "Quoted: someone the essay quotes",
    "editors' introduction": "Editors' introduction",
    "reported view": "A view the authors report and reject",
    "own": "The essay's own authors",
    "reset": "Automatic: remove the override",
}


def describe(info: PassageInfo, chars: int = 160) -> str:
    """`id` “words…” — Author, *Title* (markdown, escaped)."""
    words = limits.truncate(escape(one_line(info.text)), chars)
    return f"`{info.id}` “{words}” — {escape(one_line(info.author_line))}, {italic(one_line(info.title))}"


def speaker_text(info: PassageInfo) -> str:
    """Who speaks in a passage as this guild's override says (escaped)."""
    if info.role is None:
        return "as detected"
    if info.role == "own":
        return f"{escape(info.author_line)} (the essay's authors)"
    return f"{escape(info.speaker or 'unnamed')} ({escape(info.role)})"


# -- actions ---------------------------------------------------------------------------------------


async def set_hidden(interaction: discord.Interaction, ref: str, hidden: bool) -> Outcome:
    """Hide or unhide a passage (an id, or words only it contains); the reply for the moderator."""
    context = await require_moderator(interaction, "/passages hide" if hidden else "/passages unhide")
    gid, actor = context.gid, context.actor

    changed, info = await context.db(lambda s: curation.set_hidden(s, gid, ref, hidden, actor=actor))
    if not changed:
        state = "hidden" if hidden else "shown"
        return Outcome(f"Nothing changed: {describe(info)} was already {state}.", info.id, False)
    await modlog.post(context, f"🙈 <@{actor}> {'hid' if hidden else 'unhid'} passage {describe(info)}")
    where = "never appears in" if hidden else "can appear again in"
    text = f"{'Hidden' if hidden else 'Unhidden'}: {describe(info)}. It {where} this server's answers."
    return Outcome(text, info.id, True)


async def attribute(interaction: discord.Interaction, ref: str, speaker: str | None, role: str) -> Outcome:
    """Override who speaks in a passage ("reset" removes the override); the reply for the moderator."""
    context = await require_moderator(interaction, "/passages attribute")
    gid, actor = context.gid, context.actor

    changed, info = await context.db(lambda s: curation.attribute(s, gid, ref, speaker, role, actor=actor))
    if not changed:
        return Outcome(f"Nothing changed: {describe(info)} already has that attribution.", info.id, False)
    await modlog.post(context, f"🗣️ <@{actor}> set the speaker of {describe(info)} to {speaker_text(info)}")
    return Outcome(f"Attribution of {describe(info)}: {speaker_text(info)}.", info.id, True)


async def save_quote(
    interaction: discord.Interaction,
    ref: str,
    *,
    start_words: str | None = None,
    end_words: str | None = None,
    note: str | None = None,
    tags: str | None = None,
) -> str:
    """Save a passage, or the words from ``start_words`` to ``end_words`` in it, as a curated quote."""
    context = await require_moderator(interaction, "/quotes save")
    gid, actor = context.gid, context.actor

    def save(session: Session) -> tuple[int, str, PassageInfo]:
        row, info = curation.save_quote(
            session, gid, ref, actor=actor, start_words=start_words, end_words=end_words, note=note, tags=tags
        )
        return row.id, row.text, info  # read inside the transaction: the row does not outlive it

    quote_id, text, info = await context.db(save)
    words = limits.truncate(escape(one_line(text)), 300)
    source = f"{escape(one_line(info.author_line))}, {italic(one_line(info.title))}"
    await modlog.post(context, f"⭐ <@{actor}> saved curated quote #{quote_id}: “{words}” — {source}")
    return f"⭐ Saved curated quote #{quote_id}: “{words}” — {source}. It now ranks first when it answers."


# The verdict choices of the panel; "reset" removes the ruling (the verifier decides again).
VERDICT_CHOICES: dict[str, str] = {
    "supports": "Supports: this passage says it",
    "contradicts": "Contradicts: it says otherwise or the opposite",
    "unrelated": "Doesn't address this question",
    "reset": "Automatic: remove the ruling, the verifier decides",
}


def ruling_text(verdict: str | None) -> str:
    """A ruling in the words moderators read."""
    return f"the moderators say it {RULING_WORDS[verdict]}" if verdict else "the verifier decides"


async def rule_verdict(interaction: discord.Interaction, passage_id: str, claim: str, choice: str) -> Outcome:
    """Rule on a claim–passage pair in this server (``choice`` "reset" removes the ruling)."""
    context = await require_moderator(interaction, "A verdict override")
    gid, actor = context.gid, context.actor
    verdict = None if choice == curation.RESET else choice
    changed, info = await context.db(
        lambda s: curation.rule_verdict(s, gid, passage_id, claim, verdict, actor=actor)
    )
    question = f"“{limits.truncate(escape(one_line(claim)), 200)}”"
    if not changed:
        return Outcome(f"Nothing changed: for {question}, {ruling_text(verdict)} already.", info.id, False)
    text = f"Verdict for {question} on {describe(info)}: {ruling_text(verdict)}."
    await modlog.post(context, f"⚖️ <@{actor}> set the verdict for {question} on {describe(info)}: "
                      f"{ruling_text(verdict)}")  # fmt: skip
    return Outcome(text, info.id, True)


# -- modals ----------------------------------------------------------------------------------------
