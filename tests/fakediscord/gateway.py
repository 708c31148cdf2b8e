"""One gateway websocket session: HELLO, IDENTIFY, READY, GUILD_CREATE, heartbeats, dispatches."""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import secrets
import time
from typing import TYPE_CHECKING, Any

from aiohttp import WSMsgType, web

if TYPE_CHECKING:
    from .server import FakeDiscord

_log = logging.getLogger(__name__)

DISPATCH, HEARTBEAT, IDENTIFY, PRESENCE, VOICE, RESUME, RECONNECT, REQUEST_MEMBERS = 0, 1, 2, 3, 4, 6, 7, 8
INVALID_SESSION, HELLO, HEARTBEAT_ACK = 9, 10, 11


class GatewaySession:
    """The server side of one websocket connection from discord.py."""

    def __init__(self, server: FakeDiscord, ws: web.WebSocketResponse, query: dict[str, str]) -> None:
        self.server = server
        self.ws = ws
        self.query = query  # v, encoding, compress as the client asked (frames are sent uncompressed)
        self.session_id = secrets.token_hex(16)
        self.sequence = 0
        self.identify: dict[str, Any] | None = None
        self.heartbeat_walls: list[float] = []
        self.closed = False
        self._send_lock = asyncio.Lock()

    @property
    def intents(self) -> int:
        """The intents the client identified with (0 before IDENTIFY)."""
        return int((self.identify or {}).get("intents", 0))

    async def run(self) -> None:
        """Serve the connection until the client or the server closes it."""
        await self._send({"op": HELLO, "d": {"heartbeat_interval": self.server.heartbeat_interval_ms}})
        try:
            async for msg in self.ws:
                if msg.type is WSMsgType.TEXT:
                    await self._received(json.loads(msg.data))
                elif msg.type is WSMsgType.ERROR:
                    break
        finally:
            self.closed = True
            self.server._session_closed(self)

    async def _received(self, msg: dict[str, Any]) -> None:
        op, data = msg.get("op"), msg.get("d")
        if op == HEARTBEAT:
            self.heartbeat_walls.append(time.perf_counter())
            self.server.heartbeats.append(self.server.clock())
            await self._send({"op": HEARTBEAT_ACK})
        elif op == IDENTIFY:
            await self._identify(data or {})
        elif op == RESUME:
            previous = self.server._session_by_id((data or {}).get("session_id"))
            if previous is None:
                await self._send({"op": INVALID_SESSION, "d": False})
                return
            self.session_id, self.sequence, self.identify = (
                previous.session_id,
                previous.sequence,
                previous.identify,
            )
            self.server._session_resumed(self)
            await self.dispatch("RESUMED", {})
        elif op == REQUEST_MEMBERS:
            await self._members_chunk(data or {})
        elif op in (PRESENCE, VOICE):
            self.server.presence_updates.append(data)
        else:
            _log.warning("fake gateway: unknown op %s", op)

    async def _identify(self, data: dict[str, Any]) -> None:
        self.identify = data
        server = self.server
        ready: dict[str, Any] = {
            "v": 10,
            "user": server.bot_user,
            "guilds": [{"id": str(gid), "unavailable": True} for gid in server.guilds],
            "session_id": self.session_id,
            "resume_gateway_url": server.gateway_url,
            "session_type": "normal",
            "application": {"id": str(server.application_id), "flags": 0},
            "private_channels": [],
            "relationships": [],
            "presences": [],
            "guild_join_requests": [],
            "geo_ordered_rtc_regions": [],
            "user_settings": {},
            "shard": data.get("shard") or [0, 1],
            "_trace": ["fakediscord"],
        }
        await self.dispatch("READY", ready)
        for guild_id in list(server.guilds):
            await self.dispatch("GUILD_CREATE", server.guild_payload(guild_id))
        server._session_ready(self)

    async def _members_chunk(self, data: dict[str, Any]) -> None:
        guild_ids = data.get("guild_id")
        for raw in guild_ids if isinstance(guild_ids, list) else [guild_ids]:
            guild_id = int(raw or 0)
            if guild_id not in self.server.guilds:
                continue
            members = self.server.guild_payload(guild_id)["members"]
            chunk: dict[str, Any] = {
                "guild_id": str(guild_id),
                "members": members,
                "chunk_index": 0,
                "chunk_count": 1,
            }
            if data.get("nonce"):
                chunk["nonce"] = data["nonce"]
            await self.dispatch("GUILD_MEMBERS_CHUNK", chunk)

    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        """Send one DISPATCH with the next sequence number."""
        async with self._send_lock:
            self.sequence += 1
            payload = {"op": DISPATCH, "t": event, "s": self.sequence, "d": data}
            await self.ws.send_str(json.dumps(payload))

    async def reconnect(self) -> None:
        """Ask the client to reconnect and resume (op 7)."""
        await self._send({"op": RECONNECT, "d": None})

    async def _send(self, payload: dict[str, Any]) -> None:
        async with self._send_lock:
            await self.ws.send_str(json.dumps(payload))

    def max_heartbeat_delay(self, interval: float, *, now: float | None = None) -> float:
        """Largest lateness of a heartbeat gap over ``interval`` (seconds, wall time).

        The heartbeat discord.py sends at once after HELLO starts the series. While the session is
        open, the time since the last heartbeat counts too, so a loop that is blocked right now shows.
        """
        walls = list(self.heartbeat_walls)
        if not self.closed and walls and now is not None:
            walls.append(now)
        gaps = [b - a for a, b in itertools.pairwise(walls)]
        return max([0.0, *(gap - interval for gap in gaps)])
