"""Interactions a test can make members perform: slash commands, context menus, clicks, modals."""

from __future__ import annotations

import time
from types import EllipsisType
from typing import Any

from . import building as b
from .models import Interaction, Message
from .validate import SELECT_TYPES
from .world import World

MessageRef = Message | int | dict[str, Any]


class Senders(World):
    """What members do: each action sends INTERACTION_CREATE and returns an :class:`Interaction` handle."""

    async def slash(
        self,
        user_id: int,
        name: str,
        options: dict[str, Any] | None = None,
        *,
        guild_id: int | None,
        channel_id: int,
        subcommand: str | None = None,
        command_id: int | None = None,
        deliver: bool = True,
        client_checks: bool = True,
    ) -> Interaction:
        """Invoke ``/name`` (``subcommand`` may be "sub" or "group sub").

        Option types come from the synced command definitions when there are some (user, role,
        channel and attachment options then get their ``resolved`` objects), else from the Python
        values. A string over the option's ``max_length`` raises ValueError, as a Discord client
        will not send it; ``client_checks=False`` sends it anyway, as a client holding an older
        definition of the command would. ``deliver=False`` registers the interaction without
        sending it, for raw-HTTP tests.
        """
        definition, scope = b.command_def(self, name, 1, guild_id)
        built, resolved = b.build_options(
            self, definition, options or {}, subcommand, guild_id, client_checks=client_checks
        )
        data = b.command_data(self, name, 1, definition, scope, command_id)
        data["options"] = built
        if resolved:
            data["resolved"] = resolved
        interaction = b.new_interaction(self, 2, user_id, guild_id, channel_id, data)
        return await self._send(interaction, deliver)

    async def message_command(
        self,
        user_id: int,
        name: str,
        target: MessageRef,
        *,
        guild_id: int | None,
        channel_id: int,
    ) -> Interaction:
        """Invoke a message context-menu command on ``target`` (a message object, Message or id)."""
        target_dict = self._message_arg(target).to_dict() if not isinstance(target, dict) else target
        definition, scope = b.command_def(self, name, 3, guild_id)
        data = b.command_data(self, name, 3, definition, scope, None)
        data.update(target_id=target_dict["id"], resolved={"messages": {target_dict["id"]: target_dict}})
        return await self._send(b.new_interaction(self, 2, user_id, guild_id, channel_id, data), True)

    async def user_command(
        self,
        user_id: int,
        name: str,
        target_user_id: int,
        *,
        guild_id: int | None,
        channel_id: int,
    ) -> Interaction:
        """Invoke a user context-menu command on ``target_user_id``."""
        definition, scope = b.command_def(self, name, 2, guild_id)
        data = b.command_data(self, name, 2, definition, scope, None)
        resolved: dict[str, Any] = {}
        b.resolve_user(self, target_user_id, guild_id, resolved)
        data.update(target_id=str(target_user_id), resolved=resolved)
        return await self._send(b.new_interaction(self, 2, user_id, guild_id, channel_id, data), True)

    async def click(
        self, user_id: int, message: MessageRef, custom_id: str, *, force: bool = False
    ) -> Interaction:
        """Press the button ``custom_id`` on ``message`` (a disabled one only with ``force``)."""
        msg, component = self._component(user_id, message, custom_id, force=force)
        if component.get("type") != 2:
            raise ValueError(f"{custom_id!r} is not a button")
        data = {"custom_id": custom_id, "component_type": 2}
        interaction = b.new_interaction(self, 3, user_id, msg.guild_id, msg.channel_id, data, message=msg)
        return await self._send(interaction, True)

    async def select(
        self,
        user_id: int,
        message: MessageRef,
        custom_id: str,
        values: list[str],
        *,
        force: bool = False,
    ) -> Interaction:
        """Choose ``values`` in the select menu ``custom_id`` on ``message``."""
        msg, component = self._component(user_id, message, custom_id, force=force)
        kind = component.get("type")
        if kind not in SELECT_TYPES:
            raise ValueError(f"{custom_id!r} is not a select menu")
        low, high = component.get("min_values", 1), component.get("max_values", 1)
        if not low <= len(values) <= high:
            raise ValueError(f"{len(values)} values chosen; the menu takes {low} to {high}")
        data: dict[str, Any] = {
            "custom_id": custom_id,
            "component_type": kind,
            "values": [str(v) for v in values],
        }
        if kind == 3:
            offered = {o["value"] for o in component.get("options", [])}
            if not set(values) <= offered:
                raise ValueError(f"{sorted(set(values) - offered)} are not options of {custom_id!r}")
        elif kind in (5, 7):
            resolved: dict[str, Any] = {}
            for value in values:
                b.resolve_user(self, int(value), msg.guild_id, resolved)
            data["resolved"] = resolved
        interaction = b.new_interaction(self, 3, user_id, msg.guild_id, msg.channel_id, data, message=msg)
        return await self._send(interaction, True)

    async def submit_modal(
        self,
        user_id: int,
        custom_id: str,
        values: dict[str, Any],
        *,
        guild_id: int | EllipsisType | None = ...,
        channel_id: int | EllipsisType = ...,
        message: MessageRef | None = None,
    ) -> Interaction:
        """Submit the modal ``custom_id`` the bot last showed ``user_id``; ``values`` by input custom_id.

        Inputs left out keep their prefilled value. Guild, channel and message default to those of the
        interaction that opened the modal. Values a Discord client would not let through (over 4000
        characters, over ``max_length``, a required input left empty) raise ValueError.
        """
        opener, modal = self._find_modal(user_id, custom_id)
        components = b.modal_components(modal, values)
        gid = opener.guild_id if isinstance(guild_id, EllipsisType) else guild_id
        cid = opener.channel_id if isinstance(channel_id, EllipsisType) else channel_id
        source = self._message_arg(message) if message is not None else None
        if source is None and opener.source_message_id is not None:
            source = self.find_message(opener.source_message_id)
        data = {"custom_id": custom_id, "components": components}
        interaction = b.new_interaction(self, 5, user_id, gid, cid, data, message=source)
        return await self._send(interaction, True)

    async def autocomplete(
        self,
        user_id: int,
        name: str,
        options: dict[str, Any],
        focused: str,
        *,
        guild_id: int | None,
        channel_id: int,
        subcommand: str | None = None,
        timeout: float = 5.0,
    ) -> list[dict[str, Any]]:
        """Type into option ``focused`` of ``/name``; returns the choices the bot answered."""
        definition, scope = b.command_def(self, name, 1, guild_id)
        built, _ = b.build_options(self, definition, options, subcommand, guild_id, focused=focused)
        data = b.command_data(self, name, 1, definition, scope, None)
        data["options"] = built
        interaction = await self._send(b.new_interaction(self, 4, user_id, guild_id, channel_id, data), True)
        response = await interaction.response(timeout)
        if response.get("type") != 8:
            raise AssertionError(f"autocomplete answered with callback type {response.get('type')}")
        choices: list[dict[str, Any]] = response["data"]["choices"]
        return choices

    # building blocks

    async def _send(self, interaction: Interaction, deliver: bool) -> Interaction:
        self.interactions[interaction.id] = interaction
        self.by_token[interaction.token] = interaction
        if deliver:
            await self.wait_ready()
            interaction.sent_wall = time.perf_counter()
            await self.dispatch("INTERACTION_CREATE", interaction.payload)
        return interaction

    def _message_arg(self, message: MessageRef) -> Message:
        if isinstance(message, Message):
            message_id = message.id
        elif isinstance(message, dict):
            message_id = int(message["id"])
        else:
            message_id = int(message)
        found = self.find_message(message_id)
        if found is None:
            raise LookupError(f"unknown message {message_id}")
        return found

    def _component(
        self, user_id: int, message: MessageRef, custom_id: str, *, force: bool
    ) -> tuple[Message, dict[str, Any]]:
        msg = self._message_arg(message)
        if msg.deleted:
            raise ValueError(f"message {msg.id} was deleted")
        if msg.ephemeral and msg.interaction_id is not None:
            owner = self.interactions[msg.interaction_id].user_id
            if owner != user_id:
                raise ValueError(f"message {msg.id} is ephemeral: only user {owner} sees it")
        component = msg.component(custom_id)
        if component is None:
            raise LookupError(f"no component {custom_id!r} on message {msg.id}; it has {msg.custom_ids()}")
        if component.get("disabled") and not force:
            raise ValueError(f"component {custom_id!r} is disabled")
        return msg, component

    def _find_modal(self, user_id: int, custom_id: str) -> tuple[Interaction, dict[str, Any]]:
        for interaction in reversed(list(self.interactions.values())):
            callback = interaction.callback
            if interaction.user_id != user_id or callback is None or callback["type"] != 9:
                continue
            if callback["data"]["custom_id"] == custom_id:
                return interaction, callback["data"]
        raise LookupError(f"the bot never showed user {user_id} a modal {custom_id!r}")
