"""End to end over the wire: the quote of the day, /quiz start with its reveal, and /quiz leaderboard."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, cast

import pytest
from sqlalchemy import select

from bot.curation.quotes import CuratedQuotes
from bot.curation.settings import GuildSettings
from bot.discord.cogs.community import CommunityCog
from bot.store.db import session_scope
from bot.store.models import CuratedQuoteRow, PassageRow, QuizGuessRow, QuizRoundRow, QuoteSpanRow
from botenv import ASKER, CHANNEL, DM_CHANNEL, GUILD, MOD, OTHER, OTHER_CHANNEL, BotEnv
from fakediscord.models import Message

pytestmark = pytest.mark.model

MASON = "mason-2022-marxist-position"
POSTS = "/channels/{channel_id}/messages"


def curate(bot_env: BotEnv, n: int) -> list[int]:
    """Save ``n`` of Paul Mason's own sentences (no quotation inside) as curated quotes of the guild."""
    with session_scope(bot_env.app.engine) as session:
        spans = list(session.scalars(select(QuoteSpanRow).where(QuoteSpanRow.essay_id == MASON)))
        passages = session.scalars(
            select(PassageRow)
            .where(PassageRow.essay_id == MASON, PassageRow.kind == "sentence")
            .order_by(PassageRow.seq)
        )
        own = [
            p.id
            for p in passages
            if len(p.text) > 40 and not any(s.start < p.end and p.start < s.end for s in spans)
        ]
        quotes = CuratedQuotes(session, str(GUILD))
        return [quotes.save(pid, actor=str(MOD)).id for pid in own[:n]]


def configure(bot_env: BotEnv, **values: Any) -> None:
    with session_scope(bot_env.app.engine) as session:
        GuildSettings(session, str(GUILD)).set(actor=str(MOD), **values)


def cog(bot_env: BotEnv) -> CommunityCog:
    return cast(CommunityCog, bot_env.client.get_cog("CommunityCog"))


def rounds(bot_env: BotEnv) -> list[QuizRoundRow]:
    with session_scope(bot_env.app.engine) as session:
        rows = list(session.scalars(select(QuizRoundRow).order_by(QuizRoundRow.id)))
        session.expunge_all()
        return rows


def guesses(bot_env: BotEnv) -> list[QuizGuessRow]:
    with session_scope(bot_env.app.engine) as session:
        rows = list(session.scalars(select(QuizGuessRow).order_by(QuizGuessRow.id)))
        session.expunge_all()
        return rows


def buttons(message: Message) -> list[dict[str, Any]]:
    return [c for c in (message.component(cid) for cid in message.custom_ids()) if c is not None]


async def quiz(bot_env: BotEnv, user: int = ASKER, **options: Any) -> Message:
    interaction = await bot_env.server.slash(user, "quiz", options, subcommand="start", **bot_env.where)
    message = await interaction.wait_message()
    await bot_env.settle()
    return message


async def press(bot_env: BotEnv, user: int, message: Message, choice: int) -> Message:
    interaction = await bot_env.server.click(user, message, bot_env.custom_id(message, f"choice{choice}"))
    return await interaction.wait_message()


async def test_quote_of_the_day_posts_once_a_day_in_the_configured_channel(bot_env: BotEnv) -> None:
    ids = curate(bot_env, 2)
    chore = cog(bot_env)._daily
    assert chore is not None and not chore.done()  # the every-minute check runs in the background
    day = datetime(2024, 5, 1, 7, 5, tzinfo=UTC)  # 09:05 in Paris
    configure(bot_env, qotd_channel_id=DM_CHANNEL)  # not a channel of this server: never posted in
    assert await cog(bot_env).post_due(day) == 0
    configure(bot_env, qotd_channel_id=OTHER_CHANNEL, qotd_time="09:00", qotd_timezone="Europe/Paris")
    assert await cog(bot_env).post_due(day - timedelta(minutes=10)) == 0  # 08:55: not yet
    assert await cog(bot_env).post_due(day) == 1
    posts = bot_env.server.calls_to(POSTS, "POST")
    assert len(posts) == 1 and posts[0].path == f"/channels/{OTHER_CHANNEL}/messages"
    first = next(m for m in bot_env.server.messages.values() if m.channel_id == OTHER_CHANNEL)
    text = bot_env.text(first)
    assert "Quote of the day" in text and "Paul Mason, Ukraine: Outlines of a Marxist position" in text
    with session_scope(bot_env.app.engine) as session:
        posted = {r.id: r for r in session.scalars(select(CuratedQuoteRow))}
    first_id = next(i for i in ids if posted[i].last_posted_at == day)
    assert posted[first_id].text.split()[0] in text and f"#{first_id}" in text

    assert await cog(bot_env).post_due(day + timedelta(hours=3)) == 0  # the same day: nothing
    assert len(bot_env.server.calls_to(POSTS, "POST")) == 1

    assert await cog(bot_env).post_due(day + timedelta(days=1)) == 1  # the next day: the other quote
    second = [m for m in bot_env.server.messages.values() if m.channel_id == OTHER_CHANNEL][-1]
    (second_id,) = set(ids) - {first_id}
    assert second.id != first.id and f"#{second_id}" in bot_env.text(second)


