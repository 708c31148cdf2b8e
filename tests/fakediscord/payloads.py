"""Builders for the Discord objects the fake server hands to discord.py.

Each builder returns the JSON shape Discord documents, with the fields discord.py 2.7.1 indexes
directly (``data['...']``) always present, so parsing never fails on a missing key.
"""

from __future__ import annotations

import datetime as dt
import itertools
import threading
import time
from typing import Any

DISCORD_EPOCH_MS = 1_420_070_400_000

# Permission bits (https://discord.com/developers/docs/topics/permissions).
CREATE_INSTANT_INVITE = 1 << 0
ADMINISTRATOR = 1 << 3
ADD_REACTIONS = 1 << 6
VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
MANAGE_MESSAGES = 1 << 13
EMBED_LINKS = 1 << 14
ATTACH_FILES = 1 << 15
READ_MESSAGE_HISTORY = 1 << 16
USE_EXTERNAL_EMOJIS = 1 << 18
CONNECT = 1 << 20
SPEAK = 1 << 21
CHANGE_NICKNAME = 1 << 26
USE_APPLICATION_COMMANDS = 1 << 31
CREATE_PUBLIC_THREADS = 1 << 35
SEND_MESSAGES_IN_THREADS = 1 << 38

MEMBER_PERMISSIONS = (
    CREATE_INSTANT_INVITE
    | ADD_REACTIONS
    | VIEW_CHANNEL
    | SEND_MESSAGES
    | EMBED_LINKS
    | ATTACH_FILES
    | READ_MESSAGE_HISTORY
    | USE_EXTERNAL_EMOJIS
    | CONNECT
    | SPEAK
    | CHANGE_NICKNAME
    | USE_APPLICATION_COMMANDS
    | CREATE_PUBLIC_THREADS
    | SEND_MESSAGES_IN_THREADS
)
"""What an ordinary member of a typical server may do in a text channel."""

MODERATOR_PERMISSIONS = MEMBER_PERMISSIONS | MANAGE_MESSAGES
"""A member who holds Manage Messages."""

BOT_PERMISSIONS = (
    VIEW_CHANNEL | SEND_MESSAGES | EMBED_LINKS | ATTACH_FILES | READ_MESSAGE_HISTORY | ADD_REACTIONS
)
"""The bot's own permissions in the fake guilds (what an invite with minimal permissions grants)."""

ATTACHMENT_SIZE_LIMIT = 10 * 1024 * 1024

_id_lock = threading.Lock()
_last_id = 0
_increment = itertools.count()


def new_id() -> int:
    """A fresh snowflake: current wall time in the high bits, strictly increasing within the process."""
    global _last_id
    with _id_lock:
        candidate = ((int(time.time() * 1000) - DISCORD_EPOCH_MS) << 22) | (next(_increment) & 0xFFF)
        _last_id = max(candidate, _last_id + 1)
        return _last_id


def iso_now() -> str:
    """The current UTC time in Discord's ISO 8601 format."""
    return dt.datetime.now(dt.UTC).isoformat()


def user(user_id: int, name: str, *, bot: bool = False) -> dict[str, Any]:
    """A user object."""
    return {
        "id": str(user_id),
        "username": name,
        "global_name": None if bot else name,
        "discriminator": "0",
        "avatar": None,
        "bot": bot,
        "system": False,
        "public_flags": 0,
        "flags": 0,
    }


def bot_user(user_id: int, name: str) -> dict[str, Any]:
    """The bot's own user, as GET /users/@me and READY describe it."""
    return {**user(user_id, name, bot=True), "verified": True, "mfa_enabled": False, "locale": "en-US"}


def member(user_obj: dict[str, Any], *, roles: list[int], joined_at: str | None = None) -> dict[str, Any]:
    """A guild member object without ``permissions`` (GUILD_CREATE style)."""
    return {
        "user": user_obj,
        "nick": None,
        "avatar": None,
        "banner": None,
        "roles": [str(r) for r in roles],
        "joined_at": joined_at or iso_now(),
        "premium_since": None,
        "deaf": False,
        "mute": False,
        "flags": 0,
        "pending": False,
        "communication_disabled_until": None,
    }


