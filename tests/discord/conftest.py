"""The ``bot_env`` fixture: a real essaybot client connected over HTTP and websocket to the fake Discord.

Each test gets its own copy of the seeded data directory, its own server and a manual clock shared by
the bot and the server, so cooldowns, view timeouts and token expiry are driven without sleeping.
The embedding model is the session's, loaded once.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from bot.app import Essaybot
from bot.config import DiscordSection, load_settings
from bot.discord.client import EssaybotClient
from bot.discord.clock import ManualClock
from bot.discord.runner import serve
from botenv import (
    ASKER,
    CHANNEL,
    DM_CHANNEL,
    GUILD,
    MANAGE_MESSAGES,
    MOD,
    MOD_ROLE,
    OTHER,
    OTHER_CHANNEL,
    ROLE_MOD,
    BotEnv,
    member_perms,
)
from fakediscord import FakeDiscord, wait_until
from fakediscord.harness import WAIT_TIMEOUT


@pytest.fixture
async def bot_env(
    request: pytest.FixtureRequest, clone_seeded: Callable[[str], Path], seeded_app: Essaybot
) -> AsyncIterator[BotEnv]:
    """A connected bot in a guild with an asker, another member and two moderators, plus a DM channel."""
    marker = request.node.get_closest_marker("discord_settings")
    section: dict[str, Any] = {"dev_guild_ids": [GUILD], "moderator_role_ids": [MOD_ROLE]}
    section.update(marker.kwargs if marker else {})
    top = request.node.get_closest_marker("bot_settings")
    data_dir = clone_seeded("bot")
    app = Essaybot(
        load_settings(
            None, data_dir=data_dir, discord=DiscordSection(**section), **(top.kwargs if top else {})
        )
    )
    app.embedder = seeded_app.embedder  # the same offline model, loaded once per session
    clock = ManualClock()
    server = FakeDiscord(clock=clock)
    await server.start()
    server.add_guild(GUILD, channels=[CHANNEL, OTHER_CHANNEL], roles=[{"id": MOD_ROLE, "name": "Moderators"}])
    server.add_member(GUILD, ASKER, "asker")
    server.add_member(GUILD, OTHER, "other")
    server.add_member(GUILD, MOD, "mod", permissions=member_perms() | MANAGE_MESSAGES)
    server.add_member(GUILD, ROLE_MOD, "rolemod", roles=[MOD_ROLE])
    server.add_dm_channel(DM_CHANNEL, ASKER, "asker")
    clients: list[EssaybotClient] = []

    def factory() -> EssaybotClient:
        client = EssaybotClient(app, clock=clock, guild_ready_timeout=0.05)
        clients.append(client)
        return client

    stop = asyncio.Event()
    with server.patch_discord():
        task = asyncio.create_task(serve(app, "fake.bot.token", stop=stop, client_factory=factory))
        await server.wait_ready(timeout=WAIT_TIMEOUT)
        await wait_until(lambda: clients and clients[-1].is_ready(), "the bot to be ready")
        env = BotEnv(server=server, client=clients[-1], app=app, clock=clock)
        try:
            yield env
        finally:
            stop.set()
            await asyncio.wait_for(task, timeout=15)
            await server.stop()
            app.engine.dispose()
    unexpected = [r for r in server.rejections if r.code not in env.expected_rejections]
    assert not unexpected, f"the fake Discord refused requests: {unexpected}"
    # Every message the bot wrote, however it wrote it, must be unable to ping anyone.
    for call in server.calls:
        body = call.json or {}
        if call.route.endswith("/callback"):
            body = body.get("data") or {}
        if isinstance(body, dict) and ("content" in body or "embeds" in body):
            assert body.get("allowed_mentions") == {"parse": []}, f"{call.method} {call.route} may mention"
