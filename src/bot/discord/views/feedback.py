"""👎 feedback: a select for the reason, stored against the logged interaction.

Two reasons are about the verdict itself rather than the passage: "An essay does say this" (a modal
asks which) and "It doesn't say this / says the opposite". They reach /review grouped by question.
"""

from __future__ import annotations

from typing import Any

import discord

from bot.answer.types import Quote
from bot.core.interactions import Entry
from bot.discord.actions.report_notice import watch_reports
from bot.discord.context import Context
from bot.discord.host import Host
from bot.discord.render.reports import REASONS
from bot.discord.replies import NO_MENTIONS
from bot.discord.views.base import ActionSelect, ReportingModal, TimedView

WHICH_CHARS = 300  # bot.store.feedback.MAX_DETAIL_CHARS


class WhichEssayModal(ReportingModal, title="Which essay says this?"):
    """A short text field for the essay (or words of it) that does say what was asked."""

    def __init__(self, view: FeedbackView) -> None:
        super().__init__()
        self.view = view
        self.which: discord.ui.TextInput[Any] = discord.ui.TextInput(
            label="Essay, author or words (optional)",
            required=False,
            max_length=WHICH_CHARS,
            placeholder="e.g. Ashley Smith, on sanctions",
        )
        self.add_item(self.which)

    async def on_submit(self, interaction: discord.Interaction) -> None:
        """Store the 👎 with the member's words."""
        await self.view.record(interaction, "essay_says_it", self.which.value)


class FeedbackView(TimedView):
    """Private to the member who pressed 👎."""

    def __init__(
        self,
        client: Host,
        origin: discord.Interaction,
        owner_id: int,
        entry: Entry,
        quote: Quote | None,
    ) -> None:
        super().__init__(client, origin, owner_id)
        self.entry, self.quote = entry, quote
        self.reason = ActionSelect(
            self.on_reason,
            custom_id=self.custom_id("reason"),
            placeholder="Pick a reason",
            options=[
                discord.SelectOption(label=label, value=value, description=description)
                for value, (label, description) in REASONS.items()
            ],
        )
        self.add_item(self.reason)

    async def on_reason(self, interaction: discord.Interaction) -> None:
        """Store the 👎 with its reason (first asking which essay, for "an essay does say this")."""
        value = self.reason.values[0]
        if value == "essay_says_it":
            await interaction.response.send_modal(WhichEssayModal(self))
            return
        await self.record(interaction, value, None)

    async def record(self, interaction: discord.Interaction, value: str, detail: str | None) -> None:
        """Store the vote and thank the member, in place of the reason select."""
        passage_id = self.quote.passage_id if self.quote else None
        # A 👎 that brings the passage to the guild's review threshold is announced in the mod-log.
        async with watch_reports(Context.of(interaction), passage_id):
            first = await self.client.recorder.vote(
                self.entry, interaction.user.id, -1, reason=value, passage_id=passage_id, detail=detail
            )
        label = REASONS[value][0].lower()
        text = f"Thanks: recorded 👎 ({label}). Moderators review these reports."
        if not first:
            text = f"Updated your feedback: 👎 ({label})."
        self.stop()
        if interaction.message is not None:
            await interaction.response.edit_message(content=text, view=None, allowed_mentions=NO_MENTIONS)
        else:
            await interaction.response.send_message(text, ephemeral=True, allowed_mentions=NO_MENTIONS)