def role(
    role_id: int, name: str, *, permissions: int = 0, position: int = 0, managed: bool = False
) -> dict[str, Any]:
    """A role object."""
    return {
        "id": str(role_id),
        "name": name,
        "color": 0,
        "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
        "hoist": False,
        "icon": None,
        "unicode_emoji": None,
        "position": position,
        "permissions": str(permissions),
        "managed": managed,
        "mentionable": False,
        "flags": 0,
    }


def normalize_role(data: dict[str, Any], position: int) -> dict[str, Any]:
    """Fill a partial role dict given by a test (``{"id": ..., "name": ..., "permissions": ...}``)."""
    base = role(int(data["id"]), str(data.get("name", f"role-{data['id']}")), position=position)
    base.update({k: v for k, v in data.items() if k != "id"})
    base["permissions"] = str(data.get("permissions", 0))
    return base


def text_channel(channel_id: int, guild_id: int, name: str, *, position: int = 0) -> dict[str, Any]:
    """A guild text channel."""
    return {
        "id": str(channel_id),
        "type": 0,
        "guild_id": str(guild_id),
        "name": name,
        "position": position,
        "permission_overwrites": [],
        "topic": None,
        "nsfw": False,
        "last_message_id": None,
        "rate_limit_per_user": 0,
        "parent_id": None,
        "flags": 0,
    }


def dm_channel(channel_id: int, recipient: dict[str, Any]) -> dict[str, Any]:
    """A direct-message channel between the bot and one user."""
    return {"id": str(channel_id), "type": 1, "last_message_id": None, "recipients": [recipient], "flags": 0}


def guild_create(
    guild_id: int,
    name: str,
    *,
    owner_id: int,
    channels: list[dict[str, Any]],
    roles: list[dict[str, Any]],
    members: list[dict[str, Any]],
) -> dict[str, Any]:
    """A GUILD_CREATE payload; ``member_count`` equals the members sent, so no chunking wait ever starts."""
    return {
        "id": str(guild_id),
        "name": name,
        "icon": None,
        "splash": None,
        "discovery_splash": None,
        "owner_id": str(owner_id),
        "afk_channel_id": None,
        "afk_timeout": 300,
        "verification_level": 0,
        "default_message_notifications": 1,
        "explicit_content_filter": 0,
        "roles": roles,
        "emojis": [],
        "stickers": [],
        "features": [],
        "mfa_level": 0,
        "system_channel_id": None,
        "system_channel_flags": 0,
        "rules_channel_id": None,
        "public_updates_channel_id": None,
        "preferred_locale": "en-US",
        "premium_tier": 0,
        "premium_subscription_count": 0,
        "nsfw_level": 0,
        "premium_progress_bar_enabled": False,
        "joined_at": iso_now(),
        "large": False,
        "unavailable": False,
        "member_count": len(members),
        "members": members,
        "channels": [{k: v for k, v in c.items() if k != "guild_id"} for c in channels],
        "threads": [],
        "voice_states": [],
        "presences": [],
        "stage_instances": [],
        "guild_scheduled_events": [],
        "soundboard_sounds": [],
    }


def attachment(
    attachment_id: int, filename: str, *, size: int, url: str, content_type: str | None = None
) -> dict[str, Any]:
    """An attachment object whose URL points at the fake server's CDN route."""
    data: dict[str, Any] = {
        "id": str(attachment_id),
        "filename": filename,
        "size": size,
        "url": url,
        "proxy_url": url,
        "flags": 0,
    }
    if content_type:
        data["content_type"] = content_type
    return data


def application(application_id: int, owner: dict[str, Any], name: str) -> dict[str, Any]:
    """GET /oauth2/applications/@me."""
    return {
        "id": str(application_id),
        "name": name,
        "icon": None,
        "description": "",
        "bot_public": True,
        "bot_require_code_grant": False,
        "owner": owner,
        "verify_key": "0" * 64,
        "team": None,
        "flags": 0,
        "tags": [],
        "redirect_uris": [],
        "approximate_guild_count": 0,
        "integration_types_config": {"0": {}},
    }
