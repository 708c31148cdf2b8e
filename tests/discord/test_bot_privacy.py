"""Over the wire: /privacy, forget-me, retention, and what the log holds about members."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.store.models import utcnow
from botenv import ASKER, DM_CHANNEL, OTHER, BotEnv, discord_settings

pytestmark = pytest.mark.model

QUESTION = "Who said the chickens have come home to roost?"


async def test_privacy_info_states_retention_and_hashing(bot_env: BotEnv) -> None:
    shown = await bot_env.answer(
        await bot_env.server.slash(ASKER, "privacy", {}, subcommand="info", **bot_env.where)
    )
    text = bot_env.text(shown)
    assert shown.ephemeral and "90 days" in text and "hash" in text


async def test_forget_me_deletes_only_the_callers_rows(bot_env: BotEnv) -> None:
    await bot_env.answer(await bot_env.who_said(QUESTION, user=ASKER))
    await bot_env.answer(await bot_env.who_said(QUESTION, user=OTHER))
    await bot_env.settle()
    refs = {r.user_ref for r in bot_env.rows()}
    assert len(refs) == 2
    prompt = await bot_env.answer(
        await bot_env.server.slash(ASKER, "privacy", {}, subcommand="forget-me", **bot_env.where)
    )
    assert prompt.ephemeral
    confirm = await bot_env.server.click(ASKER, prompt, bot_env.custom_id(prompt, "confirm"))
    assert (await confirm.response())["type"] == 7
    await bot_env.settle()
    assert "deleted" in bot_env.server.messages[prompt.id].content
    remaining = bot_env.rows()
    assert remaining and {r.user_ref for r in remaining} == {bot_env.client.recorder.user_refs.ref(OTHER)}


@discord_settings()
async def test_retention_purge_uses_the_given_time(bot_env: BotEnv) -> None:
    await bot_env.answer(await bot_env.who_said(QUESTION))
    await bot_env.settle()
    assert await bot_env.client.recorder.purge(now=utcnow() + timedelta(days=89)) == 0
    assert await bot_env.client.recorder.purge(now=utcnow() + timedelta(days=91)) >= 1
    assert not [r for r in bot_env.rows() if r.command == "who_said"]


async def test_moderator_commands_are_guild_only(bot_env: BotEnv) -> None:
    reply = await (
        await bot_env.server.slash(ASKER, "stats", {}, guild_id=None, channel_id=DM_CHANNEL)
    ).wait_message()
    assert reply.ephemeral and "only in a server" in reply.content
