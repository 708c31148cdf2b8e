"""One cog per feature; ``COGS`` is the order they are loaded in."""

from __future__ import annotations

from bot.discord.cogs.compare import CompareCog
from bot.discord.cogs.corpus import EssaysCog
from bot.discord.cogs.info import InfoCog
from bot.discord.cogs.positions import PositionsCog
from bot.discord.cogs.stats import StatsCog
from bot.discord.cogs.who_said import WhoSaidCog

COGS = (WhoSaidCog, CompareCog, PositionsCog, EssaysCog, InfoCog, StatsCog)
