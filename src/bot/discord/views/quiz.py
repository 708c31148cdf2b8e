"""/quiz: a curated quote with its attribution hidden, one button per author, and the reveal.

Every member may answer once; a second press gets a private "you already answered". The reveal
(the attribution, the right answer, who got it right) edits the quiz message when the view expires
on the client's clock, or as soon as ``reveal_after`` members have answered.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import TYPE_CHECKING

import discord

from bot.curation.quiz import Guess, QuizQuestion, RoundResult, guess, reveal
from bot.discord.render import limits
from bot.discord.render.common import (
    FOUND,
    NEUTRAL,
    Rendered,
    attribution_title,
    excerpt_markdown,
    finish,
    footer,
    one_line,
    quote_url,
    source_line,
)
from bot.discord.render.markdown import escape
from bot.discord.replies import NO_MENTIONS, send_text
from bot.discord.views.base import ActionButton, TimedView
from bot.store.db import session_scope
from bot.store.models import utcnow

if TYPE_CHECKING:
    from bot.discord.client import EssaybotClient

log = logging.getLogger(__name__)

QUOTE_BUDGET = 1500  # characters of quote in the embed
MAX_NAMED = 40  # winners named in the reveal; the rest are counted


def question_page(question: QuizQuestion, *, minutes: int, reveal_after: int | None) -> Rendered:
    """The quote without its attribution, and how the round ends."""
    ends = f"The answer comes in {minutes} min"
    if reveal_after is not None:
        ends += ", or once " + ("someone has" if reveal_after == 1 else f"{reveal_after} members have")
        ends += " answered"
    embed = discord.Embed(
        title="Who said this?",
        description=excerpt_markdown(question.shown.quote, QUOTE_BUDGET, bold=False),
        colour=NEUTRAL,
    )
    embed.set_footer(text=footer(f"Curated quote #{question.shown.quote_id}", "one guess per member"))
    return finish(f"🧩 **Quiz:** who said this? Pick an author below. {ends}.", [embed])


def _mentions(user_ids: list[str]) -> str:
    named = " ".join(f"<@{u}>" for u in user_ids[:MAX_NAMED])
    more = len(user_ids) - MAX_NAMED
    return named + (f" and {more} more" if more > 0 else "")


def reveal_page(question: QuizQuestion, result: RoundResult) -> Rendered:
    """The quote with its attribution, the right answer, the tally and who got it right."""
    q = question.shown.quote
    url = quote_url(q)
    description = f"{excerpt_markdown(q, QUOTE_BUDGET, bold=False)}\n\n{source_line(q.essay, url)}"
    embed = discord.Embed(title=attribution_title(q), url=url, description=description, colour=FOUND)
    embed.set_author(name="The answer")
    tally = Counter(choice for _, choice, _ in result.guesses)
    lines = [
        f"{'✅' if c == result.answer else '▫️'} {escape(one_line(c))}: {tally.get(c, 0)}"
        for c in result.choices
    ]
    embed.add_field(name="Guesses", value="\n".join(lines) or "No choices", inline=False)
    winners = result.winners
    embed.add_field(
        name=f"Right ({len(winners)} of {len(result.guesses)})",
        value=_mentions(winners) if winners else "Nobody this time.",
        inline=False,
    )
    embed.set_footer(text=footer(f"Curated quote #{question.shown.quote_id}", "/quiz leaderboard"))
    content = f"🧩 **Quiz:** the answer was **{escape(one_line(result.answer))}**."
    return finish(content, [embed])


class QuizView(TimedView):
    """The author buttons of one round; open to every member of the channel."""

    def __init__(
        self,
        client: EssaybotClient,
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
        engine, round_id, user, now = (
            (await self.client.app_for(self.origin.guild_id)).engine,
            self.question.round_id,
            interaction.user.id,
            utcnow(),
        )

        def record() -> Guess:
            with session_scope(engine) as session:
                return guess(session, round_id, str(user), index, now=now)

        outcome = await self.client.service.run(record)
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
        engine, round_id, now = (
            (await self.client.app_for(self.origin.guild_id)).engine,
            self.question.round_id,
            utcnow(),
        )

        def close() -> RoundResult:
            with session_scope(engine) as session:
                return reveal(session, round_id, now=now)

        result = await self.client.service.run(close)
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
