"""Interaction payloads as Discord sends them: command data, options with resolved objects, modal submits."""

from __future__ import annotations

import secrets
from typing import Any

from . import payloads as p
from .models import Interaction, Message
from .validate import SELECT_TYPES, TEXT_INPUT_VALUE_MAX
from .world import World


def _infer_type(value: Any) -> int:
    if isinstance(value, bool):
        return 5
    if isinstance(value, int):
        return 4
    if isinstance(value, float):
        return 10
    if isinstance(value, dict):
        return 11
    return 3


def new_interaction(
    world: World,
    kind: int,
    user_id: int,
    guild_id: int | None,
    channel_id: int,
    data: dict[str, Any],
    *,
    message: Message | None = None,
) -> Interaction:
    """An interaction from ``user_id`` in a guild channel, or in a DM when ``guild_id`` is None."""
    interaction_id = p.new_id()
    token = f"fake.{interaction_id}.{secrets.token_urlsafe(32)}"
    payload: dict[str, Any] = {
        "id": str(interaction_id),
        "application_id": str(world.application_id),
        "type": kind,
        "token": token,
        "version": 1,
        "attachment_size_limit": p.ATTACHMENT_SIZE_LIMIT,
        "locale": "en-US",
        "entitlements": [],
        "entitlement_sku_ids": [],
        "channel_id": str(channel_id),
        "data": data,
    }
    if guild_id is not None:
        guild = world.guilds[guild_id]
        if user_id not in guild.members:
            raise LookupError(f"user {user_id} is not a member of guild {guild_id}; call add_member first")
        channel = world.channels.get(channel_id)
        if channel is None or channel.get("guild_id") != str(guild_id):
            raise LookupError(f"channel {channel_id} is not a channel of guild {guild_id}")
        payload.update(
            guild_id=str(guild_id),
            guild={"id": str(guild_id), "locale": "en-US", "features": []},
            guild_locale="en-US",
            member=world.member_payload(guild_id, user_id),
            channel={**channel, "permissions": str(guild.permissions[user_id])},
            app_permissions=str(guild.permissions[world.bot_user_id]),
            authorizing_integration_owners={"0": str(guild_id)},
            context=0,
        )
    else:
        if user_id not in world.users:
            raise LookupError(f"unknown user {user_id}; call add_dm_channel or add_user first")
        channel = world.channels.get(channel_id)
        if channel is None:
            channel = world.add_dm_channel(channel_id, user_id, world.users[user_id]["username"])
        if channel.get("type") != 1:
            raise LookupError(f"channel {channel_id} is a guild channel; pass its guild_id")
        payload.update(
            user=world.users[user_id],
            channel=channel,
            app_permissions=str(p.BOT_PERMISSIONS),
            authorizing_integration_owners={"0": "0"},
            context=1,
        )
    if message is not None:
        payload["message"] = message.to_dict()
    return Interaction(
        id=interaction_id,
        token=token,
        type=kind,
        user_id=user_id,
        guild_id=guild_id,
        channel_id=channel_id,
        payload=payload,
        created_at=world.clock(),
        source_message_id=None if message is None else message.id,
    )


def command_def(
    world: World, name: str, kind: int, guild_id: int | None
) -> tuple[dict[str, Any] | None, int | None]:
    """The synced definition of a command and its scope (guild id, or None for global), if synced."""
    scopes: list[int | None] = [guild_id, None] if guild_id is not None else [None]
    for scope in scopes:
        for command in world.commands.get(scope, []):
            if command["name"] == name and command.get("type", 1) == kind:
                return command, scope
    return None, None


def command_data(
    world: World,
    name: str,
    kind: int,
    definition: dict[str, Any] | None,
    scope: int | None,
    command_id: int | None,
) -> dict[str, Any]:
    """The ``data`` head of an application command interaction (``guild_id`` set for guild commands)."""
    if command_id is None:
        command_id = (
            int(definition["id"])
            if definition
            else world.command_ids.setdefault((None, kind, name), p.new_id())
        )
    data: dict[str, Any] = {"id": str(command_id), "name": name, "type": kind}
    if scope is not None:
        data["guild_id"] = str(scope)
    return data