async def test_quiz_counts_one_guess_per_member_and_reveals_on_expiry(bot_env: BotEnv) -> None:
    curate(bot_env, 1)
    message = await quiz(bot_env)
    assert not message.ephemeral
    (round_row,) = rounds(bot_env)
    assert round_row.answer == "Paul Mason" and len(round_row.choices) == 4
    assert round_row.message_id == str(message.id)
    shown = bot_env.text(message)
    assert "Who said this?" in shown and "Paul Mason" not in shown and "Marxist position" not in shown
    assert [b["label"] for b in buttons(message)] == round_row.choices
    right = round_row.choices.index("Paul Mason")
    wrong = (right + 1) % 4

    reply = await press(bot_env, OTHER, message, right)
    assert reply.ephemeral and "Your guess is in" in reply.content
    again = await press(bot_env, OTHER, message, wrong)
    assert again.ephemeral and "already answered" in again.content and "Paul Mason" in again.content
    reply = await press(bot_env, MOD, message, wrong)
    assert reply.ephemeral and "Your guess is in" in reply.content
    await bot_env.settle()
    assert [(g.user_id, g.correct) for g in guesses(bot_env)] == [(str(OTHER), True), (str(MOD), False)]
    assert not bot_env.server.messages[message.id].edits  # nothing revealed yet

    bot_env.clock.advance(bot_env.client.settings.discord.view_timeout_seconds + 1)
    assert await bot_env.client.views.reap() >= 1
    revealed = bot_env.server.messages[message.id]
    text = bot_env.text(revealed)
    assert "the answer was **Paul Mason**" in revealed.content
    assert "Paul Mason, Ukraine: Outlines of a Marxist position" in text
    assert f"<@{OTHER}>" in text and f"<@{MOD}>" not in text and "Right (1 of 2)" in text
    assert all(b.get("disabled") for b in buttons(revealed))
    assert buttons(revealed)[right]["style"] == 3  # the right answer in green
    assert rounds(bot_env)[0].revealed_at is not None
    late = await bot_env.server.click(ASKER, revealed, bot_env.custom_id(revealed, "choice0"), force=True)
    assert "expired" in (await late.wait_message()).content


async def test_quiz_reveals_once_the_players_answered_and_the_leaderboard_counts(bot_env: BotEnv) -> None:
    curate(bot_env, 2)
    message = await quiz(bot_env, players=2)
    busy = await bot_env.server.slash(MOD, "quiz", {}, subcommand="start", **bot_env.where)
    assert "already running" in (await busy.wait_message()).content
    right = rounds(bot_env)[0].choices.index("Paul Mason")
    await press(bot_env, ASKER, message, right)
    last = await bot_env.server.click(OTHER, message, bot_env.custom_id(message, f"choice{(right + 1) % 4}"))
    assert (await last.response())["type"] == 7  # the second answer reveals, editing the quiz message
    await bot_env.settle()
    revealed = bot_env.server.messages[message.id]
    assert "the answer was **Paul Mason**" in revealed.content and f"<@{ASKER}>" in bot_env.text(revealed)
    assert all(b.get("disabled") for b in buttons(revealed))

    # A new round may start once the last one is over; its guesses count after its reveal.
    second = await quiz(bot_env, user=MOD, players=1)
    right = rounds(bot_env)[1].choices.index("Paul Mason")
    await bot_env.server.click(ASKER, second, bot_env.custom_id(second, f"choice{right}"))
    await bot_env.settle()
    board = await bot_env.server.slash(OTHER, "quiz", {}, subcommand="leaderboard", **bot_env.where)
    text = bot_env.text(await board.wait_message())
    assert f"🥇 <@{ASKER}>: 2 right out of 2 guesses" in text
    assert f"🥈 <@{OTHER}>: 0 right out of 1 guess" in text


async def test_quiz_without_curated_quotes_is_a_friendly_private_reply(bot_env: BotEnv) -> None:
    interaction = await bot_env.server.slash(ASKER, "quiz", {}, subcommand="start", **bot_env.where)
    reply = await interaction.wait_message()
    assert reply.ephemeral and "no curated quotes" in reply.content and "⚠️" not in reply.content
    assert rounds(bot_env) == []
    assert not [m for m in bot_env.server.messages.values() if m.channel_id == CHANNEL and not m.ephemeral]
