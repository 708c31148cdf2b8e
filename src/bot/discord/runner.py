"""``essaybot run``: start-up, the connection loop around login and connect, and clean shutdown.

discord.py reconnects a live gateway session by itself (and resumes it). What it leaves to the
application is the first contact: when Discord cannot be reached at all the login raises, and this
loop retries with capped exponential backoff while the heartbeat file tells the health check that
the bot is not connected. A rejected token is fatal at once: retrying cannot fix it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import signal
import sys
from collections.abc import Callable
from dataclasses import dataclass

import aiohttp
import discord

from bot.config import TOKEN_ENV, TOKEN_FILE_ENV, Settings
from bot.core.essaybot import Essaybot
from bot.discord.client import EssaybotClient
from bot.errors import ConfigError, EssaybotError
from bot.logs import redact
from bot.ops.backup import backup_before_upgrade
from bot.ops.heartbeat import write_heartbeat

log = logging.getLogger(__name__)

NETWORK_ERRORS = (
    OSError,
    aiohttp.ClientError,
    asyncio.TimeoutError,
    discord.GatewayNotFound,
    discord.ConnectionClosed,
)


class TokenRejected(EssaybotError):
    """Discord answered 401 to the token: fatal, with the fix in the message."""


@dataclass
class Backoff:
    """Capped exponential delays with jitter: 1, 2, 4 … ``cap`` seconds."""

    base: float = 1.0
    cap: float = 60.0
    attempt: int = 0

    def next(self) -> float:
        """The next delay to wait."""
        delay = min(self.cap, self.base * float(2**self.attempt))
        self.attempt += 1
        return delay * random.uniform(0.8, 1.0)  # jitter: many bots restarting together spread out

    def reset(self) -> None:
        """After a successful connection, start again from the base delay."""
        self.attempt = 0


def run(settings: Settings) -> int:
    """Validate, back up and migrate, make the index fresh, then serve until SIGTERM/SIGINT."""
    if settings.discord_token is None:
        raise ConfigError(
            f"no Discord token: set {TOKEN_ENV}, or {TOKEN_FILE_ENV} to a file holding it "
            "(see the README, 'Self-hosting'). To try the bot without Discord: essaybot who-said \"…\""
        )
    data_dir = settings.data_dir
    try:
        refuse_malformed_token(settings.discord_token.get_secret_value())
    except ConfigError:
        write_heartbeat(data_dir, "fatal", "malformed token")  # the health check says why, at once
        raise
    write_heartbeat(data_dir, "starting")
    # Until the event loop takes over signals, SIGTERM during start-up (e.g. `docker stop` while the
    # seeds are being indexed) should exit promptly rather than be ignored.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    backup = backup_before_upgrade(settings)
    if backup is not None:
        log.info("backed up the database to %s before migrating", backup)
    app = Essaybot(settings)
    # An upgrade's conversion runs beside the old index, which keeps answering; a first import or a
    # damaged index is built before connecting (`essaybot health` shows how far it is).
    app.rebuild_in_background = True
    app.ensure_ready()
    token = settings.discord_token.get_secret_value()
    redact(token)
    return asyncio.run(serve(app, token))


def refuse_malformed_token(token: str) -> None:
    """Refuse at once a token that cannot be a bot token (e.g. the README's placeholder).

    Discord would answer it with 401, but only after start-up; and a value that is not a token at all
    is a set-up mistake worth naming. The message says what is wrong, never what the token is.
    """
    from bot.ops.doctor import token_shape_problem

    problem = token_shape_problem(token)
    if problem is not None:
        source = TOKEN_FILE_ENV if os.environ.get(TOKEN_FILE_ENV, "").strip() else TOKEN_ENV
        raise ConfigError(
            f"the Discord token from {source} {problem}: copy the bot's token from the Developer Portal "
            "(Bot → Reset Token); `essaybot doctor` checks it"
        )


async def serve(
    app: Essaybot,
    token: str,
    *,
    stop: asyncio.Event | None = None,
    client_factory: Callable[[], EssaybotClient] | None = None,
    backoff: Backoff | None = None,
) -> int:
    """Log in and stay connected until ``stop`` is set; 0 on a clean stop."""
    stop = stop or asyncio.Event()
    backoff = backoff or Backoff()
    factory = client_factory or (lambda: EssaybotClient(app))
    loop = asyncio.get_running_loop()
    with contextlib.suppress(NotImplementedError, RuntimeError):  # not the main thread (tests)
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
    data_dir = app.settings.data_dir
    try:
        while not stop.is_set():
            client = factory()
            try:
                await _session(client, token, stop)
            except discord.LoginFailure:
                write_heartbeat(data_dir, "fatal", "token rejected")
                raise TokenRejected(
                    f"Discord rejected the token (HTTP 401). Check {TOKEN_ENV} / {TOKEN_FILE_ENV}: "
                    "copy the token again from the Developer Portal (Bot → Reset Token)."
                ) from None
            except discord.PrivilegedIntentsRequired:
                write_heartbeat(data_dir, "fatal", "privileged intents")
                raise  # cannot happen with our intents; never retried
            except (*NETWORK_ERRORS, discord.HTTPException) as exc:
                if isinstance(exc, discord.HTTPException) and exc.status < 500:
                    raise
                if client.connected_once:
                    backoff.reset()
                delay = backoff.next()
                write_heartbeat(data_dir, "backoff", f"{type(exc).__name__}; retry in {delay:.0f} s")
                log.warning(
                    "cannot reach Discord (%s: %s); retrying in %.0f s", type(exc).__name__, exc, delay
                )
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=delay)
            finally:
                await client.close()
    finally:
        write_heartbeat(data_dir, "stopped")
    log.info("stopped cleanly")
    return 0


async def _session(client: EssaybotClient, token: str, stop: asyncio.Event) -> None:
    """One login and gateway session, ended by ``stop`` or by an error."""
    write_heartbeat(client.settings.data_dir, "connecting")
    await client.login(token)
    connect = asyncio.create_task(client.connect(reconnect=True), name="essaybot-gateway")
    stopper = asyncio.create_task(stop.wait(), name="essaybot-stop")
    done, _ = await asyncio.wait({connect, stopper}, return_when=asyncio.FIRST_COMPLETED)
    if stopper in done:
        connect.cancel()
        with contextlib.suppress(asyncio.CancelledError, *NETWORK_ERRORS):
            await client.close()
            await connect
        return
    stopper.cancel()
    connect.result()  # re-raises what ended the session
