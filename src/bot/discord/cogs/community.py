"""Community features on curated quotes: the quote of the day, /quiz start and /quiz leaderboard.

The quote of the day is a chore this cog starts when it loads: every minute (real time) it asks
``post_due`` to post in each guild whose posting time has come. The claim of the day's quote and
its ``last_posted_at`` stamp are one transaction (``claim_daily``), so two bot processes never post
twice. A post that Discord then refuses is logged; that guild's quote of the day is skipped.

/quiz is a group because Discord cannot run a command that also has subcommands; ``/quiz start``
plays a round.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.core.interactions import Entry
from bot.curation.community import DailyQuote, Shown, claim_daily
from bot.curation.quiz import QuizQuestion, Standing, leaderboard, set_message, start_round
from bot.discord.cogs.common import answer_visibility, check_question
from bot.discord.render.common import (
    FOUND,
    NEUTRAL,
    Rendered,
    attribution_title,
    excerpt_markdown,
    finish,
    footer,
    quote_url,
    source_line,
    summary_line,
)
from bot.discord.replies import NO_MENTIONS, send, send_text
from bot.discord.views.quiz import QUOTE_BUDGET, QuizView
from bot.store.db import session_scope
from bot.store.models import utcnow

if TYPE_CHECKING:
    from bot.discord.client import EssaybotClient

log = logging.getLogger(__name__)

QOTD_CHECK_SECONDS = 60.0
NO_QUOTES = (
    "There are no curated quotes to quiz on yet. Moderators can save some with /quotes save, "
    "or from an answer with **Moderate this answer**."
)
MEDALS = ("🥇", "🥈", "🥉")


def daily_page(shown: Shown) -> Rendered:
    """The quote of the day: the words, then who said them where (the title links to the sentence)."""
    q = shown.quote
    url = quote_url(q)
    description = f"{excerpt_markdown(q, QUOTE_BUDGET, bold=False)}\n\n{source_line(q.essay, url)}"
    embed = discord.Embed(title=attribution_title(q), url=url, description=description, colour=FOUND)
    embed.set_author(name="Quote of the day")
    embed.set_footer(text=footer(f"Curated quote #{shown.quote_id}", "/quiz start: guess who said one"))
    return finish(f"📜 **Quote of the day:** {summary_line(q)}", [embed])


def leaderboard_page(standings: list[Standing]) -> Rendered:
    """The top players: right answers out of guesses."""
    if not standings:
        text = "Nobody has answered a quiz here yet. Start one with /quiz start."
        return finish(text, [discord.Embed(title="Quiz leaderboard", description=text, colour=NEUTRAL)])
    lines = [
        f"{MEDALS[i] if i < len(MEDALS) else f'{i + 1}.'} <@{s.user_id}>: "
        f"{s.correct} right out of {s.answered} {'guess' if s.answered == 1 else 'guesses'}"
        for i, s in enumerate(standings)
    ]
    embed = discord.Embed(title="Quiz leaderboard", description="\n".join(lines), colour=FOUND)
    embed.set_footer(text="Finished rounds only · /quiz start to play")
    return finish(f"🏆 **Quiz leaderboard**: the top {len(standings)}", [embed])


class CommunityCog(commands.Cog):
    """The quote of the day and the quiz."""

    quiz = app_commands.Group(name="quiz", description="Guess who said a curated quote", guild_only=True)

    def __init__(self, client: EssaybotClient, *, rng: random.Random | None = None) -> None:
        self.client = client
        self.rng = rng or random.Random()
        self._daily: asyncio.Task[None] | None = None
        self._rounds: dict[int, QuizView] = {}  # channel id -> the round running there
        self._opening: set[int] = set()  # channels where a round is being opened
        self._warned: set[tuple[int, int]] = set()  # (guild, channel) we could not post in, said once

    async def cog_load(self) -> None:
        """Start the quote-of-the-day chore."""
        self._daily = asyncio.create_task(self._every_minute(), name="essaybot-qotd")

    async def cog_unload(self) -> None:
        """Stop the chore."""
        if self._daily is not None:
            self._daily.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._daily

    async def _every_minute(self) -> None:
        while True:
            await asyncio.sleep(QOTD_CHECK_SECONDS)
            try:
                await self.post_due(utcnow())
            except Exception:
                log.exception("the quote of the day chore failed")

    # -- quote of the day -----------------------------------------------------------------------

    async def post_due(self, now: datetime) -> int:
        """Post the quote of the day in every guild where it is due at ``now``; how many went out."""
        posted = 0
        for guild in list(self.client.guilds):
            try:
                posted += await self._post_in(guild, now)
            except Exception:
                log.exception("quote of the day failed in guild %s", guild.id)
        return posted

    def _channel(self, guild: discord.Guild, channel_id: int) -> discord.abc.Messageable | None:
        # Only a channel of this guild: a setting must never make the bot post in another server.
        channel = guild.get_channel_or_thread(channel_id)
        if isinstance(channel, discord.abc.Messageable):
            return channel
        if (guild.id, channel_id) not in self._warned:
            self._warned.add((guild.id, channel_id))
            log.warning(
                "quote of the day: channel %s is not a text channel of guild %s", channel_id, guild.id
            )
        return None

    async def _post_in(self, guild: discord.Guild, now: datetime) -> int:
        settings = await self.client.guild_settings(guild.id)
        if settings.qotd_channel_id is None or self._channel(guild, settings.qotd_channel_id) is None:
            return 0
        engine, defaults, gid = (
            (await self.client.app_for(guild.id)).engine,
            self.client.settings.discord,
            str(guild.id),
        )

        def claim() -> DailyQuote | None:
            with session_scope(engine) as session:
                return claim_daily(session, gid, defaults, now)

        daily = await self.client.service.run(claim)
        if daily is None:
            return 0
        channel = self._channel(guild, daily.channel_id)  # the setting may have just changed
        if channel is None:
            return 0
        page = daily_page(daily.shown)
        try:
            await channel.send(content=page.content, embeds=page.embeds, allowed_mentions=NO_MENTIONS)
        except discord.HTTPException as exc:
            log.warning("could not post the quote of the day in guild %s: %s", guild.id, exc)
            return 0
        log.info("posted quote of the day #%s in guild %s", daily.shown.quote_id, guild.id)
        return 1

    # -- quiz -----------------------------------------------------------------------------------

    def _reveal_after(self, interaction: discord.Interaction, players: int | None) -> int | None:
        """How many answers end a round early: ``players``, else every member but the bot.

        The bot sees no member list (it asks for no privileged intent), only the member count, so
        "everyone" is the count minus the bot itself; in a large server the timeout ends the round.
        """
        count = interaction.guild.member_count if interaction.guild is not None else None
        everyone = count - 1 if count is not None and count > 1 else None
        if players is None:
            return everyone
        return players if everyone is None else min(players, everyone)

    @quiz.command(name="start", description="Guess who said a curated quote: one guess per member.")
    @app_commands.describe(players="Reveal the answer as soon as this many members have answered")
    async def start(
        self, interaction: discord.Interaction, players: app_commands.Range[int, 1, 100] | None = None
    ) -> None:
        """/quiz start [players]: a public round with one button per author."""
        async with self.client.recorder.entry(interaction, "quiz", {"players": players}) as entry:
            if interaction.guild_id is None or interaction.channel_id is None:
                raise app_commands.NoPrivateMessage()
            await check_question(self.client, interaction)  # answer channels and cooldown
            channel_id = interaction.channel_id
            running = self._rounds.get(channel_id)
            if channel_id in self._opening or (running is not None and not running.is_finished()):
                entry.verdict = "busy"
                await send_text(
                    interaction, "A quiz is already running in this channel: answer that one first."
                )
                return
            self._opening.add(channel_id)
            try:
                await self._open(interaction, channel_id, players, entry)
            finally:
                self._opening.discard(channel_id)

    async def _open(
        self, interaction: discord.Interaction, channel_id: int, players: int | None, entry: Entry
    ) -> None:
        engine, gid, now = (
            (await self.client.app_for(interaction.guild_id)).engine,
            str(interaction.guild_id),
            utcnow(),
        )
        duration = timedelta(seconds=self.client.settings.discord.view_timeout_seconds)

        def open_round() -> QuizQuestion | None:
            with session_scope(engine) as session:
                return start_round(session, gid, str(channel_id), now=now, duration=duration, rng=self.rng)

        question = await self.client.service.run(open_round)
        if question is None:
            entry.verdict = "no_quotes"
            await send_text(interaction, NO_QUOTES)
            return
        view = QuizView(
            self.client,
            interaction,
            interaction.user.id,
            question,
            reveal_after=self._reveal_after(interaction, players),
        )
        self._rounds[channel_id] = view
        entry.verdict, entry.passage_ids = "started", [question.shown.quote.passage_id]
        entry.message_id = await send(interaction, view.page(), ephemeral=False, view=view)
        view.register()
        if entry.message_id is not None:
            message_id = str(entry.message_id)

            def remember() -> None:
                with session_scope(engine) as session:
                    set_message(session, question.round_id, message_id)

            await self.client.service.run(remember)

    @quiz.command(name="leaderboard", description="Who guessed right most often in this server's quizzes.")
    async def leaderboard(self, interaction: discord.Interaction) -> None:
        """/quiz leaderboard: shown as answers are (the server's answer visibility)."""
        async with self.client.recorder.entry(interaction, "quiz_leaderboard", {}) as entry:
            if interaction.guild_id is None:
                raise app_commands.NoPrivateMessage()
            engine, gid, now = (
                (await self.client.app_for(interaction.guild_id)).engine,
                str(interaction.guild_id),
                utcnow(),
            )

            def board() -> list[Standing]:
                with session_scope(engine) as session:
                    return leaderboard(session, gid, now=now)

            standings = await self.client.service.run(board)
            entry.verdict = str(len(standings))
            visibility = await answer_visibility(self.client, interaction)
            await send(interaction, leaderboard_page(standings), ephemeral=visibility == "ephemeral")
