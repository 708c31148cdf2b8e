"""/quiz: a curated quote with its attribution hidden, one button per author, and the reveal.

Every member may answer once; a second press gets a private "you already answered". The reveal
(the attribution, the right answer, who got it right) edits the quiz message when the view expires
on the client's clock, or as soon as ``reveal_after`` members have answered.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta

import discord

from bot.curation.quiz import QuizQuestion, RoundResult, guess, reveal
from bot.discord.host import Host
from bot.discord.render import limits
from bot.discord.render.common import Rendered, one_line
from bot.discord.render.community_pages import question_page, reveal_page
from bot.discord.render.markdown import escape
from bot.discord.replies import NO_MENTIONS, send_text
from bot.discord.views.base import ActionButton, TimedView
from bot.store.models import utcnow

log = logging.getLogger(__name__)


class QuizView(TimedView):
    """The author buttons of one round; open to every member of the channel."""

    def __init__(
        self,
        client: Host,
        origin: discord.Interaction,
        owner_id: int,
        question: QuizQuestion,
        *,
        reveal_after: int | None = None,
    ) -> None:
        super().__init__(client, origin, owner_id)
        self.question, self.reveal_after = question, reveal_after
        self.revealed = False
        self.choice_buttons: list[ActionButton] = []
        for i, choice in enumerate(question.choices):
            button = ActionButton(
                self._guesser(i),
                label=limits.truncate(one_line(choice), limits.BUTTON_LABEL, markdown=False),
                style=discord.ButtonStyle.primary,
                custom_id=self.custom_id(f"choice{i}"),
            )
            self.add_item(button)
            self.choice_buttons.append(button)

    @property
    def timeout_minutes(self) -> int:
        """How long the round runs, rounded up to whole minutes."""
        return max(1, -(-int(self.client.settings.discord.view_timeout_seconds) // 60))

    @property
    def duration(self) -> timedelta:
        """How long the round runs."""
        return timedelta(seconds=self.client.settings.discord.view_timeout_seconds)

    def page(self) -> Rendered:
        """The question as first posted."""
        return question_page(self.question, minutes=self.timeout_minutes, reveal_after=self.reveal_after)

    def _guesser(self, index: int) -> Callable[[discord.Interaction], Awaitable[None]]:
        async def press(interaction: discord.Interaction) -> None:
            await self.on_guess(interaction, index)

        return press

    async def on_guess(self, interaction: discord.Interaction, index: int) -> None:
        """Count a member's first press; reveal at once when enough members have answered."""
        round_id, user, now = self.question.round_id, str(interaction.user.id), utcnow()
        outcome = await self.scope.db(lambda s: guess(s, round_id, user, index, now=now))
        picked = escape(one_line(outcome.choice))
        if outcome.over:
            await send_text(interaction, "This quiz is over: the answer is on the message.")
        elif not outcome.accepted:
            await send_text(interaction, f"You already answered this quiz: you picked **{picked}**.")
        elif self.reveal_after is not None and outcome.answered >= self.reveal_after and not self.revealed:
            result = await self._reveal()
            assert result is not None  # nothing awaited between the check and the flag
            self.stop()
            page = reveal_page(self.question, result)
            await interaction.response.edit_message(
                content=page.content, embeds=page.embeds, view=self, allowed_mentions=NO_MENTIONS
            )
        else:
            await send_text(
                interaction, f"Your guess is in: **{picked}**. The answer comes when the quiz ends."
            )

    async def _reveal(self) -> RoundResult | None:
        """Close the round in the database and grey out the buttons, once."""
        if self.revealed:
            return None
        self.revealed = True
        round_id, now = self.question.round_id, utcnow()
        result = await self.scope.db(lambda s: reveal(s, round_id, now=now))
        for button, choice in zip(self.choice_buttons, self.question.choices, strict=True):
            button.disabled = True
            right = choice == result.answer
            button.style = discord.ButtonStyle.success if right else discord.ButtonStyle.secondary
        return result

    async def expire(self) -> None:
        """Time is up: reveal the answer on the quiz message, buttons disabled."""
        if self.expired:
            return
        self.expired = True
        self.stop()
        try:
            result = await self._reveal()
            if result is None:
                return
            page = reveal_page(self.question, result)
            await self.origin.edit_original_response(
                content=page.content, embeds=page.embeds, view=self, allowed_mentions=NO_MENTIONS
            )
        except discord.HTTPException as exc:
            # Deleted message or dead token: the round is closed in the database all the same.
            log.debug("could not reveal quiz round %s: %s", self.question.round_id, exc)
        except Exception:
            log.exception("could not reveal quiz round %s", self.question.round_id)

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        """Everyone may answer."""
        return True
