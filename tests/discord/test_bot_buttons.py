"""End to end over the wire: the context menu, sharing, buttons, feedback, deletion and timeouts."""

from __future__ import annotations

import pytest

from botenv import ASKER, CHANNEL, GUILD, MOD, OTHER, ROLE_MOD, BotEnv, discord_settings
from fakediscord.models import Message

pytestmark = pytest.mark.model

CHICKENS = "Well, the chickens have come home to roost"
ICL = "International Communist League"


async def asked(bot_env: BotEnv, query: str = "Who said the chickens have come home to roost?") -> Message:
    interaction = await bot_env.who_said(query)
    message = await bot_env.answer(interaction)
    await bot_env.settle()
    return message


async def test_context_menu_is_private_then_shared(bot_env: BotEnv) -> None:
    target = bot_env.server.add_user_message(CHANNEL, OTHER, f"{CHICKENS}, they said.")
    interaction = await bot_env.server.message_command(
        ASKER, "Who said this?", target, guild_id=GUILD, channel_id=CHANNEL
    )
    private = await bot_env.answer(interaction)
    assert private.ephemeral
    assert ICL in bot_env.text(private)
    share = await bot_env.server.click(ASKER, private, bot_env.custom_id(private, "share"))
    public = await share.wait_message()
    assert not public.ephemeral and ICL in bot_env.text(public)
    assert bot_env.custom_id(public, "delete")  # a public answer can be deleted
    await bot_env.settle()
    # The private copy's Share button is now disabled.
    button = bot_env.server.messages[private.id].component(bot_env.custom_id(private, "share"))
    assert button is not None and button.get("disabled")
    rows = bot_env.rows()
    assert [r.command for r in rows][-2:] == ["who_said_message", "button_share"]


async def test_own_message_answers_publicly(bot_env: BotEnv) -> None:
    target = bot_env.server.add_user_message(CHANNEL, ASKER, CHICKENS)
    interaction = await bot_env.server.message_command(
        ASKER, "Who said this?", target, guild_id=GUILD, channel_id=CHANNEL
    )
    message = await bot_env.answer(interaction)
    assert not message.ephemeral


async def test_next_by_asker_edits_and_by_another_member_is_private(bot_env: BotEnv) -> None:
    message = await asked(bot_env, "sanctions on Russia hurt the working class")
    # The page's own passage is in the last embed (a not-found answer leads with its verdict).
    next_id = bot_env.custom_id(message, "next")
    before = bot_env.server.messages[message.id].embeds[-1]["description"]
    other = await bot_env.server.click(OTHER, message, next_id)
    assert (await other.response())["type"] == 4
    copy = await other.wait_message()
    assert copy.ephemeral and copy.embeds[-1]["description"] != before
    assert bot_env.server.messages[message.id].embeds[-1]["description"] == before  # shared message untouched
    mine = await bot_env.server.click(ASKER, message, next_id)
    assert (await mine.response())["type"] == 7
    assert bot_env.server.messages[message.id].embeds[-1]["description"] != before
    # Found, it pages through results; not found (the verifier's call), through related passages.
    assert " 2 of " in bot_env.server.messages[message.id].embeds[-1]["footer"]["text"]


async def test_context_and_citation_are_private(bot_env: BotEnv) -> None:
    message = await asked(bot_env)
    for user in (ASKER, OTHER):
        context = await bot_env.server.click(user, message, bot_env.custom_id(message, "context"))
        shown = await context.wait_message()
        assert shown.ephemeral and "chickens" in bot_env.text(shown)
        cite = await bot_env.server.click(user, message, bot_env.custom_id(message, "cite"))
        citation = await cite.wait_message()
        assert citation.ephemeral and ICL in citation.content and "chickens" in citation.content


