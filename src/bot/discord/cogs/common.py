"""What several cogs share: option limits, autocomplete of authors and passages, the answer visibility."""

from __future__ import annotations

import copy
from typing import Any

import discord
from discord import app_commands
from rapidfuzz import fuzz, process

from bot.curation.passages import PassageInfo, find_passages
from bot.discord.checks import is_moderator
from bot.discord.context import Context
from bot.discord.render import limits
from bot.discord.render.answers import Visibility
from bot.discord.render.common import one_line

OPTION_MAX_LENGTH = 6000  # Discord's ceiling on a string option's max_length


def declare_max_length(command: app_commands.Command[Any, ..., Any], option: str, limit: int) -> None:
    """Sync ``option`` with ``max_length`` = ``limit`` (at most Discord's 6000), so a member's Discord
    stops them typing more than the bot accepts, instead of the bot refusing it after they send it.

    Call it on the cog instance's own copy of the command, in the cog's ``__init__``: the parameter
    objects are shared with the class's command, so the one changed here is a copy.
    """
    params = command._params  # discord.py keeps the declared options here; no public setter exists
    param = copy.copy(params[option])
    param.max_value = max(1, min(limit, OPTION_MAX_LENGTH))
    params[option] = param


def guild_group(name: str, description: str, permission: str) -> app_commands.Group:
    """A command group for servers only, shown by default to members with ``permission`` (checked in
    code again: server admins can show any command to anyone)."""
    return app_commands.Group(
        name=name,
        description=description,
        guild_only=True,
        default_permissions=discord.Permissions(**{permission: True}),
    )


async def answer_visibility(interaction: discord.Interaction) -> Visibility:
    """Where /who-said, /compare and /positions answers go by default in this guild."""
    return (await Context.of(interaction).settings()).answer_visibility


async def name_choices(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
    """Authors and essay titles of the guild's corpus matching what the member typed (at most 25)."""
    service = Context.of(interaction).host.service
    names = await service.author_names(guild_id=interaction.guild_id)
    if current.strip():
        ranked = process.extract(current, names, scorer=fuzz.WRatio, limit=25, score_cutoff=50)
        names = [name for name, _, _ in ranked]
    return [app_commands.Choice(name=name[:100], value=name[:100]) for name in names[:25]]


def choice_label(info: PassageInfo) -> str:
    """“words…” — Author, Title (plain text, at most 100 characters), marked when hidden."""
    source = f" — {one_line(info.author_line)}, {one_line(info.title)}"
    room = limits.SELECT_OPTION_LABEL - len(source) - 4 - (9 if info.hidden else 0)
    words = limits.truncate(one_line(info.text), max(room, 30), markdown=False)
    label = f"{'[hidden] ' if info.hidden else ''}“{words}”{source}"
    return limits.truncate(label, 100, markdown=False)


async def passage_choices(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
    """Passages whose words match what the moderator typed (nothing for anyone else)."""
    if interaction.guild_id is None or not await is_moderator(interaction) or not current.strip():
        return []
    context = Context.of(interaction)
    gid = context.gid
    found = await context.db(lambda s: find_passages(s, gid, current, limit=25))
    return [app_commands.Choice(name=choice_label(p), value=p.id) for p in found]
