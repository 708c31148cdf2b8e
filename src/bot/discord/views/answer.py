"""The buttons under a who-said answer: pages, context, citation, why, feedback, share and delete.

On a public answer only the asker's presses change the shared message; anyone else who presses
Previous/Next gets a private copy to page through, so nobody can hijack an answer under discussion.
"""

from __future__ import annotations

import logging

import discord

from bot.answer.types import Quote, WhoSaidAnswer
from bot.core.interactions import Entry
from bot.discord.host import Host
from bot.discord.render import answers as render
from bot.discord.replies import NO_MENTIONS, send, send_text
from bot.discord.views.base import TimedView, delete_answer
from bot.discord.views.feedback import FeedbackView

log = logging.getLogger(__name__)


def shown_quotes(answer: WhoSaidAnswer) -> list[Quote]:
    """The quotes Previous/Next pages through, in the order the answer shows them."""
    return render.pages(answer)


class AnswerView(TimedView):
    """Buttons for one who-said answer message."""

    def __init__(
        self,
        client: Host,
        origin: discord.Interaction,
        owner_id: int,
        answer: WhoSaidAnswer,
        entry: Entry,
        *,
        visibility: render.Visibility,
        index: int = 0,
        personal: bool = False,
        shareable: bool = False,
    ) -> None:
        super().__init__(client, origin, owner_id)
        if entry.row_id is None:
            # The answer's own entry, not yet written: log its verdict and the calibration behind it.
            entry.describe_answer(answer, client.service.app.calibration.id)
        self.answer, self.entry, self.visibility = answer, entry, visibility
        self.index, self.personal = index, personal
        self.quotes = shown_quotes(answer)
        self.prev = self.button("Previous", "prev", emoji="◀️")
        self.next = self.button("Next", "next", emoji="▶️")
        self.context_button = self.button("Show context", "context")
        self.cite = self.button("Copy citation", "cite")
        self.button("Why?", "why", emoji="❔")
        self.button("", "up", emoji="👍", row=1)
        self.button("", "down", emoji="👎", row=1)
        if shareable:
            self.share = self.button("Share in channel", "share", style=discord.ButtonStyle.primary, row=1)
        if visibility == "public" and not personal:
            self.button("", "delete", emoji="🗑️", style=discord.ButtonStyle.danger, row=1)
        self._sync_buttons()

    def _sync_buttons(self) -> None:
        self.prev.disabled = self.index <= 0
        self.next.disabled = self.index >= len(self.quotes) - 1
        self.context_button.disabled = self.cite.disabled = not self.quotes

    def page(self) -> render.Rendered:
        """The message for the current index."""
        return render.who_said(self.answer, self.index, visibility=self.visibility)

    @property
    def quote(self) -> Quote | None:
        """The quote on screen, if any."""
        return self.quotes[self.index] if self.quotes else None

    def _mine(self, interaction: discord.Interaction) -> bool:
        return self.personal or interaction.user.id == self.owner_id

    async def _log(self, interaction: discord.Interaction, action: str) -> None:
        entry = self.client.recorder.new_entry(
            f"button_{action}", {"answer": self.entry.row_id, "index": self.index}
        )
        entry.passage_ids = [self.quote.passage_id] if self.quote else []
        await self.client.recorder.write(interaction, entry, started=None)

    async def _move(self, interaction: discord.Interaction, step: int) -> None:
        index = min(max(self.index + step, 0), max(len(self.quotes) - 1, 0))
        if self._mine(interaction):
            self.index = index
            self._sync_buttons()
            page = self.page()
            await interaction.response.edit_message(
                content=page.content or None, embeds=page.embeds, view=self, allowed_mentions=NO_MENTIONS
            )
        else:
            # Someone else browsing a public answer: a private copy, theirs to page through.
            copy = AnswerView(
                self.client,
                interaction,
                interaction.user.id,
                self.answer,
                self.entry,
                visibility="ephemeral",
                index=index,
                personal=True,
            )
            await send(interaction, copy.page(), ephemeral=True, view=copy)
            copy.register()
        await self._log(interaction, "next" if step > 0 else "prev")

    async def on_prev(self, interaction: discord.Interaction) -> None:
        """Previous result."""
        await self._move(interaction, -1)

    async def on_next(self, interaction: discord.Interaction) -> None:
        """Next result."""
        await self._move(interaction, +1)

    async def on_context(self, interaction: discord.Interaction) -> None:
        """The surrounding paragraph, privately."""
        if self.quote is not None:
            await send(interaction, render.context(self.quote), ephemeral=True)
            await self._log(interaction, "context")

    async def on_cite(self, interaction: discord.Interaction) -> None:
        """A plain-text citation, privately, ready to paste."""
        if self.quote is not None:
            # The citation ends with a bare URL: no link preview under it.
            await send_text(interaction, render.citation(self.quote), ephemeral=True, suppress_embeds=True)
            await self._log(interaction, "citation")

    async def on_why(self, interaction: discord.Interaction) -> None:
        """Privately: the cue the verifier used (negation, number, …) or how plainly it is said."""
        await send(interaction, render.why(self.answer, self.quote), ephemeral=True)
        await self._log(interaction, "why")

    async def on_up(self, interaction: discord.Interaction) -> None:
        """👍: counted once per member (a later vote replaces it)."""
        first = await self.client.recorder.vote(
            self.entry, interaction.user.id, 1, passage_id=self.quote.passage_id if self.quote else None
        )
        await send_text(interaction, "Thanks for the feedback!" if first else "Updated your feedback: 👍")

    async def on_down(self, interaction: discord.Interaction) -> None:
        """👎: ask why, with a select only the presser sees."""
        view = FeedbackView(self.client, interaction, interaction.user.id, self.entry, self.quote)
        await interaction.response.send_message(
            "What is wrong with this answer?", view=view, ephemeral=True, allowed_mentions=NO_MENTIONS
        )
        view.register()

    async def on_share(self, interaction: discord.Interaction) -> None:
        """Post this private answer publicly in the channel, as the member chose to."""
        public = AnswerView(
            self.client,
            interaction,
            self.owner_id,
            self.answer,
            self.entry,
            visibility="public",
            index=self.index,
        )
        page = public.page()
        message_id = await send(interaction, page, ephemeral=False, view=public)
        public.register(message_id)
        self.share.disabled = True
        self.share.label = "Shared"
        try:
            await self.origin.edit_original_response(view=self, allowed_mentions=NO_MENTIONS)
        except discord.HTTPException as exc:
            log.debug("could not mark the private answer as shared: %s", exc)
        # Logged like an answer (question, passages, message), so that moderators can moderate
        # and correct the public copy too.
        options = {"answer": self.entry.row_id, **{k: self.entry.options.get(k) for k in ("query", "author")}}
        shared = self.client.recorder.new_entry("button_share", options)
        shared.describe_answer(self.answer, self.client.service.app.calibration.id)
        shared.passage_ids = [q.passage_id for q in self.quotes]
        shared.message_id = message_id
        await self.client.recorder.write(interaction, shared, started=None)

    async def on_delete(self, interaction: discord.Interaction) -> None:
        """🗑: the asker or a moderator removes the answer."""
        await delete_answer(self, interaction)
        await self._log(interaction, "delete")

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        """Every press is answered; refusals are raised from the callbacks with a reason."""
        return True
