"""/settings show and /settings set: a server's own settings, for members with Manage Server.

Values are stored per guild (``GuildSettings``, audited) over the config defaults and read per
interaction, so a change applies to the next command without a restart.
"""

from __future__ import annotations

import functools
import zoneinfo
from typing import Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.curation.audit import CurationError
from bot.curation.settings import GuildSettings, Request, Visibility, apply_request, effective
from bot.discord.actions import modlog
from bot.discord.cogs.common import guild_group
from bot.discord.context import Context
from bot.discord.host import Host
from bot.discord.render.settings_page import describe, settings_page
from bot.discord.replies import send

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


class NeedsManageServer(app_commands.CheckFailure):
    """/settings used by a member without Manage Server."""

    def __init__(self) -> None:
        super().__init__("/settings is for members with the Manage Server permission.")


@functools.cache
def _zones() -> tuple[str, ...]:
    return tuple(sorted(zoneinfo.available_timezones()))


class SettingsCog(commands.Cog):
    """Per-server settings."""

    group = guild_group("settings", "Manage Server: this server's settings for essaybot.", "manage_guild")

    def __init__(self, client: Host) -> None:
        self.client = client

    def _guild(self, interaction: discord.Interaction) -> Context:
        if interaction.guild_id is None:
            raise app_commands.NoPrivateMessage()
        # Admins can show the command to anyone: the permission is checked here too.
        if not interaction.permissions.manage_guild:
            raise NeedsManageServer()
        return Context.of(interaction)

    @group.command(name="show", description="This server's settings, and which are the defaults.")
    async def show(self, interaction: discord.Interaction) -> None:
        """/settings show, privately."""
        async with Context.of(interaction).entry("settings_show", {}):
            context = self._guild(interaction)
            gid = context.gid
            values = await context.db(lambda s: GuildSettings(s, gid).values())
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
        async with Context.of(interaction).entry("settings_set", options) as entry:
            context = self._guild(interaction)
            if not options:
                raise CurationError("Fill in at least one option to change; /settings show lists them.")
            defaults, actor = self.client.settings.discord, context.actor
            apply = functools.partial(
                apply_request, guild_id=context.gid, defaults=defaults, request=request, actor=actor
            )
            before, after = await context.db(apply)
            entry.verdict = "changed"
            old, new = effective(defaults, before), effective(defaults, after)
            what = describe(old, new)
            await send(interaction, settings_page(new, after, f"⚙️ Changed: {what}"), ephemeral=True)
            await modlog.post(context, f"⚙️ <@{actor}> changed the settings: {what}")

    @set_.autocomplete("qotd_timezone")
    async def _zone_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        typed = current.strip().lower().replace(" ", "_")
        zones = [z for z in _zones() if typed in z.lower()] if typed else ["UTC", *_zones()]
        return [app_commands.Choice(name=z, value=z) for z in zones[:25]]