async def test_thumbs_down_with_reason_counts_once_per_member(bot_env: BotEnv) -> None:
    message = await asked(bot_env)
    for user, reason in ((OTHER, "misquote"), (OTHER, "wrong_author"), (ASKER, "not_relevant")):
        down = await bot_env.server.click(user, message, bot_env.custom_id(message, "down"))
        prompt = await down.wait_message()
        assert prompt.ephemeral
        chosen = await bot_env.server.select(user, prompt, bot_env.custom_id(prompt, "reason"), [reason])
        assert (await chosen.response())["type"] == 7
    up = await bot_env.server.click(OTHER, message, bot_env.custom_id(message, "up"))
    assert (await up.wait_message()).ephemeral
    await bot_env.settle()
    feedback = bot_env.feedback()
    answer_row = next(r for r in bot_env.rows() if r.command == "who_said")
    assert len(feedback) == 2  # one per member: OTHER's later votes replaced the earlier ones
    assert {f.interaction_id for f in feedback} == {answer_row.id}
    by_vote = sorted((f.vote, f.reason) for f in feedback)
    assert by_vote == [(-1, "not_relevant"), (1, None)] or by_vote == [
        (-1, "not_relevant"),
        (1, "wrong_author"),
    ]


async def test_delete_refused_for_others_allowed_for_asker(bot_env: BotEnv) -> None:
    message = await asked(bot_env)
    refused = await bot_env.server.click(OTHER, message, bot_env.custom_id(message, "delete"))
    reply = await refused.wait_message()
    assert reply.ephemeral and "Only the member who asked" in reply.content
    assert not bot_env.server.messages[message.id].deleted
    allowed = await bot_env.server.click(ASKER, message, bot_env.custom_id(message, "delete"))
    await allowed.response()
    await bot_env.settle()
    assert bot_env.server.messages[message.id].deleted


@pytest.mark.parametrize("moderator", [MOD, ROLE_MOD])
async def test_moderators_can_delete(bot_env: BotEnv, moderator: int) -> None:
    message = await asked(bot_env)
    press = await bot_env.server.click(moderator, message, bot_env.custom_id(message, "delete"))
    await press.response()
    await bot_env.settle()
    assert bot_env.server.messages[message.id].deleted


async def test_stats_refused_to_members_in_code(bot_env: BotEnv) -> None:
    await asked(bot_env)
    refused = await bot_env.server.slash(OTHER, "stats", {}, **bot_env.where)
    reply = await refused.wait_message()
    assert reply.ephemeral and "moderators" in reply.content
    await bot_env.settle()
    row = bot_env.rows()[-1]
    assert row.command == "stats" and row.error and "NotModerator" in row.error
    shown = await bot_env.answer(await bot_env.server.slash(MOD, "stats", {"window": "24h"}, **bot_env.where))
    assert shown.ephemeral and "Questions" in bot_env.text(shown)


@discord_settings(cooldown_rate=2, cooldown_seconds=30.0)
async def test_cooldown_gives_the_retry_time(bot_env: BotEnv) -> None:
    for _ in range(2):
        await asked(bot_env)
    third = await bot_env.who_said("Who said the chickens have come home to roost?")
    reply = await third.wait_message()
    assert reply.ephemeral and "ask again in" in reply.content
    assert (await third.response())["type"] == 4  # refused before any public "thinking…"
    bot_env.clock.advance(31)
    fourth = await bot_env.answer(await bot_env.who_said("Who said the chickens have come home to roost?"))
    assert ICL in bot_env.text(fourth)


@discord_settings(view_timeout_seconds=60.0)
async def test_view_timeout_disables_buttons_and_late_presses_are_answered(bot_env: BotEnv) -> None:
    message = await asked(bot_env)
    bot_env.clock.advance(61)
    assert await bot_env.client.views.reap() >= 1
    state = bot_env.server.messages[message.id]
    assert state.edits and all(
        c.get("disabled") for c in (state.component(cid) for cid in state.custom_ids()) if c is not None
    )
    late = await bot_env.server.click(OTHER, message, bot_env.custom_id(message, "next"), force=True)
    reply = await late.wait_message()
    assert reply.ephemeral and "expired" in reply.content


async def test_expired_token_does_not_crash(bot_env: BotEnv) -> None:
    message = await asked(bot_env)
    bot_env.clock.advance(16 * 60)  # past the token's 15 minutes: disabling the buttons is refused
    bot_env.expected_rejections.append(10015)
    await bot_env.client.views.reap()
    assert bot_env.server.rejected(10015)
    again = await bot_env.answer(await bot_env.who_said("Who said the chickens have come home to roost?"))
    assert ICL in bot_env.text(again)
    assert message.id != again.id
