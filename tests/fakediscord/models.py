"""What the fake server records: REST calls, refusals, messages and interactions."""

from __future__ import annotations

import asyncio
import copy
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

EPHEMERAL = 64
LOADING = 128
INITIAL_RESPONSE_DEADLINE = 3.0  # seconds to send the initial callback
TOKEN_LIFETIME = 15 * 60.0  # seconds an interaction token stays usable


@dataclass
class UploadedFile:
    """One file part of a multipart request."""

    field: str
    filename: str
    data: bytes


@dataclass
class Call:
    """One REST request as the server received it."""

    method: str
    path: str  # relative to /api/v10, with the real ids and token, e.g. "/channels/1/messages"
    route: str  # the matched route template, e.g. "/channels/{channel_id}/messages"; "" when unknown
    query: dict[str, str]
    json: Any  # the JSON body, or the parsed payload_json of a multipart body; None when empty
    files: list[UploadedFile]
    status: int = 0
    time: float = 0.0  # injected clock
    wall: float = 0.0  # time.perf_counter(), for latency figures


@dataclass
class Rejection:
    """A request the server refused the way Discord would."""

    call: Call
    status: int
    code: int
    message: str
    reason: str
    errors: dict[str, Any] | None = None

    def __str__(self) -> str:
        where = self.call.route or self.call.path
        return f"{self.call.method} {where} -> {self.status} {self.code}: {self.reason}"


@dataclass
class Fault:
    """An error the server answers instead of handling a request, injected by a test.

    It matches a method and a route template (``"/webhooks/{app}/{token}/messages/{message_id}"``),
    and optionally a path suffix (``"/@original"``). ``times`` requests fail, then the route works
    again. A 429 carries ``retry_after`` in its body and headers, shaped so that discord.py waits
    and retries it (the ``Via`` header tells discord.py it is Discord's own limit, not Cloudflare's).
    """

    method: str
    route: str
    status: int
    code: int = 0
    message: str = ""
    times: int = 1
    retry_after: float | None = None
    path_endswith: str = ""
    hits: list[Call] = field(default_factory=list)  # the requests it answered

    def matches(self, call: Call) -> bool:
        """Whether this fault answers ``call`` (and has failures left)."""
        return (
            self.times > len(self.hits)
            and call.method == self.method
            and call.route == self.route
            and call.path.endswith(self.path_endswith)
        )

    @property
    def exhausted(self) -> bool:
        """Whether every failure it was given has been served."""
        return len(self.hits) >= self.times


@dataclass
class Message:
    """The server's state of one message (the bot's, or a member's added by a test)."""

    id: int
    channel_id: int
    guild_id: int | None
    author: dict[str, Any]
    content: str = ""
    embeds: list[dict[str, Any]] = field(default_factory=list)
    components: list[dict[str, Any]] = field(default_factory=list)
    attachments: list[dict[str, Any]] = field(default_factory=list)
    flags: int = 0
    allowed_mentions: dict[str, Any] | None = None
    message_reference: dict[str, Any] | None = None
    type: int = 0
    interaction_id: int | None = None
    interaction_metadata: dict[str, Any] | None = None
    application_id: int | None = None
    webhook_id: int | None = None
    deleted: bool = False
    timestamp: str = ""
    edited_timestamp: str | None = None
    edits: list[dict[str, Any]] = field(default_factory=list)  # every edit payload, in order
    created_at: float = 0.0  # injected clock

    @property
    def author_id(self) -> int:
        """The author's user id."""
        return int(self.author["id"])

    @property
    def ephemeral(self) -> bool:
        """Whether only the invoking user can see it."""
        return bool(self.flags & EPHEMERAL)

    @property
    def loading(self) -> bool:
        """Whether this is a deferred "thinking" placeholder not yet filled."""
        return bool(self.flags & LOADING)

    def has_body(self) -> bool:
        """Whether it shows anything (content, embeds, components or files)."""
        return bool(self.content or self.embeds or self.components or self.attachments)

    def apply(self, payload: dict[str, Any]) -> None:
        """Apply an edit payload: fields present replace, absent ones stay."""
        for key in ("content", "embeds", "components", "attachments"):
            if key in payload:
                setattr(self, key, copy.deepcopy(payload[key]) if payload[key] is not None else _empty(key))
        if "allowed_mentions" in payload:
            self.allowed_mentions = payload["allowed_mentions"]
        if payload.get("flags") is not None:
            # Only suppress-embeds and components-v2 can change on an existing message.
            keep = self.flags & ~(4 | 32768)
            self.flags = keep | (payload["flags"] & (4 | 32768))

    def custom_ids(self) -> list[str]:
        """Every custom_id on the message, in display order."""
        return [c["custom_id"] for c in iter_components(self.components) if "custom_id" in c]

    def component(self, custom_id: str) -> dict[str, Any] | None:
        """The component carrying ``custom_id``, if any."""
        return next((c for c in iter_components(self.components) if c.get("custom_id") == custom_id), None)

    def to_dict(self) -> dict[str, Any]:
        """The Discord message object, as discord.py receives it."""
        data: dict[str, Any] = {
            "id": str(self.id),
            "channel_id": str(self.channel_id),
            "author": self.author,
            "content": self.content,
            "timestamp": self.timestamp,
            "edited_timestamp": self.edited_timestamp,
            "tts": False,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": copy.deepcopy(self.attachments),
            "embeds": copy.deepcopy(self.embeds),
            "components": copy.deepcopy(self.components),
            "reactions": [],
            "pinned": False,
            "type": self.type,
            "flags": self.flags,
        }
        if self.guild_id is not None:
            data["guild_id"] = str(self.guild_id)
        if self.webhook_id is not None:
            data["webhook_id"] = str(self.webhook_id)
        if self.application_id is not None:
            data["application_id"] = str(self.application_id)
        if self.interaction_metadata is not None:
            data["interaction_metadata"] = self.interaction_metadata
        if self.message_reference is not None:
            data["message_reference"] = self.message_reference
        return data


