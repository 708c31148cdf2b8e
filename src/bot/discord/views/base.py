"""Views that expire on the injectable clock, disable their buttons when they do, and know their owner.

discord.py's own view timeout runs on the event loop's clock, which tests cannot move. Here every view
has an expiry time on ``client.clock`` and a registry reaps expired views: it disables the buttons
(one PATCH through the interaction that created the message, whose token outlives the view) and
stops the view. Custom ids carry the view's key, so a press on an expired view is recognised and
answered instead of failing silently.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Coroutine, Generator
from typing import TYPE_CHECKING, Any, cast

import discord

from bot.discord.render.answers import Rendered, page_count
from bot.discord.replies import NO_MENTIONS, send_error

if TYPE_CHECKING:
    from bot.discord.client import EssaybotClient

log = logging.getLogger(__name__)

PREFIX = "eb"
EXPIRED = "These buttons have expired. Ask again to get fresh ones."


Handler = Callable[[discord.Interaction], Awaitable[None]]


class ActionButton(discord.ui.Button["TimedView"]):
    """A button that calls a given coroutine function when pressed."""

    def __init__(self, handler: Handler, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.handler = handler

    async def callback(self, interaction: discord.Interaction) -> None:
        """Run the handler."""
        await self.handler(interaction)


class TimedView(discord.ui.View):
    """A view owned by one member, expiring ``view_timeout_seconds`` after it was created."""

    def __init__(self, client: EssaybotClient, origin: discord.Interaction, owner_id: int) -> None:
        super().__init__(timeout=None)
        self.client, self.origin, self.owner_id = client, origin, owner_id
        self.key = secrets.token_hex(6)
        self.expires_at = client.clock() + client.settings.discord.view_timeout_seconds
        self.expired = False
        self.message_id: int | None = None  # the message carrying the view, when known

    def custom_id(self, action: str) -> str:
        """A custom id that names this view, so presses after expiry are recognised."""
        return f"{PREFIX}:{self.key}:{action}"

    def button(
        self,
        label: str,
        action: str,
        *,
        emoji: str | None = None,
        style: discord.ButtonStyle | None = None,
        row: int = 0,
    ) -> ActionButton:
        """Add a button whose callback is the method ``on_<action>``."""
        button = ActionButton(
            getattr(self, f"on_{action}"),
            label=label or None,
            emoji=emoji,
            style=style or discord.ButtonStyle.secondary,
            custom_id=self.custom_id(action),
            row=row,
        )
        self.add_item(button)
        return button

    def stop(self) -> None:
        """Stop listening; a view stopped by its own action (not by expiry) is not "expired"."""
        super().stop()
        if not self.expired:
            self.client.views.finished(self.key)

    def register(self, message_id: int | None = None) -> None:
        """Start the expiry countdown (call once the message carrying the view exists)."""
        self.message_id = message_id
        self.client.views.add(self)

    async def expire(self) -> None:
        """Disable every component and stop listening."""
        if self.expired:
            return
        self.expired = True
        for item in self.children:
            if isinstance(item, discord.ui.Button | discord.ui.Select):
                item.disabled = True
        self.stop()
        try:
            await self.origin.edit_original_response(view=self, allowed_mentions=NO_MENTIONS)
        except discord.HTTPException as exc:
            # Deleted message or dead token: nothing to disable any more.
            log.debug("could not disable an expired view: %s", exc)

    async def on_error(
        self, interaction: discord.Interaction, error: Exception, item: discord.ui.Item[Any]
    ) -> None:
        """Same handling as command errors: short private message, logged with an id when unexpected."""
        from bot.discord.tree import report_error

        await report_error(interaction, error)


class PagedView(TimedView):
    """Previous/Next through ``n_items`` shown ``per_page`` at a time; subclasses render ``page()``."""

    def __init__(
        self, client: EssaybotClient, origin: discord.Interaction, owner_id: int, n_items: int, per_page: int
    ) -> None:
        super().__init__(client, origin, owner_id)
        self.page_no = 0
        self.pages = page_count(n_items, per_page)
        self.prev = self.button("Previous", "prev", emoji="◀️")
        self.next = self.button("Next", "next", emoji="▶️")
        self._sync_pages()

    def page(self) -> Rendered:
        """The message for the current page."""
        raise NotImplementedError

    def _sync_pages(self) -> None:
        self.prev.disabled = self.page_no <= 0
        self.next.disabled = self.page_no >= self.pages - 1

    async def _move(self, interaction: discord.Interaction, step: int) -> None:
        self.page_no = min(max(self.page_no + step, 0), self.pages - 1)
        self._sync_pages()
        page = self.page()
        await interaction.response.edit_message(
            content=page.content or None, embeds=page.embeds, view=self, allowed_mentions=NO_MENTIONS
        )

    async def on_prev(self, interaction: discord.Interaction) -> None:
        """Previous page."""
        await self._move(interaction, -1)

    async def on_next(self, interaction: discord.Interaction) -> None:
        """Next page."""
        await self._move(interaction, +1)


class ViewRegistry:
    """Live views by key; ``reap()`` expires those whose time has come."""

    def __init__(self, client: EssaybotClient) -> None:
        self.client = client
        self._views: dict[str, TimedView] = {}
        # Views that ended through their own action (deleted answer, confirmed prompt). A press that
        # races with that ending is theirs to answer, not ours to call "expired".
        self._finished: OrderedDict[str, None] = OrderedDict()

    def finished(self, key: str) -> None:
        """Remember a view that stopped itself."""
        self._finished[key] = None
        while len(self._finished) > 10_000:
            self._finished.popitem(last=False)

    def add(self, view: TimedView) -> None:
        """Track a view until it expires or stops."""
        self._views[view.key] = view

    def is_live(self, key: str) -> bool:
        """Whether a view with this key still listens, or ended by its own action."""
        view = self._views.get(key)
        return (view is not None and not view.is_finished()) or key in self._finished

    async def reap(self) -> int:
        """Expire every view past its time; how many were expired."""
        now = self.client.clock()
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


class _Verdict:
    """An awaitable yes/no that refuses to be used as a bool without ``await``.

    A forgotten ``await`` on a plain coroutine would be truthy, so ``if not is_moderator(i)`` would
    let everyone through; this fails closed (TypeError) instead.
    """

    def __init__(self, coro: Coroutine[Any, Any, bool]) -> None:
        self._coro = coro

    def __await__(self) -> Generator[Any, None, bool]:
        return self._coro.__await__()

    def __bool__(self) -> bool:
        self._coro.close()
        raise TypeError("is_moderator() must be awaited")


def is_moderator(interaction: discord.Interaction) -> Awaitable[bool]:
    """Manage Messages (or Manage Server) here, or one of the guild's moderator roles; await it.

    The moderator roles are the guild's effective setting (``/settings``), so they apply at once.
    Manage Server counts because whoever has it can make themselves a moderator in ``/settings``.
    """
    return _Verdict(_is_moderator(interaction))


async def _is_moderator(interaction: discord.Interaction) -> bool:
    if interaction.guild_id is None:
        return False
    perms = interaction.permissions
    if perms.manage_messages or perms.manage_guild:
        return True
    client: EssaybotClient = interaction.client  # type: ignore[assignment]
    roles = set((await client.guild_settings(interaction.guild_id)).moderator_role_ids)
    member_roles = getattr(interaction.user, "roles", [])
    return any(role.id in roles for role in member_roles)


async def delete_answer(view: TimedView, interaction: discord.Interaction) -> None:
    """🗑: the asker or a moderator removes a public answer; anyone else is told why not."""
    from bot.discord.tree import NotOwner

    if interaction.user.id != view.owner_id and not await is_moderator(interaction):
        raise NotOwner("Only the member who asked, or a moderator, can delete this answer.")
    await interaction.response.defer()
    await interaction.delete_original_response()
    view.stop()
