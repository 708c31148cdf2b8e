"""/settings show and /settings set: a server's own settings, for members with Manage Server.

Values are stored per guild (``GuildSettings``, audited) over the config defaults and read per
interaction, so a change applies to the next command without a restart.
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any, Literal

import discord
from discord import app_commands
from discord.ext import commands
from sqlalchemy import Engine

from bot.config import DiscordSection
from bot.curation.audit import CurationError
from bot.curation.settings import Effective, GuildSettings, GuildValues, effective
from bot.discord.actions import modlog
from bot.discord.render.answers import Rendered
from bot.discord.render.common import NEUTRAL
from bot.discord.render.limits import CONTENT, FIELD_VALUE, truncate
from bot.discord.replies import send
from bot.store.db import session_scope

if TYPE_CHECKING:
    from bot.discord.client import EssaybotClient

Visibility = Literal["public", "ephemeral"]
Resettable = Literal[
    "moderator roles",
    "answer channels",
    "answer visibility",
    "who-said visibility",
    "cooldown",
    "mod-log channel",
    "review threshold",
    "quote-of-the-day channel",
    "quote-of-the-day time",
    "quote-of-the-day time zone",
]
RESET_FIELDS: dict[str, tuple[str, ...]] = {
    "moderator roles": ("moderator_role_ids",),
    "answer channels": ("answer_channel_ids",),
    "answer visibility": ("answer_visibility",),
    "who-said visibility": ("context_menu_visibility",),
    "cooldown": ("cooldown_rate", "cooldown_seconds"),
    "mod-log channel": ("modlog_channel_id",),
    "review threshold": ("review_threshold",),
    "quote-of-the-day channel": ("qotd_channel_id",),
    "quote-of-the-day time": ("qotd_time",),
    "quote-of-the-day time zone": ("qotd_timezone",),
}
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


class NeedsManageServer(app_commands.CheckFailure):
    """/settings used by a member without Manage Server."""

    def __init__(self) -> None:
        super().__init__("/settings is for members with the Manage Server permission.")


@dataclass(frozen=True)
class Request:
    """What a /settings set asks for (ids only, so that it can be applied off the event loop)."""

    answer_visibility: Visibility | None = None
    who_said_visibility: Visibility | None = None
    cooldown_questions: int | None = None
    cooldown_seconds: int | None = None
    add_moderator_role: int | None = None
    remove_moderator_role: int | None = None
    add_answer_channel: int | None = None
    remove_answer_channel: int | None = None
    modlog_channel: int | None = None
    review_threshold: int | None = None
    qotd_channel: int | None = None
    qotd_time: str | None = None
    qotd_timezone: str | None = None
    reset: str | None = None


def changes_for(request: Request, current: Effective) -> dict[str, Any]:
    """The ``GuildSettings.set`` changes a request makes over the current effective settings."""
    changes: dict[str, Any] = {}
    if request.reset is not None:
        changes.update(dict.fromkeys(RESET_FIELDS[request.reset]))
    direct = {
        "answer_visibility": request.answer_visibility,
        "context_menu_visibility": request.who_said_visibility,
        "cooldown_rate": request.cooldown_questions,
        "cooldown_seconds": None if request.cooldown_seconds is None else float(request.cooldown_seconds),
        "modlog_channel_id": request.modlog_channel,
        "review_threshold": request.review_threshold,
        "qotd_channel_id": request.qotd_channel,
        "qotd_time": request.qotd_time.strip() if request.qotd_time else None,
        "qotd_timezone": request.qotd_timezone.strip() if request.qotd_timezone else None,
    }
    changes.update({k: v for k, v in direct.items() if v is not None})
    roles = _edit_list(
        current.moderator_role_ids,
        request.add_moderator_role,
        request.remove_moderator_role,
        "<@&{}>",
        "role",
    )
    if roles is not None:
        changes["moderator_role_ids"] = roles
    channels = _edit_list(
        current.answer_channel_ids,
        request.add_answer_channel,
        request.remove_answer_channel,
        "<#{}>",
        "channel",
    )
    if channels is not None:
        changes["answer_channel_ids"] = channels or None  # no channel left: every channel again
    return changes


def _edit_list(
    current: list[int], add: int | None, remove: int | None, mention: str, what: str
) -> list[int] | None:
    if add is None and remove is None:
        return None
    ids = list(current)
    if add is not None and add not in ids:
        ids.append(add)
    if remove is not None:
        if remove not in ids:
            raise CurationError(f"{mention.format(remove)} is not one of the {what}s in this setting.")
        ids.remove(remove)
    return ids


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


@cache
def _zones() -> tuple[str, ...]:
    return tuple(sorted(zoneinfo.available_timezones()))


class SettingsCog(commands.Cog):
    """Per-server settings."""

    group = app_commands.Group(
        name="settings",
        description="Manage Server: this server's settings for essaybot.",
        guild_only=True,
        default_permissions=discord.Permissions(manage_guild=True),
    )

    def __init__(self, client: EssaybotClient) -> None:
        self.client = client

    def _guild(self, interaction: discord.Interaction) -> int:
        if interaction.guild_id is None:
            raise app_commands.NoPrivateMessage()
        # Admins can show the command to anyone: the permission is checked here too.
        if not interaction.permissions.manage_guild:
            raise NeedsManageServer()
        return interaction.guild_id

    async def _load(self, guild_id: int) -> GuildValues:
        engine, gid = (await self.client.app_for(guild_id)).engine, str(guild_id)

        def load() -> GuildValues:
            with session_scope(engine) as session:
                return GuildSettings(session, gid).values()

        return await self.client.service.run(load)

    @group.command(name="show", description="This server's settings, and which are the defaults.")
    async def show(self, interaction: discord.Interaction) -> None:
        """/settings show, privately."""
        async with self.client.recorder.entry(interaction, "settings_show", {}):
            values = await self._load(self._guild(interaction))
            page = settings_page(effective(self.client.settings.discord, values), values)
            await send(interaction, page, ephemeral=True)

    @group.command(name="set", description="Change settings: only the options you fill in change.")
    @app_commands.describe(
        answer_visibility="Who sees /who-said, /compare and /positions answers by default",
        who_said_visibility="Who sees answers to “Who said this?” on someone else's message",
        cooldown_questions="Questions a member may ask per cooldown period",
        cooldown_seconds="Length of the cooldown period, in seconds",
        add_moderator_role="A role whose members may use the moderator commands",
        remove_moderator_role="A role that should no longer count as moderators",
        add_answer_channel="Answer questions in this channel (once one is set, only in the listed ones)",
        remove_answer_channel="Stop answering in this channel (none left: every channel)",
        modlog_channel="Where curation actions and 👎 notices are posted",
        review_threshold="👎 reports on a passage before the mod-log gets a notice (default 3)",
        qotd_channel="Where the quote of the day is posted",
        qotd_time="Time of the quote of the day, HH:MM on a 24-hour clock",
        qotd_timezone="Time zone of that time, e.g. Europe/Paris",
        reset="Put one setting back to the default",
    )
    async def set_(
        self,
        interaction: discord.Interaction,
        answer_visibility: Visibility | None = None,
        who_said_visibility: Visibility | None = None,
        cooldown_questions: app_commands.Range[int, 1, 100] | None = None,
        cooldown_seconds: app_commands.Range[int, 1, 3600] | None = None,
        add_moderator_role: discord.Role | None = None,
        remove_moderator_role: discord.Role | None = None,
        add_answer_channel: discord.TextChannel | None = None,
        remove_answer_channel: discord.TextChannel | None = None,
        modlog_channel: discord.TextChannel | None = None,
        review_threshold: app_commands.Range[int, 1, 100] | None = None,
        qotd_channel: discord.TextChannel | None = None,
        qotd_time: app_commands.Range[str, 4, 5] | None = None,
        qotd_timezone: app_commands.Range[str, 1, 64] | None = None,
        reset: Resettable | None = None,
    ) -> None:
        """/settings set [options…]: validated, audited, applied at once."""
        request = Request(
            answer_visibility=answer_visibility,
            who_said_visibility=who_said_visibility,
            cooldown_questions=cooldown_questions,
            cooldown_seconds=cooldown_seconds,
            add_moderator_role=add_moderator_role.id if add_moderator_role else None,
            remove_moderator_role=remove_moderator_role.id if remove_moderator_role else None,
            add_answer_channel=add_answer_channel.id if add_answer_channel else None,
            remove_answer_channel=remove_answer_channel.id if remove_answer_channel else None,
            modlog_channel=modlog_channel.id if modlog_channel else None,
            review_threshold=review_threshold,
            qotd_channel=qotd_channel.id if qotd_channel else None,
            qotd_time=qotd_time,
            qotd_timezone=qotd_timezone,
            reset=reset,
        )
        options = {k: v for k, v in vars(request).items() if v is not None}
        async with self.client.recorder.entry(interaction, "settings_set", options) as entry:
            guild_id = self._guild(interaction)
            if not options:
                raise CurationError("Fill in at least one option to change; /settings show lists them.")
            defaults, engine, gid = (
                self.client.settings.discord,
                (await self.client.app_for(guild_id)).engine,
                str(guild_id),
            )
            actor = str(interaction.user.id)
            before, after = await self.client.service.run(_apply, engine, gid, defaults, request, actor)
            entry.verdict = "changed"
            old, new = effective(defaults, before), effective(defaults, after)
            what = describe(old, new)
            await send(interaction, settings_page(new, after, f"⚙️ Changed: {what}"), ephemeral=True)
            await modlog.post(self.client, guild_id, f"⚙️ <@{actor}> changed the settings: {what}")

    @set_.autocomplete("qotd_timezone")
    async def _zone_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        typed = current.strip().lower().replace(" ", "_")
        zones = [z for z in _zones() if typed in z.lower()] if typed else ["UTC", *_zones()]
        return [app_commands.Choice(name=z, value=z) for z in zones[:25]]


def _apply(
    engine: Engine, guild_id: str, defaults: DiscordSection, request: Request, actor: str
) -> tuple[GuildValues, GuildValues]:
    with session_scope(engine) as session:
        repo = GuildSettings(session, guild_id)
        before = repo.values()
        changes = changes_for(request, effective(defaults, before))
        return before, repo.set(actor=actor, **changes)
