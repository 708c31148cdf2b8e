"""FakeDiscord: a local Discord API (REST and gateway) that the real discord.py client talks to."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterator
from typing import Any

from aiohttp import web

from .gateway import GatewaySession
from .rest import Rest
from .senders import Senders
from .world import DEFAULT_APPLICATION_ID, DEFAULT_BOT_USER_ID, GuildState

BACKLOG = 1024  # pending connections the listening socket queues (the kernel caps it at somaxconn)

_log = logging.getLogger(__name__)

__all__ = ["DEFAULT_APPLICATION_ID", "DEFAULT_BOT_USER_ID", "FakeDiscord", "GuildState"]


class FakeDiscord(Senders):
    """A fake Discord: REST under ``base_url``, the gateway at ``gateway_url``, all state in memory.

    Every rule that depends on time (3 s to answer an interaction, 15 minutes of token life) reads
    ``clock``, so tests advance a fake clock instead of sleeping. Latency figures use real time.
    """

    def __init__(self, **options: Any) -> None:
        """``options`` are :class:`World`'s: clock, application and bot ids, heartbeat interval, token."""
        super().__init__(**options)
        self._runner: web.AppRunner | None = None
        self._rest = Rest(self)

    async def start(self) -> None:
        """Bind 127.0.0.1 on a free port and serve."""
        self._ready = asyncio.Event()
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_get("/", self._gateway)
        app.router.add_route("*", "/api/v10/{tail:.*}", self._rest.handle)
        app.router.add_get("/attachments/{tail:.*}", self._attachment)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        # Discord's API takes any number of connections at once; with aiohttp's default listen
        # backlog (128), a burst of 200 new connections has SYNs dropped and retried a second later.
        site = web.TCPSite(self._runner, "127.0.0.1", 0, backlog=BACKLOG)
        await site.start()
        self.port = int(self._runner.addresses[0][1])

    async def stop(self) -> None:
        """Close every gateway session and stop serving."""
        for task in list(self._tasks):
            task.cancel()
        for session in self.sessions:
            if not session.ws.closed:
                await session.ws.close(code=1001, message=b"server stopping")
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @contextlib.contextmanager
    def patch_discord(self) -> Iterator[None]:
        """Point discord.py's REST base and default gateway at this server; restore them on exit."""
        import discord.gateway
        import discord.http
        import yarl

        route, ws = discord.http.Route, discord.gateway.DiscordWebSocket
        saved = (route.BASE, ws.DEFAULT_GATEWAY)
        route.BASE = self.base_url
        ws.DEFAULT_GATEWAY = yarl.URL(self.gateway_url)
        try:
            yield
        finally:
            route.BASE, ws.DEFAULT_GATEWAY = saved

    async def reconnect(self) -> None:
        """Send op 7 RECONNECT: the client reconnects to ``resume_gateway_url`` and RESUMEs."""
        if self.session is not None:
            await self.session.reconnect()

    async def _gateway(self, request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse(max_msg_size=0)
        await ws.prepare(request)
        session = GatewaySession(self, ws, dict(request.query))
        self.sessions.append(session)
        await session.run()
        return ws

    async def _attachment(self, request: web.Request) -> web.Response:
        data = self.cdn.get(request.match_info["tail"])
        if data is None:
            return web.Response(status=404)
        return web.Response(body=data, content_type="application/octet-stream")