def build_options(
    world: World,
    definition: dict[str, Any] | None,
    options: dict[str, Any],
    subcommand: str | None,
    guild_id: int | None,
    *,
    focused: str | None = None,
    client_checks: bool = True,
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Options as Discord nests them (under subcommand and group), and the ``resolved`` objects they need.

    With ``client_checks``, a string longer than the synced ``max_length`` (or shorter than
    ``min_length``) raises ValueError, as a Discord client refuses to send it; without, the value is
    sent as an outdated client with an older definition would.
    """
    defs: list[dict[str, Any]] = (definition or {}).get("options", [])
    wrappers: list[tuple[str, int]] = []
    parts = subcommand.split() if subcommand else []
    for index, part in enumerate(parts):
        sub = next((o for o in defs if o["name"] == part), None)
        wrappers.append((part, sub["type"] if sub else (1 if index == len(parts) - 1 else 2)))
        defs = sub.get("options", []) if sub else []
    resolved: dict[str, Any] = {}
    built: list[dict[str, Any]] = []
    for name, value in options.items():
        option_def = next((o for o in defs if o["name"] == name), None)
        kind = option_def["type"] if option_def else _infer_type(value)
        entry: dict[str, Any] = {"name": name, "type": kind, "value": value}
        if client_checks and option_def and kind == 3 and name != focused and isinstance(value, str):
            high, low = option_def.get("max_length"), option_def.get("min_length")
            if high is not None and len(value) > high:
                raise ValueError(f"{name!r}: {len(value)} characters; the option takes at most {high}")
            if low is not None and len(value) < low:
                raise ValueError(f"{name!r}: {len(value)} characters; the option takes at least {low}")
        if name == focused:
            entry["focused"] = True
        else:
            entry["value"] = resolve_option(world, kind, value, guild_id, resolved)
        built.append(entry)
    if focused is not None and focused not in options:
        raise ValueError(f"focused option {focused!r} is not among the options")
    for part, kind in reversed(wrappers):
        built = [{"name": part, "type": kind, "options": built}]
    return built, resolved


def resolve_option(
    world: World, kind: int, value: Any, guild_id: int | None, resolved: dict[str, Any]
) -> Any:
    """An option value as sent, adding users, roles, channels or attachments to ``resolved``."""
    if kind == 6 or (kind == 9 and int(value) in world.users):
        if int(value) in world.users:
            resolve_user(world, int(value), guild_id, resolved)
        return str(value)
    if kind in (8, 9) and guild_id is not None:
        role = next((r for r in world.guilds[guild_id].roles if r["id"] == str(value)), None)
        if role is not None:
            resolved.setdefault("roles", {})[str(value)] = role
        return str(value)
    if kind == 7:
        channel = world.channels[int(value)]
        keep = ("id", "name", "type", "guild_id", "parent_id")
        entry = {k: channel[k] for k in keep if k in channel} | {"permissions": str(p.MEMBER_PERMISSIONS)}
        resolved.setdefault("channels", {})[str(value)] = entry
        return str(value)
    if kind == 11:
        raw = value.get("data", b"")
        stored = world.store_file(
            0, str(value.get("filename", "file.bin")), raw.encode() if isinstance(raw, str) else raw
        )
        resolved.setdefault("attachments", {})[stored["id"]] = stored
        return stored["id"]
    return value


def resolve_user(world: World, user_id: int, guild_id: int | None, resolved: dict[str, Any]) -> None:
    """Add a user (and, in a guild, its member with permissions) to ``resolved``."""
    resolved.setdefault("users", {})[str(user_id)] = world.users[user_id]
    if guild_id is not None and user_id in world.guilds[guild_id].members:
        member = {k: v for k, v in world.member_payload(guild_id, user_id).items() if k != "user"}
        resolved.setdefault("members", {})[str(user_id)] = member


def modal_components(modal: dict[str, Any], values: dict[str, Any]) -> list[dict[str, Any]]:
    """The ``components`` of a modal submission mirroring ``modal``, filled with ``values``."""
    unknown = set(values)
    result: list[dict[str, Any]] = []

    def submitted(component: dict[str, Any]) -> dict[str, Any]:
        cid = component["custom_id"]
        unknown.discard(cid)
        if component["type"] in SELECT_TYPES:
            chosen = values.get(cid, [])
            return {"type": component["type"], "custom_id": cid, "values": list(chosen)}
        value = str(values.get(cid, component.get("value") or ""))
        limit = min(TEXT_INPUT_VALUE_MAX, component.get("max_length") or TEXT_INPUT_VALUE_MAX)
        if len(value) > limit:
            raise ValueError(f"{cid!r}: {len(value)} characters; the input takes at most {limit}")
        if component.get("required", True) and not value:
            raise ValueError(f"{cid!r} is required")
        if value and len(value) < (component.get("min_length") or 0):
            raise ValueError(f"{cid!r}: at least {component['min_length']} characters")
        return {"type": 4, "custom_id": cid, "value": value}

    for top in modal.get("components", []):
        if top.get("type") == 1:
            result.append({"type": 1, "components": [submitted(c) for c in top.get("components", [])]})
        elif top.get("type") == 18:
            result.append({"type": 18, "component": submitted(top["component"])})
    if unknown:
        raise ValueError(f"the modal has no inputs {sorted(unknown)}")
    return result
