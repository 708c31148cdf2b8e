"""What every question command does first: cooldown, visibility, author autocomplete."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from rapidfuzz import fuzz, process

from bot.discord.render import Visibility
from bot.discord.tree import Cooldown

if TYPE_CHECKING:
    from bot.discord.client import EssaybotClient


def check_cooldown(client: EssaybotClient, interaction: discord.Interaction) -> None:
    """Raise ``Cooldown`` (answered with the retry time) when the member asks too fast."""
    retry = client.cooldowns.hit(interaction.user.id)
    if retry is not None:
        cfg = client.settings.discord
        raise Cooldown(app_commands.Cooldown(cfg.cooldown_rate, cfg.cooldown_seconds), retry)


def answer_visibility(client: EssaybotClient) -> Visibility:
    """Where /who-said, /compare and /positions answers go by default."""
    return client.settings.discord.answer_visibility


async def name_choices(client: EssaybotClient, current: str) -> list[app_commands.Choice[str]]:
    """Authors and essay titles matching what the member typed so far (at most 25)."""
    names = await client.service.author_names()
    if current.strip():
        ranked = process.extract(current, names, scorer=fuzz.WRatio, limit=25, score_cutoff=50)
        names = [name for name, _, _ in ranked]
    return [app_commands.Choice(name=name[:100], value=name[:100]) for name in names[:25]]
