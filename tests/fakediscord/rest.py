"""The REST router: request parsing, recording, Discord-shaped errors, and the non-message routes."""

from __future__ import annotations

import copy
import json
import logging
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import aiohttp
from aiohttp import web

from . import payloads as p
from .models import Call, Fault, Rejection, UploadedFile
from .validate import errors_tree, problems

if TYPE_CHECKING:
    from .server import FakeDiscord

_log = logging.getLogger(__name__)


class Refused(Exception):
    """Raised by a handler to answer the way Discord refuses a request."""

    def __init__(
        self, status: int, code: int, message: str, reason: str, errors: dict[str, Any] | None = None
    ):
        super().__init__(reason)
        self.status, self.code, self.message, self.reason, self.errors = status, code, message, reason, errors


def form_error(found: list[str]) -> Refused:
    """400 Invalid Form Body (50035) listing ``found`` problems."""
    return Refused(400, 50035, "Invalid Form Body", "; ".join(found), errors_tree(found))


@dataclass
class Reply:
    """A successful answer: JSON ``body`` with ``status``, or an empty 204."""

    status: int
    body: Any = None


Handler = Callable[[Call, dict[str, str]], Awaitable[Reply]]


def json_response(status: int, body: Any) -> web.Response:
    # discord.py only decodes JSON when Content-Type is exactly "application/json": no charset suffix.
    return web.Response(
        status=status, body=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )


