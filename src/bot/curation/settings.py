"""Per-guild settings set from Discord (``/settings``): validated overrides of the config defaults.

The config file supplies defaults; a guild's row holds only what its admins changed. Every change
is audited with the value before and after, and applies at once: the bot reads the effective
settings per interaction (one small query).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy.orm import Session

from bot.config import DiscordSection
from bot.curation.audit import CurationError, undoable
from bot.curation.repository import GuildRepository
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


class GuildSettings(GuildRepository[str]):
    """Read and change one guild's settings."""

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
        self._audit(
            "settings.set",
            ", ".join(sorted(changes)),
            actor=actor,
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


# -- /settings set: what a request changes ----------------------------------------------------------

Visibility = Literal["public", "ephemeral"]
# What "reset" puts back to the default, by the name members pick it by.
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


def apply_request(
    session: Session, guild_id: str, defaults: DiscordSection, request: Request, *, actor: str
) -> tuple[GuildValues, GuildValues]:
    """Apply a /settings set request over the guild's values (audited); the values before and after."""
    repo = GuildSettings(session, guild_id)
    before = repo.values()
    changes = changes_for(request, effective(defaults, before))
    return before, repo.set(actor=actor, **changes)


@undoable("settings.set")
def _revert(session: Session, row: AuditRow, actor: str) -> None:
    if row.guild_id is None:
        raise CurationError(f"Audit entry #{row.id} has no server.")
    GuildSettings(session, row.guild_id)._write(GuildValues.model_validate(row.before or {}), actor, None)
