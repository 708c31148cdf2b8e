"""The audit log in Discord: one line per entry (who, what, when, before → after), a page at a time."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import discord

from bot.curation.audit import CLI_ACTOR
from bot.curation.audit_entries import AuditEntry
from bot.discord.render.answers import Rendered
from bot.discord.render.common import NEUTRAL, one_line
from bot.discord.render.info import page_count
from bot.discord.render.limits import CONTENT, EMBED_DESCRIPTION, truncate
from bot.discord.render.markdown import escape

PER_PAGE = 8
VALUE_CHARS = 60
MAX_CHANGES = 4


def who(actor: str | None) -> str:
    """A member mention (it never pings: messages allow no mentions), or "the CLI"."""
    if actor == CLI_ACTOR or actor is None:
        return "the CLI"
    return f"<@{actor}>" if actor.isdigit() else escape(actor)


def when(moment: datetime) -> str:
    """A Discord timestamp, shown in each reader's time zone."""
    return f"<t:{int(moment.timestamp())}:R>"


def _value(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return truncate(escape(one_line(text)), VALUE_CHARS, markdown=True)


def change(before: dict[str, Any] | None, after: dict[str, Any] | None) -> str:
    """``key: old → new`` for the keys that changed; "created" or "removed" for whole objects."""
    if before is None and after is None:
        return ""
    if before is None or after is None:
        shown = after if before is None else before
        assert shown is not None
        label = "created" if before is None else "removed"
        text = shown.get("text") if isinstance(shown.get("text"), str) else None
        return f"{label}: “{_value(text)}”" if text else label
    keys = [k for k in dict.fromkeys([*before, *after]) if before.get(k) != after.get(k)]
    parts = [f"{escape(k)}: {_value(before.get(k))} → {_value(after.get(k))}" for k in keys[:MAX_CHANGES]]
    if len(keys) > MAX_CHANGES:
        parts.append(f"+{len(keys) - MAX_CHANGES} more")
    return "; ".join(parts) or "no change"


def line(entry: AuditEntry) -> str:
    """One entry: number, action, target, who and when, what changed, and whether it was undone."""
    scope = " (whole corpus)" if entry.guild_id is None else ""
    head = (
        f"**#{entry.id}** `{escape(entry.action)}` {escape(one_line(entry.target))}{scope} · "
        f"{who(entry.actor)} {when(entry.created_at)}"
    )
    detail = change(entry.before, entry.after)
    undone = f"\n↩️ undone by {who(entry.undone_by)} {when(entry.undone_at)}" if entry.undone_at else ""
    return head + (f"\n{detail}" if detail else "") + undone


def audit_page(entries: Sequence[AuditEntry], page: int) -> Rendered:
    """Page ``page`` (0-based, clamped) of the newest entries."""
    pages = page_count(len(entries), PER_PAGE)
    page = max(0, min(page, pages - 1))
    shown = entries[page * PER_PAGE : (page + 1) * PER_PAGE]
    body = "\n\n".join(truncate(line(e), 480) for e in shown) or "No curation actions yet."
    embed = discord.Embed(title="Audit log", description=truncate(body, EMBED_DESCRIPTION), colour=NEUTRAL)
    embed.set_footer(text=f"Page {page + 1} of {pages} · newest first · /audit undo <entry> reverts one")
    return Rendered(
        truncate(f"{len(entries)} recent audit entries · page {page + 1} of {pages}", CONTENT), [embed]
    )
