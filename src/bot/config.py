"""Settings: command-line overrides > ``ESSAYBOT_*`` environment > TOML config file > defaults.

The Discord token is the one exception: it comes only from ``DISCORD_TOKEN`` or from the file named
by ``DISCORD_TOKEN_FILE``, so that it never ends up in a config file that gets shared or committed.
This module is the only one that reads it.

Nested sections (e.g. a future ``[discord]`` table) are plain pydantic models used as field types;
their environment form is ``ESSAYBOT_SECTION__KEY`` (``env_nested_delimiter="__"``).
"""

from __future__ import annotations

import os
import tomllib
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic.fields import FieldInfo
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    SettingsError,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from bot.errors import ConfigError
from bot.paths import DataDir

ENV_PREFIX = "ESSAYBOT_"
CONFIG_ENV = "ESSAYBOT_CONFIG"
DEFAULT_CONFIG_FILE = Path("essaybot.toml")
TOKEN_ENV = "DISCORD_TOKEN"
TOKEN_FILE_ENV = "DISCORD_TOKEN_FILE"
_TOKEN_HINT = f"set the Discord token with {TOKEN_ENV} or {TOKEN_FILE_ENV}, never in a config file"


class ConfigWarning(UserWarning):
    """A configuration problem that does not stop the bot, such as an unknown key."""


@dataclass(frozen=True)
class _ConfigFile:
    path: Path
    data: Mapping[str, Any]


# The TOML source is chosen per load_settings() call, but pydantic-settings builds its sources in a
# classmethod; a context variable hands the parsed file over without global, thread-unsafe state.
_CURRENT_FILE: ContextVar[_ConfigFile | None] = ContextVar("essaybot_config_file", default=None)


class _TomlSource(PydanticBaseSettingsSource):
    """The config file parsed by load_settings(), or nothing when Settings() is built directly."""

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False  # unused: __call__ returns the whole table at once

    def __call__(self) -> dict[str, Any]:
        current = _CURRENT_FILE.get()
        return dict(current.data) if current else {}


class _EnvWithoutToken(EnvSettingsSource):
    """The usual ESSAYBOT_* environment source, blind to the token field."""

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        if field_name == "discord_token":
            return None, field_name, False
        return super().get_field_value(field, field_name)


class _TokenSource(PydanticBaseSettingsSource):
    """DISCORD_TOKEN, or the stripped contents of the file named by DISCORD_TOKEN_FILE."""

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False  # unused: __call__ does the work

    def __call__(self) -> dict[str, Any]:
        token = _read_token()
        return {} if token is None else {"discord_token": token}


def _read_token() -> str | None:
    direct = os.environ.get(TOKEN_ENV, "").strip()
    file_name = os.environ.get(TOKEN_FILE_ENV, "").strip()
    if direct and file_name:
        raise ConfigError(f"config error: discord_token: set only one of {TOKEN_ENV} and {TOKEN_FILE_ENV}")
    if not file_name:
        return direct or None
    try:
        token = Path(file_name).expanduser().read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise ConfigError(
            f"config error: discord_token: cannot read {file_name}: {reason} (from {TOKEN_FILE_ENV})"
        ) from None
    if not token:
        raise ConfigError(f"config error: discord_token: {file_name} is empty (from {TOKEN_FILE_ENV})")
    return token


class DiscordSection(BaseModel):
    """The ``[discord]`` table: how the bot behaves in servers (see config.example.toml)."""

    model_config = {"frozen": True, "extra": "ignore"}

    dev_guild_ids: list[int] = Field(default_factory=list)
    owner_ids: list[int] = Field(default_factory=list)
    moderator_role_ids: list[int] = Field(default_factory=list)
    answer_visibility: Literal["public", "ephemeral"] = "public"
    context_menu_visibility: Literal["public", "ephemeral"] = "ephemeral"
    cooldown_rate: int = Field(default=5, ge=1, le=100)
    cooldown_seconds: float = Field(default=60.0, gt=0, le=3600)
    # Interaction tokens die after 15 minutes; a view must time out (and disable its buttons) before.
    view_timeout_seconds: float = Field(default=600.0, ge=10, le=840)
    batch_window_ms: int = Field(default=10, ge=0, le=500)
    max_batch: int = Field(default=32, ge=1, le=256)
    workers: int | None = Field(default=None, ge=1, le=64)
    heartbeat_seconds: float = Field(default=30.0, ge=5, le=600)


