"""Per-guild settings set from Discord (``/settings``): validated overrides of the config defaults.

The config file supplies defaults; a guild's row holds only what its admins changed. Every change
is audited with the value before and after, and applies at once: the bot reads the effective
settings per interaction (one small query).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy.orm import Session

from bot.config import DiscordSection
from bot.curation.audit import CurationError, record, undoable
from bot.store.models import AuditRow, GuildSettingsRow, utcnow

_TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


class GuildValues(BaseModel):
    """The settings a guild can change; None means "the config default"."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    moderator_role_ids: list[int] | None = None
    answer_channel_ids: list[int] | None = None  # None or empty: every channel
    answer_visibility: Literal["public", "ephemeral"] | None = None
    context_menu_visibility: Literal["public", "ephemeral"] | None = None
    cooldown_rate: int | None = Field(default=None, ge=1, le=100)
    cooldown_seconds: float | None = Field(default=None, gt=0, le=3600)
    modlog_channel_id: int | None = None
    review_threshold: int | None = Field(default=None, ge=1, le=100)  # 👎 reports before a mod-log notice
    qotd_channel_id: int | None = None
    qotd_time: str | None = None  # "HH:MM"
    qotd_timezone: str | None = None  # IANA name, e.g. "Europe/Paris"

    @field_validator("qotd_time")
    @classmethod
    def _time(cls, value: str | None) -> str | None:
        if value is not None and not _TIME.match(value):
            raise ValueError("use HH:MM on a 24-hour clock, e.g. 09:30")
        return value

    @field_validator("qotd_timezone")
    @classmethod
    def _zone(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                ZoneInfo(value)
            except (ZoneInfoNotFoundError, ValueError):
                raise ValueError(f"unknown time zone {value!r}; use a name like Europe/Paris") from None
        return value


class Effective(BaseModel):
    """What applies in a guild: its overrides over the config defaults."""

    model_config = ConfigDict(frozen=True)

    moderator_role_ids: list[int]
    answer_channel_ids: list[int]
    answer_visibility: Literal["public", "ephemeral"]
    context_menu_visibility: Literal["public", "ephemeral"]
    cooldown_rate: int
    cooldown_seconds: float
    modlog_channel_id: int | None
    review_threshold: int
    qotd_channel_id: int | None
    qotd_time: str
    qotd_timezone: str


DEFAULT_REVIEW_THRESHOLD = 3
DEFAULT_QOTD_TIME = "09:00"
DEFAULT_QOTD_TIMEZONE = "UTC"


def effective(defaults: DiscordSection, values: GuildValues) -> Effective:
    """Merge a guild's overrides over the config defaults."""

    def pick(name: str, default: Any) -> Any:
        value = getattr(values, name)
        return default if value is None else value

    return Effective(
        moderator_role_ids=pick("moderator_role_ids", defaults.moderator_role_ids),
        answer_channel_ids=pick("answer_channel_ids", []),
        answer_visibility=pick("answer_visibility", defaults.answer_visibility),
        context_menu_visibility=pick("context_menu_visibility", defaults.context_menu_visibility),
        cooldown_rate=pick("cooldown_rate", defaults.cooldown_rate),
        cooldown_seconds=pick("cooldown_seconds", defaults.cooldown_seconds),
        modlog_channel_id=values.modlog_channel_id,
        review_threshold=pick("review_threshold", DEFAULT_REVIEW_THRESHOLD),
        qotd_channel_id=values.qotd_channel_id,
        qotd_time=pick("qotd_time", DEFAULT_QOTD_TIME),
        qotd_timezone=pick("qotd_timezone", DEFAULT_QOTD_TIMEZONE),
    )


class GuildSettings:
    """Read and change one guild's settings."""

    def __init__(self, session: Session, guild_id: str) -> None:
        self.session, self.guild_id = session, guild_id

    def values(self) -> GuildValues:
        """The guild's overrides (all None when it changed nothing)."""
        row = self.session.get(GuildSettingsRow, self.guild_id)
        return GuildValues.model_validate(row.values if row else {})

    def set(self, *, actor: str, now: datetime | None = None, **changes: Any) -> GuildValues:
        """Change some settings (None resets one to the default); raises CurationError when invalid."""
        unknown = sorted(set(changes) - set(GuildValues.model_fields))
        if unknown:
            raise CurationError(f"Unknown setting(s): {', '.join(unknown)}.")
        before = self.values()
        try:
            after = GuildValues.model_validate({**before.model_dump(), **changes})
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
            raise CurationError(f"Invalid setting: {problems}.") from None
        self._write(after, actor, now)
        record(
            self.session,
            guild_id=self.guild_id,
            actor=actor,
            action="settings.set",
            target=", ".join(sorted(changes)),
            before=before.model_dump(exclude_none=True),
            after=after.model_dump(exclude_none=True),
            now=now,
        )
        return after

    def _write(self, values: GuildValues, actor: str, now: datetime | None) -> None:
        row = self.session.get(GuildSettingsRow, self.guild_id)
        if row is None:
            row = GuildSettingsRow(guild_id=self.guild_id, values={}, updated_by=actor)
            self.session.add(row)
        row.values = values.model_dump(exclude_none=True)
        row.updated_by, row.updated_at = actor, now or utcnow()
        self.session.flush()


@undoable("settings.set")
def _revert(session: Session, row: AuditRow, actor: str) -> None:
    if row.guild_id is None:
        raise CurationError(f"Audit entry #{row.id} has no server.")
    GuildSettings(session, row.guild_id)._write(GuildValues.model_validate(row.before or {}), actor, None)
