"""/settings over the wire: Manage Server only (checked in code), and every change applies at once."""

from __future__ import annotations

from typing import Any

import pytest

from bot.curation.settings import GuildSettings, GuildValues
from bot.store.db import session_scope
from botenv import (
    ASKER,
    CHANNEL,
    GUILD,
    MOD,
    MOD_ROLE,
    OTHER,
    OTHER_CHANNEL,
    ROLE_MOD,
    BotEnv,
    discord_settings,
)
from botenv import member_perms as perms
from fakediscord.models import Message

pytestmark = pytest.mark.model

ADMIN = 930101
MANAGE_GUILD = 1 << 5
CHICKENS = "Who said the chickens have come home to roost?"
ICL = "International Communist League"


def add_admin(bot_env: BotEnv) -> None:
    """A member with Manage Server (and nothing else beyond a member's permissions)."""
    bot_env.server.add_member(GUILD, ADMIN, "admin", permissions=perms() | MANAGE_GUILD)


async def settings(bot_env: BotEnv, user: int, sub: str, options: dict[str, Any] | None = None) -> Message:
    interaction = await bot_env.server.slash(user, "settings", options or {}, subcommand=sub, **bot_env.where)
    return await interaction.wait_message()


def stored(bot_env: BotEnv) -> GuildValues:
    with session_scope(bot_env.app.engine) as session:
        return GuildSettings(session, str(GUILD)).values()


async def test_settings_are_declared_for_manage_server_and_refused_in_code(bot_env: BotEnv) -> None:
    definition = next(c for c in bot_env.server.commands[GUILD] if c["name"] == "settings")
    assert int(definition["default_member_permissions"]) == MANAGE_GUILD
    assert definition.get("contexts") == [0] or definition.get("dm_permission") is False
    set_def = next(o for o in definition["options"] if o["name"] == "set")
    kinds = {o["name"]: o["type"] for o in set_def["options"]}
    assert (
        kinds["add_moderator_role"] == 8 and kinds["modlog_channel"] == 7
    )  # Discord's role and channel pickers
    # A member, and a moderator without Manage Server, are refused both subcommands, whatever Discord shows.
    for user in (OTHER, MOD):
        for sub, options in (("show", {}), ("set", {"answer_visibility": "ephemeral"})):
            reply = await settings(bot_env, user, sub, options)
            assert reply.ephemeral and "Manage Server" in reply.content
    assert stored(bot_env) == GuildValues()
    await bot_env.settle()
    assert all("NeedsManageServer" in (r.error or "") for r in bot_env.rows()[-4:])


async def test_answer_visibility_and_mod_log_apply_without_restart(bot_env: BotEnv) -> None:
    add_admin(bot_env)
    first = await bot_env.answer(await bot_env.who_said(CHICKENS))
    assert not first.ephemeral
    reply = await settings(
        bot_env, ADMIN, "set", {"answer_visibility": "ephemeral", "modlog_channel": OTHER_CHANNEL}
    )
    assert reply.ephemeral and "Changed" in reply.content and "private" in reply.content
    assert stored(bot_env) == GuildValues(answer_visibility="ephemeral", modlog_channel_id=OTHER_CHANNEL)
    # The next answer follows the new setting: no restart.
    second = await bot_env.answer(await bot_env.who_said(CHICKENS))
    assert second.ephemeral and ICL in bot_env.text(second)
    # The change itself went to the (new) mod-log channel, naming who made it.
    notices = [m for m in bot_env.server.messages.values() if m.channel_id == OTHER_CHANNEL]
    assert len(notices) == 1 and f"<@{ADMIN}>" in notices[0].content and "Answers" in notices[0].content
    shown = await settings(bot_env, ADMIN, "show")
    text = bot_env.text(shown)
    assert shown.ephemeral and f"<#{OTHER_CHANNEL}>" in text and "(default)" in text


async def test_restricted_channels_refuse_questions_elsewhere_with_a_friendly_message(
    bot_env: BotEnv,
) -> None:
    add_admin(bot_env)
    await settings(bot_env, ADMIN, "set", {"add_answer_channel": OTHER_CHANNEL})
    assert stored(bot_env).answer_channel_ids == [OTHER_CHANNEL]
    refused = await bot_env.who_said(CHICKENS)
    reply = await refused.wait_message()
    assert reply.ephemeral and f"only in <#{OTHER_CHANNEL}>" in reply.content
    assert (await refused.response())["type"] == 4  # refused before any public "thinking…"
    allowed = await bot_env.answer(await bot_env.who_said(CHICKENS, channel_id=OTHER_CHANNEL))
    assert ICL in bot_env.text(allowed)
    # Removing the last channel opens every channel again.
    await settings(bot_env, ADMIN, "set", {"remove_answer_channel": OTHER_CHANNEL})
    again = await bot_env.answer(await bot_env.who_said(CHICKENS))
    assert ICL in bot_env.text(again)


@discord_settings(moderator_role_ids=[])
async def test_moderator_roles_from_settings_open_moderator_commands(bot_env: BotEnv) -> None:
    add_admin(bot_env)
    refused = await (await bot_env.server.slash(ROLE_MOD, "stats", {}, **bot_env.where)).wait_message()
    assert refused.ephemeral and "moderators" in refused.content
    await settings(bot_env, ADMIN, "set", {"add_moderator_role": MOD_ROLE})
    assert stored(bot_env).moderator_role_ids == [MOD_ROLE]
    shown = await (await bot_env.server.slash(ROLE_MOD, "stats", {}, **bot_env.where)).wait_message()
    assert shown.ephemeral and "Questions" in bot_env.text(shown)


async def test_cooldown_and_who_said_visibility_per_server(bot_env: BotEnv) -> None:
    add_admin(bot_env)
    await settings(
        bot_env,
        ADMIN,
        "set",
        {"cooldown_questions": 1, "cooldown_seconds": 30, "who_said_visibility": "public"},
    )
    target = bot_env.server.add_user_message(CHANNEL, OTHER, "Well, the chickens have come home to roost")
    menu = await bot_env.server.message_command(ASKER, "Who said this?", target, **bot_env.where)
    assert not (await bot_env.answer(menu)).ephemeral  # someone else's message, answered publicly
    second = await (await bot_env.who_said(CHICKENS)).wait_message()
    assert second.ephemeral and "ask again in" in second.content
    bot_env.clock.advance(31)
    assert ICL in bot_env.text(await bot_env.answer(await bot_env.who_said(CHICKENS)))


async def test_invalid_values_get_a_clear_private_error(bot_env: BotEnv) -> None:
    add_admin(bot_env)
    reply = await settings(bot_env, ADMIN, "set", {"qotd_time": "9h30"})
    assert reply.ephemeral and "HH:MM" in reply.content
    reply = await settings(bot_env, ADMIN, "set", {})
    assert reply.ephemeral and "at least one option" in reply.content
    zones = await bot_env.server.autocomplete(
        ADMIN, "settings", {"qotd_timezone": "paris"}, "qotd_timezone", subcommand="set", **bot_env.where
    )
    assert [z["value"] for z in zones] == ["Europe/Paris"]
    assert stored(bot_env) == GuildValues()
