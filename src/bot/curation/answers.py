"""The answers the bot posted, as the interaction log keeps them: what moderators open and correct.

The log says which answers showed which passages and where they are (``passage_ids``, ``channel_id``,
``message_id``), and for who-said answers the question, whose folded claim verdict rulings are keyed by.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.curation.passages import PassageInfo, passage_infos
from bot.curation.quotes import CuratedQuotes
from bot.curation.verdicts import VerdictOverrides, claim_key
from bot.errors import EssaybotError
from bot.store.models import InteractionRow

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
        shown = wanted.intersection(row.passage_ids or []) if claim is None else _claim(row) == claim
        if row.id in deleted or not shown or row.channel_id is None or row.message_id is None:
            continue
        found.append(
            PostedAnswer(row.id, row.command, dict(row.options), int(row.channel_id), int(row.message_id))
        )
        if len(found) >= MAX_ANSWERS:
            break
    return found


def _claim(row: InteractionRow) -> str | None:
    """The folded claim a logged who-said answer asked; None for other answers, and for a question
    that no longer parses (no verdict to override)."""
    query = (row.options or {}).get("query")
    if row.command not in WHO_SAID or not isinstance(query, str):
        return None
    try:
        return claim_key(query) or None
    except EssaybotError:
        return None


def logged_answer(session: Session, guild_id: str, message_id: int) -> tuple[list[str], str | None] | None:
    """The passages the answer in ``message_id`` showed and, for a who-said answer, its folded claim.

    None when no answer is logged for that message.
    """
    row = session.scalars(
        select(InteractionRow)
        .where(InteractionRow.guild_id == guild_id, InteractionRow.message_id == str(message_id))
        .order_by(InteractionRow.id.desc())
    ).first()
    return None if row is None else (list(row.passage_ids), _claim(row))


@dataclass(frozen=True)
class AnswerState:
    """What a moderator sees of an answer's passages in one guild."""

    passages: list[PassageInfo]  # in the answer's order; passages no longer in the corpus left out
    curated: dict[str, list[int]]  # passage id -> the curated quotes saved from it
    rulings: dict[str, str]  # passage id -> this guild's ruling on the answer's claim


def answer_state(session: Session, guild_id: str, passage_ids: list[str], claim: str | None) -> AnswerState:
    """The passages of an answer with this guild's decisions about them (rulings only with a claim)."""
    return AnswerState(
        passages=passage_infos(session, guild_id, passage_ids),
        curated=CuratedQuotes(session, guild_id).saved_from(passage_ids),
        rulings=VerdictOverrides(session, guild_id).rulings(claim, passage_ids) if claim else {},
    )
