"""What every question command does first: channel check, cooldown, visibility, author autocomplete.

All of it follows the guild's effective settings (``/settings`` over the config defaults), read once
per interaction, so a change applies to the next question without a restart.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from rapidfuzz import fuzz, process

from bot.curation.settings import Effective
from bot.discord.render.answers import Visibility
from bot.discord.tree import Cooldown

if TYPE_CHECKING:
    from bot.discord.client import EssaybotClient

SETTINGS = "essaybot_settings"  # Interaction.extras: the guild's settings, loaded once per interaction


class WrongChannel(app_commands.CheckFailure):
    """A question asked in a channel where this server does not want the bot to answer."""

    def __init__(self, channel_ids: list[int]) -> None:
        shown = ", ".join(f"<#{c}>" for c in channel_ids[:10])
        more = f" and {len(channel_ids) - 10} more" if len(channel_ids) > 10 else ""
        super().__init__(f"In this server I answer questions only in {shown}{more}. Ask me there!")


async def settings_for(client: EssaybotClient, interaction: discord.Interaction) -> Effective:
    """The effective settings of the interaction's guild (the defaults in DMs), cached on it."""
    cached = interaction.extras.get(SETTINGS)
    if isinstance(cached, Effective):
        return cached
    settings = await client.guild_settings(interaction.guild_id)
    interaction.extras[SETTINGS] = settings
    return settings


async def check_question(client: EssaybotClient, interaction: discord.Interaction) -> None:
    """Refuse a question outside the guild's answer channels (``WrongChannel``) or too fast (``Cooldown``)."""
    settings = await settings_for(client, interaction)
    allowed = settings.answer_channel_ids
    if interaction.guild_id is not None and allowed:
        # A thread counts as its parent channel.
        parent = getattr(interaction.channel, "parent_id", None)
        if interaction.channel_id not in allowed and parent not in allowed:
            raise WrongChannel(allowed)
    await check_cooldown(client, interaction)


async def check_cooldown(client: EssaybotClient, interaction: discord.Interaction) -> None:
    """Raise ``Cooldown`` (answered with the retry time) when the member asks too fast for this guild."""
    settings = await settings_for(client, interaction)
    rate, per = settings.cooldown_rate, settings.cooldown_seconds
    retry = client.cooldowns.hit(interaction.user.id, guild_id=interaction.guild_id, rate=rate, per=per)
    if retry is not None:
        raise Cooldown(app_commands.Cooldown(rate, per), retry)


async def answer_visibility(client: EssaybotClient, interaction: discord.Interaction) -> Visibility:
    """Where /who-said, /compare and /positions answers go by default in this guild."""
    return (await settings_for(client, interaction)).answer_visibility


async def name_choices(
    client: EssaybotClient, interaction: discord.Interaction, current: str
) -> list[app_commands.Choice[str]]:
    """Authors and essay titles of the guild's corpus matching what the member typed (at most 25)."""
    names = await client.service.author_names(guild_id=interaction.guild_id)
    if current.strip():
        ranked = process.extract(current, names, scorer=fuzz.WRatio, limit=25, score_cutoff=50)
        names = [name for name, _, _ in ranked]
    return [app_commands.Choice(name=name[:100], value=name[:100]) for name in names[:25]]
