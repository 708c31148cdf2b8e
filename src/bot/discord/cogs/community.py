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

import discord
from discord import app_commands
from discord.ext import commands

from bot.core.interactions import Entry
from bot.curation.community import claim_daily
from bot.curation.quiz import leaderboard, set_message, start_round
from bot.discord.checks import check_question
from bot.discord.cogs.common import answer_visibility
from bot.discord.context import Context, GuildScope
from bot.discord.host import Host
from bot.discord.render.community_pages import daily_page, leaderboard_page
from bot.discord.replies import NO_MENTIONS, send, send_text
from bot.discord.views.quiz import QuizView
from bot.store.models import utcnow

log = logging.getLogger(__name__)

QOTD_CHECK_SECONDS = 60.0
NO_QUOTES = (
    "There are no curated quotes to quiz on yet. Moderators can save some with /quotes save, "
    "or from an answer with **Moderate this answer**."
)


class CommunityCog(commands.Cog):
    """The quote of the day and the quiz."""

    quiz = app_commands.Group(name="quiz", description="Guess who said a curated quote", guild_only=True)

    def __init__(self, client: Host, *, rng: random.Random | None = None) -> None:
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
        scope = GuildScope(self.client, guild.id)
        settings = await scope.settings()
        if settings.qotd_channel_id is None or self._channel(guild, settings.qotd_channel_id) is None:
            return 0
        defaults, gid = self.client.settings.discord, scope.gid
        daily = await scope.db(lambda s: claim_daily(s, gid, defaults, now))
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
        async with Context.of(interaction).entry("quiz", {"players": players}) as entry:
            if interaction.guild_id is None or interaction.channel_id is None:
                raise app_commands.NoPrivateMessage()
            await check_question(interaction)  # answer channels and cooldown
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
        context = Context.of(interaction)
        gid, now = context.gid, utcnow()
        duration = timedelta(seconds=self.client.settings.discord.view_timeout_seconds)
        question = await context.db(
            lambda s: start_round(s, gid, str(channel_id), now=now, duration=duration, rng=self.rng)
        )
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
            await context.db(lambda s: set_message(s, question.round_id, message_id))

    @quiz.command(name="leaderboard", description="Who guessed right most often in this server's quizzes.")
    async def leaderboard(self, interaction: discord.Interaction) -> None:
        """/quiz leaderboard: shown as answers are (the server's answer visibility)."""
        context = Context.of(interaction)
        async with context.entry("quiz_leaderboard", {}) as entry:
            gid, now = context.gid, utcnow()  # outside servers: NoPrivateMessage
            standings = await context.db(lambda s: leaderboard(s, gid, now=now))
            entry.verdict = str(len(standings))
            visibility = await answer_visibility(interaction)
            await send(interaction, leaderboard_page(standings), ephemeral=visibility == "ephemeral")
