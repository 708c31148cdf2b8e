"""The fake Discord's state: guilds, channels, members, messages, interactions, and what was recorded."""

from __future__ import annotations

import asyncio
import copy
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from . import payloads as p
from .models import Call, Fault, Interaction, Message, Rejection, UploadedFile

if TYPE_CHECKING:
    from .gateway import GatewaySession

DEFAULT_APPLICATION_ID = 1_100_000_000_000_000_001
DEFAULT_BOT_USER_ID = 1_100_000_000_000_000_001


@dataclass
class GuildState:
    """One fake guild: its channels, roles and members (with their resolved permissions)."""

    id: int
    name: str
    owner_id: int
    channel_ids: list[int]
    roles: list[dict[str, Any]]
    bot_role_id: int
    members: dict[int, dict[str, Any]] = field(default_factory=dict)  # GUILD_CREATE member dicts
    permissions: dict[int, int] = field(default_factory=dict)  # user id -> permissions in its channels


class World:
    """Everything the fake server knows, and the helpers that build and change it.

    Every rule that depends on time (3 s to answer an interaction, 15 minutes of token life) reads
    ``clock``, so tests advance a fake clock instead of sleeping. Latency figures use real time.
    """

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.monotonic,
        application_id: int = DEFAULT_APPLICATION_ID,
        bot_user_id: int = DEFAULT_BOT_USER_ID,
        heartbeat_interval_ms: int = 41250,
        bot_name: str = "essaybot",
        token: str | None = None,
    ) -> None:
        self.clock = clock
        self.application_id = application_id
        self.bot_user_id = bot_user_id
        self.heartbeat_interval_ms = heartbeat_interval_ms
        self.token = token  # None accepts any bot token
        self.bot_user = p.bot_user(bot_user_id, bot_name)
        self.users: dict[int, dict[str, Any]] = {bot_user_id: p.user(bot_user_id, bot_name, bot=True)}
        self.guilds: dict[int, GuildState] = {}
        self.channels: dict[int, dict[str, Any]] = {}
        self.messages: dict[int, Message] = {}  # the bot's messages
        self.user_messages: dict[int, Message] = {}  # members' messages added by tests
        self.cdn: dict[str, bytes] = {}  # attachment path -> bytes
        self.interactions: dict[int, Interaction] = {}
        self.by_token: dict[str, Interaction] = {}
        self.commands: dict[int | None, list[dict[str, Any]]] = {}
        self.command_ids: dict[tuple[int | None, int, str], int] = {}
        self.calls: list[Call] = []
        self.rejections: list[Rejection] = []
        self.faults: list[Fault] = []  # injected errors (not rejections: the test asked for them)
        self.heartbeats: list[float] = []
        self.presence_updates: list[Any] = []
        self.sessions: list[GatewaySession] = []
        self.session: GatewaySession | None = None
        self.port = 0
        self._ready: asyncio.Event | None = None
        self._live = asyncio.Event()  # set while a ready (or resumed) session is open
        self._tasks: set[asyncio.Task[None]] = set()

    # gateway

    @property
    def base_url(self) -> str:
        """What ``discord.http.Route.BASE`` is set to."""
        return f"http://127.0.0.1:{self.port}/api/v10"

    @property
    def gateway_url(self) -> str:
        """The websocket URL (also READY's ``resume_gateway_url``)."""
        return f"ws://127.0.0.1:{self.port}/"

    @property
    def cdn_url(self) -> str:
        """Prefix of attachment URLs, served by this server."""
        return f"http://127.0.0.1:{self.port}/attachments"

    async def wait_ready(self, timeout: float = 5.0) -> None:
        """Wait until a client has IDENTIFYed and READY and every GUILD_CREATE were sent."""
        if self._ready is None:
            raise RuntimeError("FakeDiscord.start() was not awaited")
        await asyncio.wait_for(self._ready.wait(), timeout)

    async def dispatch(self, event: str, data: dict[str, Any], *, timeout: float = 5.0) -> None:
        """Send any gateway event to the connected client (waiting out a reconnect in progress)."""
        try:
            await asyncio.wait_for(self._live.wait(), timeout)
        except TimeoutError:
            raise RuntimeError("no gateway session is connected") from None
        assert self.session is not None
        await self.session.dispatch(event, data)

    def max_heartbeat_delay(self) -> float:
        """Largest lateness of any heartbeat relative to the announced interval, in real seconds."""
        interval, now = self.heartbeat_interval_ms / 1000.0, time.perf_counter()
        return max([0.0, *(s.max_heartbeat_delay(interval, now=now) for s in self.sessions)])

    def _session_ready(self, session: GatewaySession) -> None:
        self.session = session
        self._live.set()
        if self._ready is not None:
            self._ready.set()

    def _session_resumed(self, session: GatewaySession) -> None:
        self.session = session
        self._live.set()

    def _session_closed(self, session: GatewaySession) -> None:
        if session is self.session:
            self._live.clear()

    def _session_by_id(self, session_id: str | None) -> GatewaySession | None:
        return next((s for s in reversed(self.sessions) if s.session_id == session_id), None)

    # the world

    def add_user(self, user_id: int, name: str) -> dict[str, Any]:
        """Register a user (members and DM partners are registered by their own helpers)."""
        self.users[user_id] = p.user(user_id, name)
        return self.users[user_id]

    def add_guild(
        self,
        guild_id: int,
        name: str = "Test guild",
        *,
        channels: list[int] | None = None,
        roles: list[dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        """Add a guild the bot is in, with text channels (one fresh channel if none given) and roles.

        The @everyone role (id = guild id) and a managed role for the bot are always there. A guild
        added while a client is connected is sent to it as GUILD_CREATE.
        """
        channel_ids = list(channels) if channels else [p.new_id()]
        bot_role_id = p.new_id()
        all_roles = [p.role(guild_id, "@everyone", permissions=p.MEMBER_PERMISSIONS)]
        all_roles += [p.normalize_role(r, i + 1) for i, r in enumerate(roles or [])]
        all_roles.append(
            p.role(bot_role_id, "essaybot", permissions=p.BOT_PERMISSIONS, position=1, managed=True)
        )
        guild = GuildState(
            guild_id,
            name,
            owner_id=p.new_id(),
            channel_ids=channel_ids,
            roles=all_roles,
            bot_role_id=bot_role_id,
        )
        self.guilds[guild_id] = guild
        for position, channel_id in enumerate(channel_ids):
            self.channels[channel_id] = p.text_channel(
                channel_id, guild_id, f"channel-{position}", position=position
            )
        guild.members[self.bot_user_id] = p.member(self.users[self.bot_user_id], roles=[bot_role_id])
        guild.permissions[self.bot_user_id] = p.BOT_PERMISSIONS
        if self._live.is_set():
            payload = self.guild_payload(guild_id)
            task = asyncio.get_running_loop().create_task(self.dispatch("GUILD_CREATE", payload))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return self.guild_payload(guild_id)

    def add_member(
        self,
        guild_id: int,
        user_id: int,
        name: str,
        *,
        permissions: int = p.MEMBER_PERMISSIONS,
        roles: list[int] | tuple[int, ...] = (),
    ) -> dict[str, Any]:
        """Add a member; ``permissions`` is what interactions carry as the member's channel permissions."""
        guild = self.guilds[guild_id]
        user_obj = self.add_user(user_id, name)
        guild.members[user_id] = p.member(user_obj, roles=list(roles))
        guild.permissions[user_id] = permissions
        return self.member_payload(guild_id, user_id)

    def add_dm_channel(self, channel_id: int, user_id: int, name: str) -> dict[str, Any]:
        """A DM channel between the bot and a user (registering the user)."""
        user_obj = self.users.get(user_id) or self.add_user(user_id, name)
        self.channels[channel_id] = p.dm_channel(channel_id, user_obj)
        return self.channels[channel_id]

    def add_user_message(
        self,
        channel_id: int,
        author_id: int,
        content: str,
        *,
        attachments: list[dict[str, Any]] | tuple[dict[str, Any], ...] = (),
        embeds: list[dict[str, Any]] | tuple[dict[str, Any], ...] = (),
    ) -> dict[str, Any]:
        """A member's chat message, for context-menu commands to target; returns its message object.

        An attachment is ``{"filename": ..., "data": bytes | str, "content_type": ...}``; its bytes
        are served at its URL, so the bot can download it.
        """
        channel = self.channels[channel_id]
        author = self.users.get(author_id) or self.add_user(author_id, f"user{author_id}")
        message = Message(
            id=p.new_id(),
            channel_id=channel_id,
            guild_id=int(channel["guild_id"]) if "guild_id" in channel else None,
            author=author,
            content=content,
            embeds=copy.deepcopy(list(embeds)),
            timestamp=p.iso_now(),
            created_at=self.clock(),
        )
        for spec in attachments:
            raw = spec.get("data", b"")
            data = raw.encode() if isinstance(raw, str) else bytes(raw)
            filename = str(spec.get("filename", "file.bin"))
            message.attachments.append(self.store_file(channel_id, filename, data, spec.get("content_type")))
        self.user_messages[message.id] = message
        return message.to_dict()

    def guild_payload(self, guild_id: int) -> dict[str, Any]:
        """The GUILD_CREATE payload of a guild as it is now."""
        guild = self.guilds[guild_id]
        return p.guild_create(
            guild_id,
            guild.name,
            owner_id=guild.owner_id,
            channels=[self.channels[c] for c in guild.channel_ids],
            roles=guild.roles,
            members=list(guild.members.values()),
        )

    def member_payload(self, guild_id: int, user_id: int) -> dict[str, Any]:
        """The member as an interaction carries it, with its ``permissions`` string."""
        guild = self.guilds[guild_id]
        return {**guild.members[user_id], "permissions": str(guild.permissions[user_id])}

    def find_message(self, message_id: int) -> Message | None:
        """A message by id, the bot's or a member's."""
        return self.messages.get(message_id) or self.user_messages.get(message_id)

    def fail(
        self,
        method: str,
        route: str,
        *,
        status: int = 500,
        code: int = 0,
        message: str | None = None,
        times: int = 1,
        retry_after: float | None = None,
        path_endswith: str = "",
    ) -> Fault:
        """Answer the next ``times`` requests to ``method route`` with an error instead of handling them.

        ``status=500`` is an outage: discord.py tries five times in all (1, 3, 5, 7 and 9 s apart),
        then raises ``DiscordServerError``. Its webhook adapter, which sends interaction follow-ups
        and edits, does so for every 5xx; its main client only for 500, 502, 504 and 524.
        ``status=429`` with ``retry_after`` is a rate limit, which discord.py waits out and retries.
        A 4xx with a Discord ``code`` (e.g. 404 with 10062) is a refusal, raised at once. The failed
        requests change nothing on the server.
        """
        if status == 429 and retry_after is None:
            raise ValueError("a 429 needs retry_after")
        default = {429: "You are being rate limited.", 500: "500: Internal Server Error"}
        fault = Fault(
            method,
            route,
            status,
            code=code,
            message=message or default.get(status, f"{status}: injected error"),
            times=times,
            retry_after=retry_after,
            path_endswith=path_endswith,
        )
        self.faults.append(fault)
        return fault

    def injected_fault(self, call: Call) -> Fault | None:
        """The fault that answers ``call``, recording the hit; None when the request is served."""
        for fault in self.faults:
            if fault.matches(call):
                fault.hits.append(call)
                return fault
        return None

    def rejected(self, code: int | None = None) -> list[Rejection]:
        """Rejections, optionally only those with one Discord error code."""
        return [r for r in self.rejections if code is None or r.code == code]

    def calls_to(self, route: str, method: str | None = None) -> list[Call]:
        """Calls that matched a route template (e.g. "/channels/{channel_id}/messages")."""
        return [c for c in self.calls if c.route == route and (method is None or c.method == method)]

    # messages

    def store_file(
        self, channel_id: int, filename: str, data: bytes, content_type: Any = None
    ) -> dict[str, Any]:
        """Keep ``data`` on the fake CDN and return its attachment object."""
        attachment_id = p.new_id()
        path = f"{channel_id}/{attachment_id}/{filename}"
        self.cdn[path] = data
        return p.attachment(
            attachment_id, filename, size=len(data), url=f"{self.cdn_url}/{path}", content_type=content_type
        )

    def attachments_after(
        self, channel_id: int, payload: dict[str, Any], files: list[UploadedFile], keep: list[dict[str, Any]]
    ) -> list[dict[str, Any]] | None:
        """The attachments a create/edit leaves on a message, or None when the payload does not touch them."""
        if "attachments" not in payload and not files:
            return None
        by_field = {f.field: f for f in files}
        result: list[dict[str, Any]] = []
        kept = {a["id"]: a for a in keep}
        for entry in payload.get("attachments") or [{"id": str(i)} for i in range(len(files))]:
            upload = by_field.get(f"files[{entry.get('id')}]")
            if upload is not None:
                stored = self.store_file(channel_id, entry.get("filename") or upload.filename, upload.data)
                if entry.get("description"):
                    stored["description"] = entry["description"]
                result.append(stored)
            elif str(entry.get("id")) in kept:
                result.append(kept[str(entry.get("id"))])
        return result

    def new_message(
        self,
        channel_id: int,
        payload: dict[str, Any],
        files: list[UploadedFile],
        *,
        interaction: Interaction | None = None,
        flags: int = 0,
        msg_type: int = 0,
    ) -> Message:
        """A new message by the bot (through ``interaction``'s webhook when given), stored in ``messages``."""
        channel = self.channels.get(channel_id, {})
        message = Message(
            id=p.new_id(),
            channel_id=channel_id,
            guild_id=int(channel["guild_id"]) if "guild_id" in channel else None,
            author=self.users[self.bot_user_id],
            flags=flags,
            type=msg_type,
            timestamp=p.iso_now(),
            created_at=self.clock(),
            message_reference=payload.get("message_reference"),
        )
        message.apply({k: v for k, v in payload.items() if k != "flags"})
        message.attachments = self.attachments_after(channel_id, payload, files, []) or []
        if interaction is not None:
            message.interaction_id = interaction.id
            message.webhook_id = message.application_id = self.application_id
            message.interaction_metadata = {
                "id": str(interaction.id),
                "type": interaction.type,
                "user": self.users[interaction.user_id],
                "authorizing_integration_owners": interaction.payload.get(
                    "authorizing_integration_owners", {}
                ),
            }
            if interaction.source_message_id is not None:
                message.interaction_metadata["interacted_message_id"] = str(interaction.source_message_id)
        self.messages[message.id] = message
        return message

    def edit_message(self, message: Message, payload: dict[str, Any], files: list[UploadedFile]) -> None:
        """Apply an edit payload (and uploaded files), record it, and wake whoever waits on the message."""
        message.apply(payload)
        attachments = self.attachments_after(message.channel_id, payload, files, message.attachments)
        if attachments is not None:
            message.attachments = attachments
        message.edits.append(copy.deepcopy(payload))
        message.edited_timestamp = p.iso_now()
        self.touch(message)

    def touch(self, message: Message | None) -> None:
        """Wake the interactions whose answer may live in ``message``."""
        if message is None:
            return
        for interaction in self.interactions.values():
            if interaction.original is message or message in interaction.followups:
                interaction._notify()
