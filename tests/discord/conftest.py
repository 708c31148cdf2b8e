"""The ``bot_env`` fixture: a real essaybot client connected over HTTP and websocket to the fake Discord.

Each test gets its own copy of the seeded data directory, its own server and a manual clock shared by
the bot and the server, so cooldowns, view timeouts and token expiry are driven without sleeping.
The embedding model is the session's, loaded once. The set-up itself is ``botenv.running_bot``, which
the Discord battery (tests/battery) uses too.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from bot.core.essaybot import Essaybot
from botenv import BotEnv, running_bot


@pytest.fixture
async def bot_env(
    request: pytest.FixtureRequest, clone_seeded: Callable[[str], Path], seeded_app: Essaybot
) -> AsyncIterator[BotEnv]:
    """A connected bot in a guild with an asker, another member and two moderators, plus a DM channel."""
    async with running_bot(request, clone_seeded, seeded_app) as env:
        yield env
