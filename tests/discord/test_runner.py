"""The connection loop: a rejected token is fatal at once; an unreachable Discord is retried with backoff."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.config import load_settings
from bot.core.essaybot import Essaybot
from bot.discord.client import EssaybotClient
from bot.discord.runner import Backoff, TokenRejected, serve
from bot.ops.heartbeat import read_heartbeat
from fakediscord import FakeDiscord

pytestmark = pytest.mark.model


@pytest.fixture
def app(clone_seeded: Callable[[str], Path], seeded_app: Essaybot) -> Essaybot:
    bot = Essaybot(load_settings(None, data_dir=clone_seeded("runner")))
    bot.embedder = seeded_app.embedder
    return bot


def test_backoff_is_capped_and_resets() -> None:
    backoff = Backoff(base=1.0, cap=8.0)
    delays = [backoff.next() for _ in range(6)]
    assert all(0.8 * min(8.0, 2**i) <= d <= min(8.0, 2**i) for i, d in enumerate(delays))
    backoff.reset()
    assert backoff.next() <= 1.0


async def test_rejected_token_is_fatal_without_retries(app: Essaybot) -> None:
    server = FakeDiscord(token="the.right.token")
    await server.start()
    try:
        with server.patch_discord():
            factory = lambda: EssaybotClient(app, guild_ready_timeout=0.05)  # noqa: E731
            with pytest.raises(TokenRejected, match="401"):
                await asyncio.wait_for(serve(app, "a.wrong.token", client_factory=factory), timeout=20)
        logins = [c for c in server.calls if c.path.endswith("/users/@me")]
        assert len(logins) == 1  # no retry storm
        server.rejections.clear()
    finally:
        await server.stop()
    beat = read_heartbeat(app.settings.data_dir)
    assert beat is not None and beat.state == "stopped"


async def test_unreachable_discord_is_retried_with_backoff(
    app: Essaybot, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    import discord.http

    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setattr(discord.http.Route, "BASE", f"http://127.0.0.1:{port}/api/v10")
    stop = asyncio.Event()
    attempts: list[EssaybotClient] = []
    states: list[str] = []

    def factory() -> EssaybotClient:
        beat = read_heartbeat(app.settings.data_dir)
        states.append(beat.state if beat else "none")
        if len(attempts) == 3:
            stop.set()
        attempts.append(EssaybotClient(app, guild_ready_timeout=0.05))
        return attempts[-1]

    caplog.set_level(logging.DEBUG)
    code = await asyncio.wait_for(
        serve(
            app, "secret.token.value", stop=stop, client_factory=factory, backoff=Backoff(base=0.01, cap=0.05)
        ),
        timeout=30,
    )
    assert code == 0
    assert len(attempts) >= 3
    assert "backoff" in states  # the health check saw that the bot is not connected
    assert "retrying in" in caplog.text
    assert "secret.token.value" not in caplog.text  # the token is never logged
    beat = read_heartbeat(app.settings.data_dir)
    assert beat is not None and beat.state == "stopped"


@pytest.mark.parametrize("source", ["DISCORD_TOKEN", "DISCORD_TOKEN_FILE"])
@pytest.mark.parametrize(
    "token",
    ["YOUR-BOT-TOKEN", "Bot MTIzNDU2Nzg5MDEyMzQ1Njc4.GdUmMy.abcdefghijklmnopqrstuvwxyz0123"],
    ids=["placeholder", "bot-prefix"],
)
def test_run_refuses_a_malformed_token_at_once(tmp_path: Path, source: str, token: str) -> None:
    # The compose file's placeholder used to be tried against Discord, and retried forever.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ESSAYBOT_", "DISCORD_TOKEN"))}
    if source == "DISCORD_TOKEN":
        env["DISCORD_TOKEN"] = token
    else:
        secret = tmp_path / "discord_token"
        secret.write_text(token + "\n", encoding="utf-8")
        env["DISCORD_TOKEN_FILE"] = str(secret)
    data_dir = tmp_path / "data"
    proc = subprocess.run(
        [sys.executable, "-m", "bot", "--data-dir", str(data_dir), "run"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,  # bounds a hang only; the refusal comes before anything slow
        check=False,
    )
    assert proc.returncode == 2, proc.stdout + proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: the Discord token from " + source), proc.stderr
    assert "Traceback" not in proc.stderr
    secret_part = token.removeprefix("Bot ")
    assert secret_part not in proc.stdout + proc.stderr, "the token is echoed"
    beat = read_heartbeat(data_dir)
    assert beat is not None and beat.state == "fatal"
    assert not (data_dir / "essaybot.db").exists()  # refused before migrating or indexing anything
