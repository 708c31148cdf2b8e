"""Moderators' actions on a passage they name by its id or by words only it contains: hide or show it,
say who speaks in it, save it (or some of its words) as a curated quote, rule on a verdict.

Each runs in the caller's transaction and returns the passage as moderators read it, so the reply
can name it; the repositories audit every change.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from bot.curation.passages import PassageInfo, PassageOverrides, passage_infos, resolve_passage
from bot.curation.quotes import CuratedQuotes, span_of_words
from bot.curation.verdicts import VerdictOverrides
from bot.store.models import CuratedQuoteRow

RESET = "reset"  # as a role or a verdict: remove the override, the detector or the verifier decides


def set_hidden(
    session: Session, guild_id: str, ref: str, hidden: bool, *, actor: str
) -> tuple[bool, PassageInfo]:
    """Hide or show the passage ``ref`` names; whether anything changed, and the passage."""
    info = resolve_passage(session, guild_id, ref)
    repo = PassageOverrides(session, guild_id)
    changed = repo.hide(info.id, actor=actor) if hidden else repo.unhide(info.id, actor=actor)
    return changed, info


def attribute(
    session: Session, guild_id: str, ref: str, speaker: str | None, role: str, *, actor: str
) -> tuple[bool, PassageInfo]:
    """Say who speaks in the passage ``ref`` names (``role`` "reset" removes the override); whether
    anything changed, and the passage as it now reads."""
    info = resolve_passage(session, guild_id, ref)
    who = None if role in ("own", RESET) else speaker
    changed = PassageOverrides(session, guild_id).attribute(
        info.id, who, None if role == RESET else role, actor=actor
    )
    return changed, passage_infos(session, guild_id, [info.id])[0]


def save_quote(
    session: Session,
    guild_id: str,
    ref: str,
    *,
    actor: str,
    start_words: str | None = None,
    end_words: str | None = None,
    note: str | None = None,
    tags: str | None = None,
) -> tuple[CuratedQuoteRow, PassageInfo]:
    """Save the passage ``ref`` names, or its words from ``start_words`` to ``end_words``, as a curated
    quote (``tags`` separated by commas or semicolons); the quote and its passage."""
    info = resolve_passage(session, guild_id, ref)
    span = span_of_words(info.text, info.start, start_words, end_words)
    tag_list = [t for t in (tags or "").replace(";", ",").split(",") if t.strip()]
    row = CuratedQuotes(session, guild_id).save(info.id, actor=actor, span=span, note=note, tags=tag_list)
    return row, info


def rule_verdict(
    session: Session, guild_id: str, ref: str, claim: str, verdict: str | None, *, actor: str
) -> tuple[bool, PassageInfo]:
    """Rule on a folded claim and the passage ``ref`` names (``verdict`` None removes the ruling)."""
    info = resolve_passage(session, guild_id, ref)
    return VerdictOverrides(session, guild_id).rule(claim, info.id, verdict, actor=actor), info
