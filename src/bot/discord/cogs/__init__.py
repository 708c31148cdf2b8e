"""One cog per feature; ``COGS`` is the order they are loaded in."""

from __future__ import annotations

from bot.discord.cogs.audit import AuditCog
from bot.discord.cogs.community import CommunityCog
from bot.discord.cogs.compare import CompareCog
from bot.discord.cogs.essays import EssaysCog
from bot.discord.cogs.info import InfoCog
from bot.discord.cogs.moderate import ModerateCog
from bot.discord.cogs.passages import PassagesCog
from bot.discord.cogs.positions import PositionsCog
from bot.discord.cogs.quotes import QuotesCog
from bot.discord.cogs.review import ReviewCog
from bot.discord.cogs.settings import SettingsCog
from bot.discord.cogs.stats import StatsCog
from bot.discord.cogs.who_said import WhoSaidCog

COGS = (
    WhoSaidCog,
    CompareCog,
    PositionsCog,
    EssaysCog,
    InfoCog,
    StatsCog,
    SettingsCog,
    AuditCog,
    ReviewCog,
    CommunityCog,
    QuotesCog,
    PassagesCog,
    ModerateCog,
)
