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
from typing import TYPE_CHECKING, Any

import discord
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.curation.verdicts import claim_key
from bot.discord.render import answers as render
from bot.discord.render.common import corrected
from bot.discord.replies import NO_MENTIONS
from bot.errors import EssaybotError
from bot.store.db import session_scope
from bot.store.models import InteractionRow

if TYPE_CHECKING:
    from bot.discord.client import EssaybotClient

log = logging.getLogger(__name__)

# Commands whose answers show passages, and how each is asked again.
CORRECTABLE = ("who_said", "who_said_message", "button_share", "compare", "positions")
WHO_SAID = ("who_said", "who_said_message", "button_share")
MAX_ANSWERS = 200  # newest first; the interaction log keeps only retention_days anyway


@dataclass(frozen=True)
class PostedAnswer:
    """One logged answer that showed some of the passages."""

    row_id: int
    command: str
    options: dict[str, Any]
    channel_id: int
    message_id: int


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


def posted_answers(
    session: Session, guild_id: str, passage_ids: Collection[str], *, claim: str | None = None
) -> list[PostedAnswer]:
    """The answers posted in a guild that showed any of ``passage_ids``, newest first.

    With ``claim`` (folded, ``curation.verdicts.claim_key``): the who-said answers to that claim
    instead, whatever they showed, since a verdict ruling changes exactly those. Answers deleted
    with their 🗑 button are left out: the log knows they are gone.
    """
    wanted = set(passage_ids)
    rows = session.scalars(
        select(InteractionRow)
        .where(
            InteractionRow.guild_id == guild_id,
            InteractionRow.command.in_(CORRECTABLE),
            InteractionRow.message_id.is_not(None),
            InteractionRow.channel_id.is_not(None),
            InteractionRow.error.is_(None),
        )
        .order_by(InteractionRow.id.desc())
    )
    deleted = {
        (row.options or {}).get("answer")
        for row in session.scalars(
            select(InteractionRow).where(
                InteractionRow.guild_id == guild_id, InteractionRow.command == "button_delete"
            )
        )
    }
    found: list[PostedAnswer] = []
    for row in rows:
        shown = wanted.intersection(row.passage_ids or []) if claim is None else _asks(row, claim)
        if row.id in deleted or not shown or row.channel_id is None or row.message_id is None:
            continue
        found.append(
            PostedAnswer(row.id, row.command, dict(row.options), int(row.channel_id), int(row.message_id))
        )
        if len(found) >= MAX_ANSWERS:
            break
    return found


def _asks(row: InteractionRow, claim: str) -> bool:
    """Whether a logged who-said answer asked ``claim`` (folded)."""
    query = (row.options or {}).get("query")
    if row.command not in WHO_SAID or not isinstance(query, str):
        return False
    try:
        return claim_key(query) == claim
    except EssaybotError:
        return False


async def rerender(client: EssaybotClient, answer: PostedAnswer, guild_id: int) -> render.Rendered:
    """Ask the logged question again with the guild's current curation, rendered as a public answer."""
    o, service = answer.options, client.service
    if answer.command in WHO_SAID:
        result = await service.answer_who_said(str(o["query"]), o.get("author"), guild_id=guild_id)
        return render.who_said(result, 0, visibility="public")
    if answer.command == "compare":
        both = await service.answer_compare(str(o["a"]), str(o["b"]), str(o["topic"]), guild_id=guild_id)
        return render.compare(both, visibility="public")
    every = await service.answer_positions(str(o["topic"]), guild_id=guild_id)
    return render.positions(every, visibility="public")


async def correct(
    client: EssaybotClient, guild_id: int, passage_ids: Collection[str], *, claim: str | None = None
) -> CorrectionReport:
    """Edit every posted answer of the guild that showed any of ``passage_ids`` (or, with ``claim``,
    that asked that claim); see the module doc."""
    gid = str(guild_id)

    def load() -> list[PostedAnswer]:
        with session_scope(client.corpora.for_guild(gid).engine) as session:
            return posted_answers(session, gid, passage_ids, claim=claim)

    report = CorrectionReport()
    for answer in await client.service.run(load):
        try:
            page = corrected(await rerender(client, answer, guild_id))
        except (EssaybotError, KeyError) as exc:
            # The question no longer resolves (e.g. an author whose essays were removed).
            log.info("could not ask answer %s again: %s", answer.row_id, exc)
            report.failed += 1
            continue
        message = client.get_partial_messageable(answer.channel_id).get_partial_message(answer.message_id)
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
        client.views.stop_message(answer.message_id)
    return report
