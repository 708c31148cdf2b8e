"""The review queue panel: Hide, Fix attribution and Dismiss on the passages members reported with 👎.

The panel is private to the moderator who opened it and shows one reported passage at a time; every
button re-checks that the presser is still a moderator, since roles can change while it is open.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import discord
from sqlalchemy.orm import Session

from bot.curation.passages import PassageOverrides
from bot.curation.review import ReviewItem, ReviewQueue, VerdictReport
from bot.discord.actions import modlog
from bot.discord.checks import is_moderator
from bot.discord.context import GuildScope
from bot.discord.errors import NotModerator
from bot.discord.host import Host
from bot.discord.render.answers import Rendered
from bot.discord.render.markdown import escape
from bot.discord.render.reports import excerpt, queue_page, reasons_text, source
from bot.discord.replies import NO_MENTIONS
from bot.discord.views.base import ReportingModal, TimedView
from bot.store.models import SPEAKER_ROLES

T = TypeVar("T")

CLEAR_ROLE = "clear"
ROLE_LABELS = {
    "own": "The essay's own authors",
    "quoted": "Quoted: the speaker below",
    "reported view": "A view the authors report or reject",
    "editors' introduction": "Editors' introduction: the speaker below",
    CLEAR_ROLE: "Remove the fix: the detector decides",
}


async def load_queue(scope: GuildScope) -> tuple[list[ReviewItem], list[VerdictReport]]:
    """The server's reported passages and its reports about verdicts, read on a worker thread."""
    gid = scope.gid
    return await scope.db(lambda s: ReviewQueue(s, gid).contents())


class ReviewView(TimedView):
    """Previous/Next through the queue; Hide, Fix attribution and Dismiss on the passage shown."""

    def __init__(
        self,
        client: Host,
        origin: discord.Interaction,
        owner_id: int,
        items: list[ReviewItem],
        verdicts: list[VerdictReport],
    ) -> None:
        super().__init__(client, origin, owner_id)
        self.items, self.verdicts, self.index = items, verdicts, 0
        self.prev = self.button("Previous", "prev", emoji="◀️")
        self.next = self.button("Next", "next", emoji="▶️")
        self.hide = self.button("Hide passage", "hide", emoji="🙈", style=discord.ButtonStyle.danger, row=1)
        self.fix = self.button("Fix attribution", "fix", emoji="✏️", style=discord.ButtonStyle.primary, row=1)
        self.dismiss = self.button("Dismiss", "dismiss", emoji="✅", row=1)
        self._sync()

    @property
    def item(self) -> ReviewItem | None:
        """The passage shown."""
        return self.items[self.index] if self.items else None

    def _sync(self) -> None:
        self.index = max(0, min(self.index, len(self.items) - 1))
        self.prev.disabled = self.index <= 0
        self.next.disabled = self.index >= len(self.items) - 1
        for button in (self.hide, self.fix, self.dismiss):
            button.disabled = not self.items

    def page(self, status: str = "") -> Rendered:
        """The panel as it stands."""
        return queue_page(self.items, self.index, status, self.verdicts)

    async def show(self, interaction: discord.Interaction, status: str = "") -> None:
        """Redraw the panel in place (a button press or a modal submitted from it)."""
        self._sync()
        page = self.page(status)
        await interaction.response.edit_message(
            content=page.content, embeds=page.embeds, view=self, allowed_mentions=NO_MENTIONS
        )

    async def reload(self) -> None:
        """Fetch the queue again, staying on the same passage when it is still there."""
        current = self.item.passage_id if self.item else None
        self.items, self.verdicts = await load_queue(self.scope)
        ids = [i.passage_id for i in self.items]
        if current in ids:
            self.index = ids.index(current)

    async def _moderator(self, interaction: discord.Interaction) -> ReviewItem:
        if not await is_moderator(interaction):
            raise NotModerator("The review queue")
        item = self.item
        assert item is not None  # the action buttons are disabled on an empty queue
        return item

    async def _act(self, action: Callable[[Session, str], T]) -> T:
        """Run a curation change for this guild in one transaction, on a worker thread."""
        gid = self.scope.gid
        return await self.scope.db(lambda session: action(session, gid))

    async def on_prev(self, interaction: discord.Interaction) -> None:
        """Previous passage."""
        self.index -= 1
        await self.show(interaction)

    async def on_next(self, interaction: discord.Interaction) -> None:
        """Next passage."""
        self.index += 1
        await self.show(interaction)

    async def on_hide(self, interaction: discord.Interaction) -> None:
        """Hide the passage from this server's answers; it leaves the queue."""
        item = await self._moderator(interaction)
        actor = str(interaction.user.id)
        changed = await self._act(lambda s, g: PassageOverrides(s, g).hide(item.passage_id, actor=actor))
        await self.reload()
        await self.show(interaction, f"🙈 Hidden from answers: {excerpt(item, 100)}")
        if changed:
            await modlog.post(
                self.scope,
                f"🙈 <@{actor}> hid passage `{item.passage_id}` from answers (review queue, "
                f"{item.reports} 👎): {excerpt(item)} in {source(item)}",
            )

    async def on_fix(self, interaction: discord.Interaction) -> None:
        """Ask who really speaks in the passage."""
        item = await self._moderator(interaction)
        await interaction.response.send_modal(AttributionModal(self, item))

    async def on_dismiss(self, interaction: discord.Interaction) -> None:
        """Close the reports: the passage returns only if members report it again."""
        item = await self._moderator(interaction)
        actor = str(interaction.user.id)
        entry = await self._act(lambda s, g: ReviewQueue(s, g).dismiss(item.passage_id, actor=actor))
        await self.reload()
        await self.show(
            interaction, f"✅ Dismissed {item.reports} 👎 on {excerpt(item, 100)} (audit #{entry.id})."
        )
        await modlog.post(
            self.scope,
            f"✅ <@{actor}> dismissed {item.reports} 👎 report{'s' if item.reports != 1 else ''} "
            f"({escape(reasons_text(item))}) on passage `{item.passage_id}`: "
            f"{excerpt(item)} in {source(item)}",
        )


