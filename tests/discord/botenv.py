"""Shared pieces of the wire tests: ids, ``BotEnv`` (the handle the ``bot_env`` fixture yields) and
``running_bot``, which builds it.

A plain module rather than conftest.py, so that test files can import it by name.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.config import DiscordSection, load_settings
from bot.core.essaybot import Essaybot
from bot.discord.client import EssaybotClient
from bot.discord.clock import ManualClock
from bot.discord.runner import serve
from bot.store.db import session_scope
from bot.store.models import FeedbackRow, InteractionRow
from fakediscord import FakeDiscord, wait_until
from fakediscord.harness import WAIT_TIMEOUT
from fakediscord.models import Interaction, Message

CALLBACK = "/interactions/{interaction_id}/{token}/callback"
# Names of the tasks that handle one interaction (discord.py's, then the bot's own).
BOT_WORK = (
    "CommandTree-invoker",
    "discord-ui-",
    "discord.py: on_interaction",
    "essaybot-review-notice",
)

GUILD, CHANNEL, OTHER_CHANNEL, DM_CHANNEL = 910001, 920001, 920002, 920003
ASKER, OTHER, MOD, ROLE_MOD = 930001, 930002, 930003, 930004
MOD_ROLE = 940001
MANAGE_MESSAGES = 1 << 13


@dataclass
class BotEnv:
    """The server, the bot and shortcuts for what tests do all the time."""

    server: FakeDiscord
    client: EssaybotClient
    app: Essaybot
    clock: ManualClock
    expected_rejections: list[int] = field(default_factory=list)

    async def who_said(
        self, query: str, *, user: int = ASKER, author: str | None = None, **where: Any
    ) -> Interaction:
        """Run /who-said in the test channel (or ``guild_id=None, channel_id=DM_CHANNEL``)."""
        options: dict[str, Any] = {"query": query}
        if author is not None:
            options["author"] = author
        return await self.server.slash(user, "who-said", options, **{**self.where, **where})

    @property
    def where(self) -> dict[str, Any]:
        return {"guild_id": GUILD, "channel_id": CHANNEL}

    async def answer(self, interaction: Interaction) -> Message:
        """The message carrying the answer, once it is complete."""
        return await interaction.wait_message(timeout=30)

    def rows(self) -> list[InteractionRow]:
        """Every interaction row, oldest first."""
        with session_scope(self.app.engine) as session:
            rows = list(session.scalars(select(InteractionRow).order_by(InteractionRow.id)))
            session.expunge_all()
            return rows

    def feedback(self) -> list[FeedbackRow]:
        """Every feedback row."""
        with session_scope(self.app.engine) as session:
            rows = list(session.scalars(select(FeedbackRow).order_by(FeedbackRow.id)))
            session.expunge_all()
            return rows

    async def settle(self, timeout: float = WAIT_TIMEOUT) -> None:
        """Wait until the bot has finished with every interaction sent so far.

        That is: each interaction reached the bot and was answered (or its answer was refused), and
        no task that handles one is left: the command invoker (whose ``Recorder.entry`` writes the
        log row on the way out), view and modal callbacks, the ``on_interaction`` handler for stale
        presses, and the mod-log notices they start. A row or message asserted after ``settle()`` is
        therefore there or never will be; nothing depends on how long the bot took.
        """

        def busy() -> list[str]:
            answered = {c.path.split("/")[2] for c in self.server.calls_to(CALLBACK)}
            waiting = [
                f"interaction {i.id}"
                for i in self.server.interactions.values()
                if i.callback is None and str(i.id) not in answered
            ]
            tasks = [t.get_name() for t in asyncio.all_tasks() if t.get_name().startswith(BOT_WORK)]
            return waiting + tasks

        await wait_until(lambda: not busy(), "the bot to finish its interactions", timeout=timeout)

    @staticmethod
    def text(message: Message) -> str:
        """Everything a member reads in a message: content, then each embed's visible text."""
        parts = [message.content or ""]
        for embed in message.embeds:
            parts += [embed.get("title", ""), embed.get("description", "")]
            parts += [embed.get("author", {}).get("name", ""), embed.get("footer", {}).get("text", "")]
            for f in embed.get("fields", []):
                parts += [f["name"], f["value"]]
        return "\n".join(p for p in parts if p)

    def custom_id(self, message: Message, action: str) -> str:
        """The custom id of a button or select of ours on a message, by its action name."""
        for custom_id in message.custom_ids():
            if custom_id.endswith(f":{action}"):
                return custom_id
        raise AssertionError(f"no {action!r} component on message {message.id}: {message.custom_ids()}")


def discord_settings(**overrides: Any) -> pytest.MarkDecorator:
    """Mark a test to run with some [discord] settings changed."""
    return pytest.mark.discord_settings(**overrides)


def bot_settings(**overrides: Any) -> pytest.MarkDecorator:
    """Mark a test to run with some top-level settings changed (``corpus_scope="per_guild"``...)."""
    return pytest.mark.bot_settings(**overrides)


def member_perms() -> int:
    """The permissions an ordinary member has in the test channel."""
    from fakediscord import payloads

    return int(payloads.MEMBER_PERMISSIONS)


@contextlib.asynccontextmanager
async def running_bot(
    request: pytest.FixtureRequest, clone_seeded: Callable[[str], Path], seeded_app: Essaybot
) -> AsyncIterator[BotEnv]:
    """The ``bot_env`` fixture's body: a connected bot in a guild with an asker, another member and two
    moderators, plus a DM channel; ``discord_settings``/``bot_settings`` marks change its settings.

    On a clean exit it checks what every test must hold: the fake Discord refused nothing the test did
    not expect, and no message the bot wrote could mention anyone.
    """
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
            await asyncio.wait_for(task, timeout=WAIT_TIMEOUT)
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