class Settings(BaseSettings):
    """All runtime settings. Build it with load_settings(); see config.example.toml for each key."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_nested_delimiter="__",
        extra="ignore",  # unknown TOML keys get a warning from load_settings() instead of an error
        frozen=True,
    )

    data_dir: Path = Path("data")
    database_url: str | None = None
    seeds_dir: Path | None = None
    embedding_model: str = Field(default="all-MiniLM-L6-v2", min_length=1)
    embed_batch_size: int = Field(default=32, ge=1, le=1024)
    ann_threshold: int = Field(default=50000, ge=0)
    top_k: int = Field(default=5, ge=1, le=25)
    max_query_chars: int = Field(default=2000, ge=1)
    max_upload_bytes: int = Field(default=1_048_576, ge=1)
    threads: int | None = Field(default=None, ge=1)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["text", "json"] = "text"
    retention_days: int = Field(default=90, ge=1)
    hash_user_ids: bool = True
    corpus_scope: Literal["shared", "per_guild"] = "shared"
    # per_guild: how many servers' libraries stay open in memory (least recently used closed first).
    max_open_libraries: int = Field(default=16, ge=1)
    discord: DiscordSection = Field(default_factory=DiscordSection)
    # Env-only (DISCORD_TOKEN / DISCORD_TOKEN_FILE); repr=False on top of SecretStr's own masking.
    discord_token: SecretStr | None = Field(default=None, repr=False)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Highest priority first: init kwargs, ESSAYBOT_* env, the token env, the TOML file."""
        return (
            init_settings,
            _EnvWithoutToken(settings_cls),
            _TokenSource(settings_cls),
            _TomlSource(settings_cls),
        )

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_level(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator("data_dir", "seeds_dir", mode="after")
    @classmethod
    def _expand_home(cls, value: Path | None) -> Path | None:
        return value.expanduser() if value is not None else None

    @field_validator("database_url", mode="after")
    @classmethod
    def _parseable_url(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                make_url(value)
            except ArgumentError as exc:
                raise ValueError(f"not a database URL: {exc}") from None
        return value

    @model_validator(mode="after")
    def _per_guild_needs_sqlite(self) -> Settings:
        # Each guild's corpus is a SQLite file in its own folder; one server database cannot hold them.
        url = self.database_url
        if self.corpus_scope == "per_guild" and url and not make_url(url).get_backend_name() == "sqlite":
            raise ValueError(
                'corpus_scope = "per_guild" needs SQLite: unset database_url '
                "(each server gets its own database under data_dir)"
            )
        return self

    @property
    def resolved_database_url(self) -> str:
        """database_url, or the SQLite file ``<data_dir>/essaybot.db`` when it is not set."""
        if self.database_url is not None:
            return self.database_url
        return DataDir(self.data_dir).database_url


def load_settings(config_file: Path | str | None = None, **overrides: Any) -> Settings:
    """Build the settings from every source; raise ConfigError with a one-line message if invalid.

    ``config_file`` falls back to ``$ESSAYBOT_CONFIG``, then ``./essaybot.toml`` if it exists.
    ``overrides`` are field values from the command line; those that are None are ignored, so
    options the user did not give never mask the environment or the file.
    """
    given = {key: value for key, value in overrides.items() if value is not None}
    unknown = sorted(set(given) - set(Settings.model_fields))
    if unknown:
        raise TypeError(f"load_settings() got unknown settings: {', '.join(unknown)}")
    if "discord_token" in given:
        raise ConfigError(f"config error: discord_token: {_TOKEN_HINT}")
    if any(name.upper() == f"{ENV_PREFIX}DISCORD_TOKEN" for name in os.environ):
        raise ConfigError(f"config error: discord_token: {_TOKEN_HINT} (not {ENV_PREFIX}DISCORD_TOKEN)")

    config = _read_config_file(_config_path(config_file))
    if config is not None:
        _check_keys(config, Settings)
    with _using_file(config):
        try:
            return Settings(**given)
        except ValidationError as exc:
            raise ConfigError(_describe(exc, given, config)) from None
        except SettingsError as exc:
            raise ConfigError(f"config error: {exc}") from None


def _config_path(config_file: Path | str | None) -> tuple[Path, bool] | None:
    """The file to read and whether it was asked for explicitly (then it must exist)."""
    if config_file is not None:
        return Path(config_file).expanduser(), True
    from_env = os.environ.get(CONFIG_ENV)
    if from_env:
        return Path(from_env).expanduser(), True
    return (DEFAULT_CONFIG_FILE, False) if DEFAULT_CONFIG_FILE.is_file() else None


def _read_config_file(choice: tuple[Path, bool] | None) -> _ConfigFile | None:
    if choice is None:
        return None
    path, explicit = choice
    if explicit and not path.is_file():
        raise ConfigError(f"config error: config file {path} not found")
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        # The message already carries "(at line N, column M)".
        raise ConfigError(f"config error: {path}: invalid TOML: {exc}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"config error: {path}: not UTF-8 text") from None
    except OSError as exc:
        raise ConfigError(f"config error: cannot read {path}: {exc.strerror or exc}") from None
    return _ConfigFile(path=path, data=data)


def _check_keys(config: _ConfigFile, model: type[BaseModel], prefix: str = "") -> None:
    """Reject a token in the file; warn about keys no model field reads, sections included."""
    data = config.data if not prefix else _lookup(config.data, prefix)
    for key, value in data.items():
        dotted = f"{prefix}{key}"
        if dotted in ("discord_token", "discord.token"):
            raise ConfigError(f"config error: {dotted}: not allowed in {config.path}; {_TOKEN_HINT}")
        field = model.model_fields.get(key)
        if field is None:
            warnings.warn(
                f"{config.path}: unknown key {dotted!r} is ignored",
                ConfigWarning,
                stacklevel=3 + bool(prefix),
            )
        elif isinstance(value, dict) and _is_section(field):
            assert isinstance(field.annotation, type)
            _check_keys(config, field.annotation, f"{dotted}.")


def _is_section(field: FieldInfo) -> bool:
    return isinstance(field.annotation, type) and issubclass(field.annotation, BaseModel)


def _lookup(data: Mapping[str, Any], dotted_prefix: str) -> Mapping[str, Any]:
    for part in dotted_prefix.rstrip(".").split("."):
        data = data[part]
    return data


@contextmanager
def _using_file(config: _ConfigFile | None) -> Iterator[None]:
    token = _CURRENT_FILE.set(config)
    try:
        yield
    finally:
        _CURRENT_FILE.reset(token)


def _describe(exc: ValidationError, given: Mapping[str, Any], config: _ConfigFile | None) -> str:
    """One line: every failing key, pydantic's reason and where the bad value came from."""
    parts = []
    for error in exc.errors():
        loc = [str(part) for part in error["loc"]]
        key = ".".join(loc) or "settings"
        parts.append(f"{key}: {error['msg']} ({_source_of(loc, given, config)})")
    return "config error: " + "; ".join(parts)


def _source_of(loc: list[str], given: Mapping[str, Any], config: _ConfigFile | None) -> str:
    # Best effort: mirror the precedence order to guess which source supplied the value.
    if not loc:
        return "settings"
    if loc[0] in given:
        return "from command line"
    if loc[0] == "discord_token":
        return f"from {TOKEN_ENV}"
    env_name = ENV_PREFIX + "__".join(loc).upper()
    if any(name.upper() == env_name for name in os.environ):
        return f"from environment {env_name}"
    if config is not None and loc[0] in config.data:
        return f"from {config.path}"
    return "default"