class AttributionModal(ReportingModal, title="Fix the attribution"):
    """Speaker and role of the passage shown in the review panel."""

    def __init__(self, view: ReviewView, item: ReviewItem) -> None:
        super().__init__()
        self.view, self.item = view, item
        speaker, role = item.override or (None, None)
        self.speaker: discord.ui.TextInput[Any] = discord.ui.TextInput(
            custom_id="speaker", required=False, max_length=200, default=speaker or None
        )
        self.role: discord.ui.Select[Any] = discord.ui.Select(
            custom_id="role",
            options=[
                discord.SelectOption(label=label, value=value, default=value == role)
                for value, label in ROLE_LABELS.items()
            ],
        )
        self.add_item(
            discord.ui.Label(
                text="Speaker",
                description="Who says these words (not needed for own words)",
                component=self.speaker,
            )
        )
        self.add_item(discord.ui.Label(text="Whose words are these?", component=self.role))

    async def on_submit(self, interaction: discord.Interaction) -> None:
        """Store the override (audited), redraw the panel and tell the mod-log."""
        if not await is_moderator(interaction):
            raise NotModerator("Fixing an attribution")
        choice = self.role.values[0] if self.role.values else CLEAR_ROLE
        role = None if choice == CLEAR_ROLE else choice
        assert role is None or role in SPEAKER_ROLES
        speaker = self.speaker.value.strip() or None
        actor, pid = str(interaction.user.id), self.item.passage_id
        changed = await self.view._act(
            lambda s, g: PassageOverrides(s, g).attribute(pid, speaker, role, actor=actor)
        )
        await self.view.reload()
        said = "removed the attribution fix" if role is None else f"{escape(speaker or '')} ({role})".strip()
        status = f"✏️ Attribution: {said}." if changed else "Nothing changed: that is the attribution already."
        await self.view.show(interaction, status)
        if changed:
            await modlog.post(
                self.view.scope,
                f"✏️ <@{actor}> fixed the attribution of passage `{pid}`: {said}. "
                f"{excerpt(self.item)} in {source(self.item)}",
            )
