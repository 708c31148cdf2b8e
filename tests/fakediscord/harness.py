"""Reusable set-up for tests and benchmarks: a started FakeDiscord, a connected client, raw requests.

Nothing here imports pytest, so the benchmark can use it too.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, TypeVar

import aiohttp

from .server import FakeDiscord

ClientT = TypeVar("ClientT")
T = TypeVar("T")

WAIT_TIMEOUT = 30.0  # generous: a loaded CI machine is slow, and a passing wait returns at once


async def wait_until(
    condition: Callable[[], T | None], what: str, *, timeout: float = WAIT_TIMEOUT, poll: float = 0.005
) -> T:
    """Wait until ``condition()`` returns something truthy, and return it; TimeoutError naming ``what``.

    For state that changes without an event to wait on (the client's guild cache, a row written on a
    worker thread). The timeout only bounds a failure: nothing is asserted about how long it took.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not (value := condition()):
        if loop.time() > deadline:
            raise TimeoutError(f"still waiting after {timeout} s for {what}")
        await asyncio.sleep(poll)
    return value


class FakeClock:
    """A clock that moves only when told to; pass it as ``clock=`` to FakeDiscord (and the bot)."""

    def __init__(self, start: float = 1_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        """Move time forward by ``seconds``."""
        self.now += seconds


@contextlib.asynccontextmanager
async def fake_discord(**kwargs: Any) -> AsyncIterator[FakeDiscord]:
    """A started FakeDiscord with discord.py patched to use it; stopped and unpatched on exit."""
    fake = FakeDiscord(**kwargs)
    await fake.start()
    try:
        with fake.patch_discord():
            yield fake
    finally:
        await fake.stop()


async def _until(task: asyncio.Task[Any], awaitable: Awaitable[Any], timeout: float, what: str) -> None:
    """Await ``awaitable``, but fail fast with the client's own error if its task ends first."""
    waiter = asyncio.ensure_future(awaitable)
    done, _ = await asyncio.wait({task, waiter}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    if waiter in done:
        waiter.result()
        return
    waiter.cancel()
    if task in done:
        task.result()
        raise RuntimeError(f"the client stopped before {what}")
    raise TimeoutError(f"no {what} within {timeout} s")


@contextlib.asynccontextmanager
async def running_client(
    fake: FakeDiscord, client: ClientT, *, token: str = "fake-bot-token", timeout: float = 5.0
) -> AsyncIterator[ClientT]:
    """Run ``client.start(token)`` against ``fake`` until it is ready; close it cleanly on exit.

    Give the client ``guild_ready_timeout=0.05`` (a discord.Client keyword) or start-up waits 2 s.
    """
    task = asyncio.create_task(client.start(token), name="fakediscord-client")  # type: ignore[attr-defined]
    try:
        await _until(task, fake.wait_ready(timeout), timeout, "gateway READY")
        await _until(task, client.wait_until_ready(), timeout, "on_ready")  # type: ignore[attr-defined]
        yield client
    finally:
        await client.close()  # type: ignore[attr-defined]
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(task, timeout)


async def request(
    fake: FakeDiscord,
    method: str,
    path: str,
    *,
    json: Any = None,
    data: Any = None,
    query: dict[str, str] | None = None,
    token: str | None = "fake-bot-token",
) -> tuple[int, Any]:
    """Send one raw request to ``fake.base_url + path``; returns (status, decoded JSON or None)."""
    headers = {"Authorization": f"Bot {token}"} if token else {}
    async with (
        aiohttp.ClientSession() as session,
        session.request(
            method, fake.base_url + path, json=json, data=data, params=query, headers=headers
        ) as response,
    ):
        body = await response.read()
        if not body:
            return response.status, None
        if response.headers.get("Content-Type") != "application/json":
            raise AssertionError(
                f"Content-Type {response.headers.get('Content-Type')!r} is not exactly application/json"
            )
        return response.status, await response.json()
