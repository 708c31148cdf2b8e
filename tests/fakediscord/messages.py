"""Routes that create or change messages: interaction callbacks, webhook follow-ups, channel messages."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .models import EPHEMERAL, INITIAL_RESPONSE_DEADLINE, LOADING, TOKEN_LIFETIME, Call, Interaction, Message
from .payloads import MANAGE_MESSAGES
from .rest import Refused, Reply, form_error
from .validate import is_empty_message, problems

if TYPE_CHECKING:
    from .server import FakeDiscord

# Callback types each interaction type accepts (ping 1 is never sent by this server).
ALLOWED_CALLBACKS = {2: {4, 5, 9}, 3: {4, 5, 6, 7, 9}, 4: {8}, 5: {4, 5, 6, 7}}


def _truthy(value: str | None) -> bool:
    return (value or "").lower() in ("1", "true")


def _unknown_message(reason: str) -> Refused:
    return Refused(404, 10008, "Unknown Message", reason)


class MessageRoutes:
    """Handlers for every route that makes or edits a message."""

    def __init__(self, server: FakeDiscord) -> None:
        self.s = server

    def register(self, add: Callable[..., None]) -> None:
        """Add the routes to the router (interaction and webhook routes carry no bot token)."""
        add("POST", "/interactions/{interaction_id}/{token}/callback", self.callback, auth=False)
        add("POST", "/webhooks/{app}/{token}", self.execute_webhook, auth=False)
        for method, handler in (("GET", self.get_webhook_message), ("PATCH", self.edit_webhook_message)):
            add(method, "/webhooks/{app}/{token}/messages/{message_id}", handler, auth=False)
        add(
            "DELETE", "/webhooks/{app}/{token}/messages/{message_id}", self.delete_webhook_message, auth=False
        )
        add("GET", "/channels/{channel_id}", self.get_channel)
        add("GET", "/channels/{channel_id}/messages", self.history)
        add("POST", "/channels/{channel_id}/messages", self.post_message)
        add("GET", "/channels/{channel_id}/messages/{message_id}", self.get_message)
        add("PATCH", "/channels/{channel_id}/messages/{message_id}", self.edit_message)
        add("DELETE", "/channels/{channel_id}/messages/{message_id}", self.delete_message)
        add("POST", "/channels/{channel_id}/typing", self.no_content)
        for method in ("PUT", "DELETE"):
            add(method, "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me", self.react)

    # helpers

    @staticmethod
    def _payload(call: Call, *, create: bool, prefix: str = "") -> dict[str, Any]:
        payload = call.json if call.json is not None else {}
        if not isinstance(payload, dict):
            raise form_error([f"{prefix or '_root'}: Must be an object."])
        found = problems(payload)
        if found:
            raise form_error([f"{prefix}.{x}" if prefix else x for x in found])
        if create and is_empty_message(payload) and not call.files:
            raise Refused(
                400,
                50006,
                "Cannot send an empty message",
                "message has no content, embeds, components or files",
            )
        return payload

    def _message_type(self, interaction: Interaction) -> int:
        if interaction.type == 2:
            return 20 if interaction.payload["data"].get("type", 1) == 1 else 23
        return 0

    def _token(self, app: str, token: str) -> Interaction:
        interaction = self.s.by_token.get(token)
        if interaction is None or int(app) != self.s.application_id:
            raise Refused(404, 10015, "Unknown Webhook", "unknown interaction token")
        if self.s.clock() - interaction.created_at > TOKEN_LIFETIME:
            raise Refused(404, 10015, "Unknown Webhook", "interaction token used after 15 minutes")
        if interaction.callback is None:
            raise Refused(
                404, 10015, "Unknown Webhook", "webhook used before the interaction was acknowledged"
            )
        return interaction

    def _webhook_target(self, interaction: Interaction, message_id: str) -> Message:
        if message_id == "@original":
            message = interaction.original
            if message is None:
                raise _unknown_message(f"no original response (callback type {interaction.callback_type})")
        else:
            found = self.s.messages.get(int(message_id))
            if found is None:
                raise _unknown_message(f"unknown message {message_id}")
            related = found is interaction.original or found in interaction.followups
            if not related and (found.webhook_id != self.s.application_id or found.ephemeral):
                raise _unknown_message(
                    f"message {message_id} was not sent through this interaction's webhook"
                )
            message = found
        if message.deleted:
            raise _unknown_message(f"message {message.id} was deleted")
        return message

    def _check_edit(self, message: Message, payload: dict[str, Any], call: Call) -> None:
        preview = copy.deepcopy(message)
        preview.apply(payload)
        if not preview.has_body() and not call.files:
            raise Refused(400, 50006, "Cannot send an empty message", "the edit leaves the message empty")

    # interactions

    async def callback(self, call: Call, groups: dict[str, str]) -> Reply:
        """POST /interactions/{id}/{token}/callback: the initial response."""
        interaction = self.s.interactions.get(int(groups["interaction_id"]))
        if interaction is None or interaction.token != groups["token"]:
            raise Refused(404, 10062, "Unknown interaction", "unknown interaction id or token")
        if interaction.callback is not None:
            raise Refused(
                400, 40060, "Interaction has already been acknowledged.", "interaction answered twice"
            )
        if self.s.clock() - interaction.created_at > INITIAL_RESPONSE_DEADLINE:
            raise Refused(404, 10062, "Unknown interaction", "initial response after 3 s")
        body = call.json
        kind = body.get("type") if isinstance(body, dict) else None
        if kind not in ALLOWED_CALLBACKS[interaction.type]:
            raise form_error(
                [f"type: Callback type {kind} is not valid for interaction type {interaction.type}."]
            )
        assert isinstance(body, dict)
        if kind in (6, 7) and interaction.source_message_id is None:
            raise form_error([f"type: Callback type {kind} needs a message, and this interaction has none."])
        found = problems(body, kind="callback")
        if found:
            raise form_error(found)
        data = body.get("data") or {}
        if kind == 4 and is_empty_message(data) and not call.files:
            raise Refused(400, 50006, "Cannot send an empty message", "initial response with nothing to show")
        message: Message | None = None
        flags = int(data.get("flags") or 0)
        if kind == 4:
            message = self.s.new_message(
                interaction.channel_id,
                data,
                call.files,
                interaction=interaction,
                flags=flags,
                msg_type=self._message_type(interaction),
            )
        elif kind == 5:
            message = self.s.new_message(
                interaction.channel_id,
                {},
                [],
                interaction=interaction,
                flags=LOADING | (flags & EPHEMERAL),
                msg_type=self._message_type(interaction),
            )
        elif kind in (6, 7):
            assert interaction.source_message_id is not None
            message = self.s.find_message(interaction.source_message_id)
            if message is None or message.deleted:
                raise _unknown_message("the component's message is gone")
            if kind == 7:
                self.s.edit_message(message, data, call.files)
        interaction._acknowledge(copy.deepcopy(body), self.s.clock(), message)
        if not _truthy(call.query.get("with_response")):
            return Reply(204)
        callback: dict[str, Any] = {"id": str(interaction.id), "type": interaction.type}
        resource: dict[str, Any] = {"type": kind}
        if message is not None:
            callback.update(
                response_message_id=str(message.id),
                response_message_loading=message.loading,
                response_message_ephemeral=message.ephemeral,
            )
            if kind in (4, 5, 7):
                resource["message"] = message.to_dict()
        return Reply(200, {"interaction": callback, "resource": resource})

    async def execute_webhook(self, call: Call, groups: dict[str, str]) -> Reply:
        """POST /webhooks/{app}/{token}: a follow-up (or, after a type 5 defer, the deferred answer)."""
        interaction = self._token(groups["app"], groups["token"])
        payload = self._payload(call, create=True)
        original = interaction.original
        if (
            interaction.callback_type == 5
            and original is not None
            and original.loading
            and not original.deleted
        ):
            # Discord fills the "thinking" message with the first follow-up; the defer decided its visibility.
            original.flags &= ~LOADING
            self.s.edit_message(original, payload, call.files)
            message = original
        else:
            message = self.s.new_message(
                interaction.channel_id,
                payload,
                call.files,
                interaction=interaction,
                flags=int(payload.get("flags") or 0),
                msg_type=self._message_type(interaction),
            )
            if original is not None and message.interaction_metadata is not None:
                message.interaction_metadata["original_response_message_id"] = str(original.id)
            interaction.followups.append(message)
            interaction._notify()
        return Reply(200, message.to_dict()) if _truthy(call.query.get("wait")) else Reply(204)

    async def get_webhook_message(self, call: Call, groups: dict[str, str]) -> Reply:
        interaction = self._token(groups["app"], groups["token"])
        return Reply(200, self._webhook_target(interaction, groups["message_id"]).to_dict())

    async def edit_webhook_message(self, call: Call, groups: dict[str, str]) -> Reply:
        """PATCH /webhooks/{app}/{token}/messages/{id or @original}."""
        interaction = self._token(groups["app"], groups["token"])
        message = self._webhook_target(interaction, groups["message_id"])
        payload = self._payload(call, create=False)
        self._check_edit(message, payload, call)
        message.flags &= ~LOADING
        self.s.edit_message(message, payload, call.files)
        return Reply(200, message.to_dict())

    async def delete_webhook_message(self, call: Call, groups: dict[str, str]) -> Reply:
        interaction = self._token(groups["app"], groups["token"])
        message = self._webhook_target(interaction, groups["message_id"])
        message.deleted = True
        self.s.touch(message)
        return Reply(204)

    # channels

    def _channel(self, groups: dict[str, str]) -> int:
        channel_id = int(groups["channel_id"])
        if channel_id not in self.s.channels:
            raise Refused(404, 10003, "Unknown Channel", f"unknown channel {channel_id}")
        return channel_id

    def _channel_message(self, groups: dict[str, str]) -> Message:
        channel_id = self._channel(groups)
        message = self.s.find_message(int(groups["message_id"]))
        if message is None or message.channel_id != channel_id or message.deleted:
            raise _unknown_message(f"no message {groups['message_id']} in channel {channel_id}")
        if message.ephemeral:
            raise _unknown_message(
                f"message {message.id} is ephemeral: only its interaction's webhook reaches it"
            )
        return message

    async def get_channel(self, call: Call, groups: dict[str, str]) -> Reply:
        return Reply(200, self.s.channels[self._channel(groups)])

    async def history(self, call: Call, groups: dict[str, str]) -> Reply:
        channel_id = self._channel(groups)
        limit = max(1, min(100, int(call.query.get("limit", 50))))
        before, after = int(call.query.get("before", 1 << 63)), int(call.query.get("after", 0))
        visible = [
            m
            for m in [*self.s.messages.values(), *self.s.user_messages.values()]
            if m.channel_id == channel_id and not m.deleted and not m.ephemeral and after < m.id < before
        ]
        visible.sort(key=lambda m: m.id, reverse=True)
        return Reply(200, [m.to_dict() for m in visible[:limit]])

    async def post_message(self, call: Call, groups: dict[str, str]) -> Reply:
        """POST /channels/{id}/messages: a plain bot message."""
        channel_id = self._channel(groups)
        payload = self._payload(call, create=True)
        flags = int(payload.get("flags") or 0)
        if flags & EPHEMERAL:
            raise form_error(["flags: Only interaction responses and follow-ups can be ephemeral."])
        reference = payload.get("message_reference")
        if reference and self.s.find_message(int(reference.get("message_id", 0))) is None:
            raise form_error(["message_reference: Unknown message"])
        message = self.s.new_message(
            channel_id, payload, call.files, flags=flags, msg_type=19 if reference else 0
        )
        return Reply(200, message.to_dict())

    async def get_message(self, call: Call, groups: dict[str, str]) -> Reply:
        return Reply(200, self._channel_message(groups).to_dict())

    async def edit_message(self, call: Call, groups: dict[str, str]) -> Reply:
        message = self._channel_message(groups)
        if message.author_id != self.s.bot_user_id:
            raise Refused(
                403, 50005, "Cannot edit a message authored by another user", "edit of a member's message"
            )
        payload = self._payload(call, create=False)
        self._check_edit(message, payload, call)
        self.s.edit_message(message, payload, call.files)
        return Reply(200, message.to_dict())

    async def delete_message(self, call: Call, groups: dict[str, str]) -> Reply:
        message = self._channel_message(groups)
        guild = self.s.guilds.get(message.guild_id or 0)
        foreign = message.author_id != self.s.bot_user_id and guild is not None
        if foreign and guild is not None and not guild.permissions[self.s.bot_user_id] & MANAGE_MESSAGES:
            raise Refused(
                403, 50013, "Missing Permissions", "deleting a member's message needs Manage Messages"
            )
        message.deleted = True
        self.s.touch(message)
        return Reply(204)

    async def react(self, call: Call, groups: dict[str, str]) -> Reply:
        self._channel_message(groups)
        return Reply(204)

    async def no_content(self, call: Call, groups: dict[str, str]) -> Reply:
        self._channel(groups)
        return Reply(204)
