"""/settings as members read it: every setting with its value, and what a change changed."""

from __future__ import annotations

import discord

from bot.curation.settings import Effective, GuildValues
from bot.discord.render.answers import Rendered
from bot.discord.render.common import NEUTRAL
from bot.discord.render.limits import CONTENT, FIELD_VALUE, truncate

LABELS = {
    "moderator_role_ids": "Moderator roles",
    "answer_channel_ids": "Answer channels",
    "answer_visibility": "Answers",
    "context_menu_visibility": "“Who said this?”",
    "cooldown_rate": "Cooldown: questions",
    "cooldown_seconds": "Cooldown: seconds",
    "modlog_channel_id": "Mod-log channel",
    "review_threshold": "👎 before a mod-log notice",
    "qotd_channel_id": "Quote of the day: channel",
    "qotd_time": "Quote of the day: time",
    "qotd_timezone": "Quote of the day: time zone",
}


def show_value(name: str, settings: Effective) -> str:
    """A setting as members read it (roles and channels as mentions; they never ping)."""
    value = getattr(settings, name)
    if name == "moderator_role_ids":
        return " ".join(f"<@&{r}>" for r in value) or "none: Manage Messages only"
    if name == "answer_channel_ids":
        return " ".join(f"<#{c}>" for c in value) or "every channel"
    if name in ("modlog_channel_id", "qotd_channel_id"):
        return f"<#{value}>" if value else "not set"
    if name in ("answer_visibility", "context_menu_visibility"):
        return "public" if value == "public" else "private (only the asker sees it)"
    if name == "cooldown_seconds":
        return f"{value:g} s"
    return str(value)


def settings_page(settings: Effective, values: GuildValues, status: str = "") -> Rendered:
    """Every setting with its value, marked when it is the config default."""
    embed = discord.Embed(title="Settings of this server", colour=NEUTRAL)
    for name, label in LABELS.items():
        default = getattr(values, name) is None
        value = show_value(name, settings) + (" *(default)*" if default else "")
        embed.add_field(
            name=label,
            value=truncate(value, FIELD_VALUE),
            inline=name not in ("moderator_role_ids", "answer_channel_ids"),
        )
    embed.set_footer(text="Change them with /settings set · every change is in /audit show")
    content = status or "These settings apply in this server; the config file supplies the defaults."
    return Rendered(truncate(content, CONTENT), [embed])


def describe(before: Effective, after: Effective) -> str:
    """``Answers: public → private; …`` for what changed."""
    parts = [
        f"{LABELS[n]}: {show_value(n, before)} → {show_value(n, after)}"
        for n in LABELS
        if getattr(before, n) != getattr(after, n)
    ]
    return "; ".join(parts) or "no visible change (the new values equal the defaults)"
