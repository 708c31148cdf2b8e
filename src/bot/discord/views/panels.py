"""Views for compare and positions answers, and the confirmation prompt."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import discord

from bot.answer.types import CompareAnswer, PositionsAnswer
from bot.discord.host import Host
from bot.discord.render import answers as render
from bot.discord.render.limits import CONTENT, button_label, truncate
from bot.discord.replies import NO_MENTIONS, send, send_text
from bot.discord.views.base import ActionButton, TimedView, delete_answer

MAX_AUTHOR_BUTTONS = 20  # four rows of five; the fifth row holds 🗑


class CompareView(TimedView):
    """Copy the citations of both sides; delete."""

    def __init__(
        self,
        client: Host,
        origin: discord.Interaction,
        owner_id: int,
        answer: CompareAnswer,
        *,
        visibility: render.Visibility,
    ) -> None:
        super().__init__(client, origin, owner_id)
        self.answer = answer
        self.button("Copy citations", "cite")
        if visibility == "public":
            self.button("", "delete", emoji="🗑️", style=discord.ButtonStyle.danger)

    async def on_cite(self, interaction: discord.Interaction) -> None:
        """Every quoted passage's citation, privately."""
        quotes = [*self.answer.a.passages, *self.answer.b.passages]
        text = "\n\n".join(render.citation(q) for q in quotes) or "Neither side has a passage on this topic."
        await send_text(interaction, truncate(text, CONTENT), ephemeral=True)

    async def on_delete(self, interaction: discord.Interaction) -> None:
        """🗑 for the asker and moderators."""
        await delete_answer(self, interaction)


class PositionsView(TimedView):
    """One button per author to expand their passage."""

    def __init__(
        self,
        client: Host,
        origin: discord.Interaction,
        owner_id: int,
        answer: PositionsAnswer,
        *,
        visibility: render.Visibility,
        personal: bool = False,
    ) -> None:
        super().__init__(client, origin, owner_id)
        self.answer, self.visibility, self.personal = answer, visibility, personal
        self.expanded: int | None = None
        for i, position in enumerate(answer.positions[:MAX_AUTHOR_BUTTONS]):
            if position.passage is None:
                continue
            button = ActionButton(
                self._expander(i),
                label=button_label(position.author),
                style=discord.ButtonStyle.secondary,
                custom_id=self.custom_id(f"expand{i}"),
                row=min(i // 5, 3),
            )
            self.add_item(button)
        if visibility == "public" and not personal:
            self.button("", "delete", emoji="🗑️", style=discord.ButtonStyle.danger, row=4)

    def page(self) -> render.Rendered:
        """The map of positions, with the expanded one in full."""
        return render.positions(self.answer, visibility=self.visibility, expanded=self.expanded)

    def _expander(self, index: int) -> Callable[[discord.Interaction], Awaitable[None]]:
        async def expand(interaction: discord.Interaction) -> None:
            if self.personal or interaction.user.id == self.owner_id:
                self.expanded = index
                page = self.page()
                await interaction.response.edit_message(
                    content=page.content or None, embeds=page.embeds, view=self, allowed_mentions=NO_MENTIONS
                )
                return
            copy = PositionsView(
                self.client,
                interaction,
                interaction.user.id,
                self.answer,
                visibility="ephemeral",
                personal=True,
            )
            copy.expanded = index
            await send(interaction, copy.page(), ephemeral=True, view=copy)
            copy.register()

        return expand

    async def on_delete(self, interaction: discord.Interaction) -> None:
        """🗑 for the asker and moderators."""
        await delete_answer(self, interaction)


class ConfirmView(TimedView):
    """Confirm or cancel a destructive action (private to one member)."""

    def __init__(
        self,
        client: Host,
        origin: discord.Interaction,
        owner_id: int,
        action: Callable[[discord.Interaction], Awaitable[str]],
        *,
        confirm_label: str = "Confirm",
    ) -> None:
        super().__init__(client, origin, owner_id)
        self.action = action
        self.button(confirm_label, "confirm", style=discord.ButtonStyle.danger)
        self.button("Cancel", "cancel")

    async def on_confirm(self, interaction: discord.Interaction) -> None:
        """Run the action and say what happened."""
        self.stop()
        text = await self.action(interaction)
        await interaction.response.edit_message(content=text, view=None, allowed_mentions=NO_MENTIONS)

    async def on_cancel(self, interaction: discord.Interaction) -> None:
        """Do nothing."""
        self.stop()
        await interaction.response.edit_message(content="Cancelled: nothing was deleted.", view=None)
