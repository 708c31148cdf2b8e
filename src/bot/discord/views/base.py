"""Views that expire on the injectable clock, disable their buttons when they do, and know their owner.

Every view has an expiry time on ``client.clock``; ``registry.ViewRegistry`` reaps expired views and
answers presses on them. Errors in views and modals are answered like command errors.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Generic, TypeVar

import discord

from bot.discord.checks import is_moderator
from bot.discord.context import GuildScope
from bot.discord.errors import NotOwner, report_error
from bot.discord.host import Host
from bot.discord.registry import PREFIX
from bot.discord.render.answers import Rendered, page_count
from bot.discord.replies import NO_MENTIONS

log = logging.getLogger(__name__)
T = TypeVar("T")


Handler = Callable[[discord.Interaction], Awaitable[None]]


class ActionButton(discord.ui.Button["TimedView"]):
    """A button that calls a given coroutine function when pressed."""

    def __init__(self, handler: Handler, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.callback = handler  # type: ignore[method-assign,assignment]


class ActionSelect(discord.ui.Select["TimedView"]):
    """A select that calls a given coroutine function when a choice is made."""

    def __init__(self, handler: Handler, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.callback = handler  # type: ignore[method-assign,assignment]


class ReportingModal(discord.ui.Modal):
    """A modal whose errors are answered like command errors: privately, with a reason."""

    async def on_error(self, interaction: discord.Interaction, error: Exception) -> None:  # type: ignore[override]
        """Same handling as commands."""
        await report_error(interaction, error)


class TimedView(discord.ui.View):
    """A view owned by one member, expiring ``view_timeout_seconds`` after it was created."""

    def __init__(self, client: Host, origin: discord.Interaction, owner_id: int) -> None:
        super().__init__(timeout=None)
        self.client, self.origin, self.owner_id = client, origin, owner_id
        self.key = secrets.token_hex(6)
        self.expires_at = client.clock() + client.settings.discord.view_timeout_seconds
        self.expired = False
        self.message_id: int | None = None  # the message carrying the view, when known

    @property
    def scope(self) -> GuildScope:
        """The server the view's message is in: its app and database."""
        return GuildScope(self.client, self.origin.guild_id)

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
        await report_error(interaction, error)


class PagedView(TimedView, Generic[T]):
    """Previous/Next through ``items`` shown ``per_page`` at a time; ``render(items, page)`` draws a page."""

    def __init__(
        self,
        client: Host,
        origin: discord.Interaction,
        owner_id: int,
        items: Sequence[T],
        per_page: int,
        render: Callable[[Sequence[T], int], Rendered],
    ) -> None:
        super().__init__(client, origin, owner_id)
        self.items, self.render, self.page_no = list(items), render, 0
        self.pages = page_count(len(self.items), per_page)
        self.prev = self.button("Previous", "prev", emoji="◀️")
        self.next = self.button("Next", "next", emoji="▶️")
        self._sync_pages()

    def page(self) -> Rendered:
        """The message for the current page."""
        return self.render(self.items, self.page_no)

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


async def delete_answer(view: TimedView, interaction: discord.Interaction) -> None:
    """🗑: the asker or a moderator removes a public answer; anyone else is told why not."""
    if interaction.user.id != view.owner_id and not await is_moderator(interaction):
        raise NotOwner("Only the member who asked, or a moderator, can delete this answer.")
    await interaction.response.defer()
    await interaction.delete_original_response()
    view.stop()
