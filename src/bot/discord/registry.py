"""The live views of the bot, by key: expiry on the injectable clock, and presses on expired buttons.

discord.py's own view timeout runs on the event loop's clock, which tests cannot move. Here every view
has an expiry time on the client's clock and the registry reaps expired views: it disables the buttons
(one PATCH through the interaction that created the message, whose token outlives the view) and stops
the view. Custom ids carry the view's key (``eb:<key>:<action>``), so a press on an expired view is
recognised and answered instead of failing silently.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any, Protocol, cast

import discord

from bot.discord.clock import Clock
from bot.discord.replies import send_error

PREFIX = "eb"
EXPIRED = "These buttons have expired. Ask again to get fresh ones."


class Expiring(Protocol):
    """What the registry needs of a view (``views.base.TimedView`` is one)."""

    key: str
    expires_at: float
    message_id: int | None

    @property
    def children(self) -> Sequence[discord.ui.Item[Any]]:
        """The view's components."""
        ...

    def is_finished(self) -> bool:
        """Whether the view stopped listening."""
        ...

    def stop(self) -> None:
        """Stop listening."""
        ...

    async def expire(self) -> None:
        """Disable every component and stop listening."""
        ...


class ViewRegistry:
    """Live views by key; ``reap()`` expires those whose time has come."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._views: dict[str, Expiring] = {}
        # Views that ended through their own action (deleted answer, confirmed prompt). A press that
        # races with that ending is theirs to answer, not ours to call "expired".
        self._finished: OrderedDict[str, None] = OrderedDict()

    def finished(self, key: str) -> None:
        """Remember a view that stopped itself."""
        self._finished[key] = None
        while len(self._finished) > 10_000:
            self._finished.popitem(last=False)

    def add(self, view: Expiring) -> None:
        """Track a view until it expires or stops."""
        self._views[view.key] = view

    def is_live(self, key: str) -> bool:
        """Whether a view with this key still listens, or ended by its own action."""
        view = self._views.get(key)
        return (view is not None and not view.is_finished()) or key in self._finished

    async def reap(self) -> int:
        """Expire every view past its time; how many were expired."""
        now = self.clock()
        self._forget_stopped()
        due = [v for v in self._views.values() if v.expires_at <= now]
        for view in due:
            del self._views[view.key]
        await asyncio.gather(*(view.expire() for view in due))
        return len(due)

    async def expire_all(self) -> None:
        """On shutdown: leave no live-looking buttons behind."""
        self._forget_stopped()
        views, self._views = list(self._views.values()), {}
        await asyncio.gather(*(view.expire() for view in views), return_exceptions=True)

    def stop_message(self, message_id: int) -> int:
        """Stop the live views on one message (e.g. a corrected answer); how many were stopped."""
        stopped = 0
        for view in list(self._views.values()):
            if view.message_id == message_id and not view.is_finished():
                view.stop()
                stopped += 1
        return stopped

    def _forget_stopped(self) -> None:
        # A stopped view's message was deleted or already has its final components.
        for key, view in list(self._views.items()):
            if view.is_finished():
                del self._views[key]

    def handles(self, custom_id: str) -> bool:
        """Whether a live view (or one that ended by its own action) answers a press on ``custom_id``."""
        parts = custom_id.split(":")
        if len(parts) != 3 or parts[0] != PREFIX:
            return False
        if parts[1] in self._finished:
            return True
        view = self._views.get(parts[1])
        if view is None or view.is_finished():
            return False
        return any(getattr(item, "custom_id", None) == custom_id for item in view.children)

    async def answer_stale_press(self, interaction: discord.Interaction) -> bool:
        """Answer a press no live view of ours takes; True when handled.

        That is a press on an expired view, and also on a component whose custom id is not ours at
        all (``eb:<key>:<action>``): a message from an older version of the bot, or a forged one.
        Unanswered, Discord would show the member "This interaction failed".
        """
        if interaction.type is not discord.InteractionType.component:
            return False
        data = cast(dict[str, Any], interaction.data or {})
        if self.handles(str(data.get("custom_id", ""))):
            return False
        await send_error(interaction, EXPIRED)
        return True
