"""Correct answers already posted: after a passage was hidden or re-attributed, the answers that showed
it (after a verdict ruling, the answers to that claim) are asked again with the guild's current
curation and edited in place, marked as corrected.

The interaction log says which answers showed which passages and where they are (``passage_ids``,
``channel_id``, ``message_id``). Messages are edited through the channel endpoint with the bot's own
token, because the interaction tokens of old answers have expired. A corrected answer loses its
buttons: they belonged to the answer as first given. Messages that are gone (deleted, or private
answers, which only their interaction could edit) are skipped.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from dataclasses import dataclass

import discord

from bot.curation.answers import WHO_SAID, PostedAnswer, posted_answers
from bot.discord.actions import modlog
from bot.discord.context import Context, GuildScope
from bot.discord.render import answers as render
from bot.discord.render.common import corrected
from bot.discord.replies import NO_MENTIONS
from bot.errors import EssaybotError

log = logging.getLogger(__name__)


@dataclass
class CorrectionReport:
    """What ``correct`` did."""

    edited: int = 0
    gone: int = 0  # deleted, or private: nothing to edit
    failed: int = 0  # could not be asked again, or Discord refused the edit

    @property
    def total(self) -> int:
        """Answers that showed the passages."""
        return self.edited + self.gone + self.failed

    def summary(self) -> str:
        """One line for the moderator and the mod-log."""
        if not self.total:
            return "No posted answer in this server showed these passages."
        parts = [f"corrected {self.edited} posted answer{'s' if self.edited != 1 else ''}"]
        if self.gone:
            parts.append(f"{self.gone} deleted or private, skipped")
        if self.failed:
            parts.append(f"{self.failed} could not be corrected")
        text = "; ".join(parts)
        return text[:1].upper() + text[1:] + "."


async def rerender(scope: GuildScope, answer: PostedAnswer) -> render.Rendered:
    """Ask the logged question again with the guild's current curation, rendered as a public answer."""
    o, service, guild_id = answer.options, scope.host.service, int(scope.gid)
    if answer.command in WHO_SAID:
        result = await service.answer_who_said(str(o["query"]), o.get("author"), guild_id=guild_id)
        return render.who_said(result, 0, visibility="public")
    if answer.command == "compare":
        both = await service.answer_compare(str(o["a"]), str(o["b"]), str(o["topic"]), guild_id=guild_id)
        return render.compare(both, visibility="public")
    every = await service.answer_positions(str(o["topic"]), guild_id=guild_id)
    return render.positions(every, visibility="public")


async def correct(
    scope: GuildScope, passage_ids: Collection[str], *, claim: str | None = None
) -> CorrectionReport:
    """Edit every posted answer of the guild that showed any of ``passage_ids`` (or, with ``claim``,
    that asked that claim); see the module doc."""
    gid, host = scope.gid, scope.host
    report = CorrectionReport()
    for answer in await scope.db(lambda s: posted_answers(s, gid, passage_ids, claim=claim)):
        try:
            page = corrected(await rerender(scope, answer))
        except (EssaybotError, KeyError) as exc:
            # The question no longer resolves (e.g. an author whose essays were removed).
            log.info("could not ask answer %s again: %s", answer.row_id, exc)
            report.failed += 1
            continue
        message = host.get_partial_messageable(answer.channel_id).get_partial_message(answer.message_id)
        try:
            await message.edit(
                content=page.content, embeds=page.embeds, view=None, allowed_mentions=NO_MENTIONS
            )
        except discord.NotFound:
            report.gone += 1
            continue
        except discord.HTTPException as exc:
            log.warning("could not correct message %s: %s", answer.message_id, exc)
            report.failed += 1
            continue
        report.edited += 1
        # Live buttons of the corrected answer must not bring the old answer back.
        host.views.stop_message(answer.message_id)
    return report


async def correct_for(context: Context, passage_ids: Collection[str], *, claim: str | None = None) -> str:
    """Correct the server's posted answers for a moderator (see ``correct``), tell the mod-log when any
    was edited, and return the summary for the moderator."""
    report = await correct(context, passage_ids, claim=claim)
    if report.edited:
        await modlog.post(context, f"✏️ <@{context.actor}> {report.summary()}")
    return report.summary()