def _empty(key: str) -> Any:
    return "" if key == "content" else []


def iter_components(components: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """All components, nested ones included (rows, sections, containers, labels)."""
    found: list[dict[str, Any]] = []
    for component in components:
        found.append(component)
        found.extend(iter_components(component.get("components") or []))
        for key in ("accessory", "component"):
            if isinstance(component.get(key), dict):
                found.extend(iter_components([component[key]]))
    return found


class Interaction:
    """A handle on one interaction the server sent to the client, and everything the bot did with it.

    After a deferred channel message (type 5), the bot's first follow-up fills the "thinking" message
    instead of creating a new one, and keeps the defer's visibility, as Discord does: that message is
    then ``original``, not a follow-up.
    """

    def __init__(
        self,
        *,
        id: int,
        token: str,
        type: int,
        user_id: int,
        guild_id: int | None,
        channel_id: int,
        payload: dict[str, Any],
        created_at: float,
        source_message_id: int | None = None,
    ) -> None:
        self.id = id
        self.token = token
        self.type = type
        self.user_id = user_id
        self.guild_id = guild_id
        self.channel_id = channel_id
        self.payload = payload  # the INTERACTION_CREATE data as sent
        self.created_at = created_at  # injected clock
        self.source_message_id = (
            source_message_id  # message of the component, for clicks and modals from them
        )
        self.sent_wall = time.perf_counter()
        self.acknowledged_at: float | None = None  # injected clock at the initial callback
        self.acknowledged_wall: float | None = None
        self.answered_wall: float | None = None
        self.callback: dict[str, Any] | None = None  # {"type", "data"} of the initial callback
        self.original: Message | None = None
        self.followups: list[Message] = []
        self._edits_at_ack = 0
        self._answer: Message | None = None
        self._changed = asyncio.Event()

    @property
    def callback_type(self) -> int | None:
        """The initial callback's type (4 message, 5 deferred, 6 deferred update, 7 update, 8, 9 modal)."""
        return None if self.callback is None else int(self.callback["type"])

    @property
    def ack_latency(self) -> float | None:
        """Real seconds from sending the interaction to receiving its initial callback."""
        return None if self.acknowledged_wall is None else self.acknowledged_wall - self.sent_wall

    @property
    def answer_latency(self) -> float | None:
        """Real seconds from sending the interaction to the message that carries the answer."""
        return None if self.answered_wall is None else self.answered_wall - self.sent_wall

    def _acknowledge(self, body: dict[str, Any], now: float, original: Message | None) -> None:
        self.callback = body
        self.acknowledged_at = now
        self.acknowledged_wall = time.perf_counter()
        self.original = original
        self._edits_at_ack = len(original.edits) if original is not None else 0
        self._notify()

    def _notify(self) -> None:
        if self._answer is None:
            self._answer = self._find_answer()
            if self._answer is not None:
                self.answered_wall = time.perf_counter()
        self._changed.set()
        self._changed = asyncio.Event()

    def _find_answer(self) -> Message | None:
        original, kind = self.original, self.callback_type
        if original is not None:
            if kind in (4, 7) and original.has_body():
                return original
            if kind == 5 and not original.loading:
                return original
            if kind == 6 and len(original.edits) > self._edits_at_ack:
                return original
        return self.followups[0] if self.followups else None

    async def _wait(self, ready: Callable[[], Any], timeout: float, what: str) -> Any:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while (value := ready()) is None:
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(f"interaction {self.id}: no {what} within {timeout} s")
            try:
                await asyncio.wait_for(self._changed.wait(), remaining)
            except TimeoutError:
                continue
        return value

    async def response(self, timeout: float = 5.0) -> dict[str, Any]:
        """The initial callback payload ``{"type", "data"}`` once the bot has sent it."""
        result: dict[str, Any] = await self._wait(lambda: self.callback, timeout, "initial response")
        return result

    async def wait_message(self, timeout: float = 5.0) -> Message:
        """The message carrying the answer: the original response once it shows something, or a follow-up."""
        result: Message = await self._wait(lambda: self._answer, timeout, "answer message")
        return result

    async def wait_followups(self, count: int, timeout: float = 5.0) -> list[Message]:
        """Wait until the bot has sent ``count`` follow-up messages."""
        result: list[Message] = await self._wait(
            lambda: self.followups if len(self.followups) >= count else None, timeout, f"{count} follow-ups"
        )
        return result

    async def wait_edits(self, count: int, timeout: float = 5.0) -> Message:
        """Wait until the original message has received ``count`` edits in total."""
        result: Message = await self._wait(
            lambda: (
                self.original if self.original is not None and len(self.original.edits) >= count else None
            ),
            timeout,
            f"{count} edits",
        )
        return result

    def __repr__(self) -> str:
        return (
            f"<Interaction id={self.id} type={self.type} user={self.user_id} callback={self.callback_type}>"
        )