class Rest:
    """Matches /api/v10 requests against Discord's route templates and records each one."""

    def __init__(self, server: FakeDiscord) -> None:
        from .messages import MessageRoutes

        self.s = server
        self.routes: list[tuple[str, re.Pattern[str], str, Handler, bool]] = []
        add = self.add
        add("GET", "/users/@me", self.me)
        add("POST", "/users/@me/channels", self.create_dm)
        add("GET", "/users/{user_id}", self.get_user)
        add("GET", "/oauth2/applications/@me", self.application)
        add("GET", "/applications/@me", self.application)
        add("GET", "/gateway", self.gateway, auth=False)
        add("GET", "/gateway/bot", self.gateway_bot)
        for prefix in ("/applications/{app}", "/applications/{app}/guilds/{guild_id}"):
            add("GET", prefix + "/commands", self.get_commands)
            add("PUT", prefix + "/commands", self.put_commands)
            add("POST", prefix + "/commands", self.post_command)
            add("GET", prefix + "/commands/{command_id}", self.get_command)
            add("PATCH", prefix + "/commands/{command_id}", self.patch_command)
            add("DELETE", prefix + "/commands/{command_id}", self.delete_command)
        add("GET", "/guilds/{guild_id}", self.get_guild)
        add("GET", "/guilds/{guild_id}/channels", self.get_guild_channels)
        add("GET", "/guilds/{guild_id}/roles", self.get_guild_roles)
        add("GET", "/guilds/{guild_id}/members/{user_id}", self.get_member)
        MessageRoutes(server).register(add)

    def add(self, method: str, template: str, handler: Handler, *, auth: bool = True) -> None:
        """Register ``handler`` for ``method template`` (``{name}`` matches one path segment)."""
        pattern = re.escape(template).replace(r"\{", "{").replace(r"\}", "}")
        pattern = re.sub(r"{(\w+)}", r"(?P<\1>[^/]+)", pattern)
        self.routes.append((method, re.compile(f"^{pattern}$"), template, handler, auth))

    async def handle(self, request: web.Request) -> web.Response:
        """Entry point for every /api/v10 request."""
        path = "/" + request.match_info["tail"]
        call = Call(
            request.method,
            path,
            "",
            dict(request.query),
            None,
            [],
            time=self.s.clock(),
            wall=time.perf_counter(),
        )
        self.s.calls.append(call)
        try:
            call.json, call.files = await self._body(request)
            handler, groups, auth = self._match(call)
            if auth:
                self._authorize(request)
            fault = self.s.injected_fault(call)
            if fault is not None:
                return self._fault_response(call, fault)
            try:
                reply = await handler(call, groups)
            except Refused:
                raise
            except Exception as exc:
                # A bug in the fake must fail fast: a 5xx would make discord.py retry for 25 s.
                _log.exception("fakediscord crashed on %s %s", call.method, path)
                raise Refused(400, 0, "fakediscord internal error", f"fake server crashed: {exc!r}") from exc
        except Refused as refused:
            call.status = refused.status
            self.s.rejections.append(
                Rejection(call, refused.status, refused.code, refused.message, refused.reason, refused.errors)
            )
            _log.info("fakediscord refused %s %s: %s", call.method, path, refused.reason)
            body: dict[str, Any] = {"code": refused.code, "message": refused.message}
            if refused.errors:
                body["errors"] = refused.errors
            return json_response(refused.status, body)
        call.status = reply.status
        if reply.status == 204:
            return web.Response(status=204)
        return json_response(reply.status, reply.body)

    @staticmethod
    def _fault_response(call: Call, fault: Fault) -> web.Response:
        call.status = fault.status
        _log.info("fakediscord injected %s on %s %s", fault.status, call.method, call.path)
        body: dict[str, Any] = {"code": fault.code, "message": fault.message}
        headers = {"Content-Type": "application/json"}
        if fault.retry_after is not None:
            body.update(retry_after=fault.retry_after, **{"global": False})
            # Discord's own 429s come through its proxy; discord.py treats one without Via as a ban.
            headers.update(
                {
                    "Via": "1.1 google",
                    "Retry-After": str(max(1, round(fault.retry_after))),
                    "X-RateLimit-Scope": "user",
                }
            )
        return web.Response(status=fault.status, body=json.dumps(body).encode(), headers=headers)

    def _match(self, call: Call) -> tuple[Handler, dict[str, str], bool]:
        known_path = False
        for method, regex, template, handler, auth in self.routes:
            match = regex.match(call.path)
            if match is None:
                continue
            known_path = True
            if method == call.method:
                call.route = template
                return handler, match.groupdict(), auth
        if known_path:
            raise Refused(
                405, 0, "405: Method Not Allowed", f"method {call.method} not allowed on {call.path}"
            )
        raise Refused(404, 0, "404: Not Found", f"unknown route {call.method} {call.path}")

    def _authorize(self, request: web.Request) -> None:
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bot ") or (self.s.token is not None and header[4:] != self.s.token):
            raise Refused(401, 0, "401: Unauthorized", "missing or wrong bot token")

    @staticmethod
    async def _body(request: web.Request) -> tuple[Any, list[UploadedFile]]:
        if request.content_type.startswith("multipart/"):
            payload: Any = None
            files: list[UploadedFile] = []
            reader = await request.multipart()
            while (part := await reader.next()) is not None:
                if not isinstance(part, aiohttp.BodyPartReader):
                    continue
                if part.name == "payload_json":
                    payload = json.loads(await part.text())
                else:
                    files.append(
                        UploadedFile(
                            part.name or "", part.filename or part.name or "", bytes(await part.read())
                        )
                    )
            return payload, files
        raw = await request.read()
        if not raw:
            return None, []
        try:
            return json.loads(raw), []
        except ValueError:
            raise Refused(
                400, 50109, "The request body contains invalid JSON.", "invalid JSON body"
            ) from None

    # users, application, gateway

    async def me(self, call: Call, groups: dict[str, str]) -> Reply:
        return Reply(200, self.s.bot_user)

    async def get_user(self, call: Call, groups: dict[str, str]) -> Reply:
        user = self.s.users.get(int(groups["user_id"]))
        if user is None:
            raise Refused(404, 10013, "Unknown User", f"unknown user {groups['user_id']}")
        return Reply(200, user)

    async def create_dm(self, call: Call, groups: dict[str, str]) -> Reply:
        recipient = int((call.json or {}).get("recipient_id", 0))
        if recipient not in self.s.users:
            raise Refused(400, 50007, "Cannot send messages to this user", f"unknown recipient {recipient}")
        for channel in self.s.channels.values():
            if channel.get("type") == 1 and channel["recipients"][0]["id"] == str(recipient):
                return Reply(200, channel)
        return Reply(200, self.s.add_dm_channel(p.new_id(), recipient, self.s.users[recipient]["username"]))

    async def application(self, call: Call, groups: dict[str, str]) -> Reply:
        owner = p.user(self.s.application_id + 1, "owner")
        return Reply(200, p.application(self.s.application_id, owner, self.s.bot_user["username"]))

    async def gateway(self, call: Call, groups: dict[str, str]) -> Reply:
        return Reply(200, {"url": self.s.gateway_url})

    async def gateway_bot(self, call: Call, groups: dict[str, str]) -> Reply:
        limit = {"total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1}
        return Reply(200, {"url": self.s.gateway_url, "shards": 1, "session_start_limit": limit})

    # application commands

    def _scope(self, groups: dict[str, str]) -> int | None:
        if int(groups["app"]) != self.s.application_id:
            raise Refused(403, 50001, "Missing Access", f"application {groups['app']} is not this bot's")
        if "guild_id" not in groups:
            return None
        guild_id = int(groups["guild_id"])
        if guild_id not in self.s.guilds:
            raise Refused(403, 50001, "Missing Access", f"the bot is not in guild {guild_id}")
        return guild_id

    def _echo(self, scope: int | None, command: dict[str, Any]) -> dict[str, Any]:
        kind = command.get("type", 1)
        command_id = self.s.command_ids.setdefault((scope, kind, command["name"]), p.new_id())
        echoed = copy.deepcopy(command)
        echoed.update(
            id=str(command_id),
            application_id=str(self.s.application_id),
            version=str(p.new_id()),
            type=kind,
            description=command.get("description", ""),
            default_member_permissions=command.get("default_member_permissions"),
            nsfw=command.get("nsfw", False),
        )
        echoed.setdefault("integration_types", [0])
        if scope is not None:
            echoed["guild_id"] = str(scope)
        return echoed

    async def get_commands(self, call: Call, groups: dict[str, str]) -> Reply:
        return Reply(200, self.s.commands.get(self._scope(groups), []))

    async def put_commands(self, call: Call, groups: dict[str, str]) -> Reply:
        scope = self._scope(groups)
        found = problems(call.json, kind="commands")
        if found:
            raise form_error(found)
        self.s.commands[scope] = [self._echo(scope, c) for c in call.json]
        return Reply(200, self.s.commands[scope])

    async def post_command(self, call: Call, groups: dict[str, str]) -> Reply:
        scope = self._scope(groups)
        found = problems([call.json], kind="commands")
        if found:
            raise form_error(found)
        echoed = self._echo(scope, call.json)
        existing = self.s.commands.setdefault(scope, [])
        index = next((i for i, c in enumerate(existing) if c["id"] == echoed["id"]), None)
        if index is None:
            existing.append(echoed)
            return Reply(201, echoed)
        existing[index] = echoed
        return Reply(200, echoed)

    def _command(self, groups: dict[str, str]) -> tuple[list[dict[str, Any]], int]:
        commands = self.s.commands.get(self._scope(groups), [])
        index = next((i for i, c in enumerate(commands) if c["id"] == groups["command_id"]), None)
        if index is None:
            raise Refused(
                404, 10063, "Unknown application command", f"unknown command {groups['command_id']}"
            )
        return commands, index

    async def get_command(self, call: Call, groups: dict[str, str]) -> Reply:
        commands, index = self._command(groups)
        return Reply(200, commands[index])

    async def patch_command(self, call: Call, groups: dict[str, str]) -> Reply:
        commands, index = self._command(groups)
        updated = {**commands[index], **(call.json or {})}
        found = problems([updated], kind="commands")
        if found:
            raise form_error(found)
        commands[index] = self._echo(self._scope(groups), updated)
        return Reply(200, commands[index])

    async def delete_command(self, call: Call, groups: dict[str, str]) -> Reply:
        commands, index = self._command(groups)
        del commands[index]
        return Reply(204)

    # guilds

    def _guild(self, groups: dict[str, str]) -> int:
        guild_id = int(groups["guild_id"])
        if guild_id not in self.s.guilds:
            raise Refused(404, 10004, "Unknown Guild", f"unknown guild {guild_id}")
        return guild_id

    async def get_guild(self, call: Call, groups: dict[str, str]) -> Reply:
        data = self.s.guild_payload(self._guild(groups))
        for key in ("members", "channels", "threads", "presences", "voice_states", "joined_at", "large"):
            data.pop(key, None)
        return Reply(200, data)

    async def get_guild_channels(self, call: Call, groups: dict[str, str]) -> Reply:
        guild = self.s.guilds[self._guild(groups)]
        return Reply(200, [self.s.channels[c] for c in guild.channel_ids])

    async def get_guild_roles(self, call: Call, groups: dict[str, str]) -> Reply:
        return Reply(200, self.s.guilds[self._guild(groups)].roles)

    async def get_member(self, call: Call, groups: dict[str, str]) -> Reply:
        guild = self.s.guilds[self._guild(groups)]
        member = guild.members.get(int(groups["user_id"]))
        if member is None:
            raise Refused(404, 10007, "Unknown Member", f"user {groups['user_id']} is not a member")
        return Reply(200, member)
