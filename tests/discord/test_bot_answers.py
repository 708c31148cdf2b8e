"""End to end over the wire: start-up, /who-said, /compare, /positions and the interaction log."""

from __future__ import annotations

import asyncio
import threading

import pytest

from botenv import ASKER, CHANNEL, DM_CHANNEL, GUILD, OTHER, BotEnv

pytestmark = pytest.mark.model

CHICKENS = "the chickens have come home to roost"
ICL = "International Communist League"


async def test_startup_syncs_commands_once(bot_env: BotEnv) -> None:
    names = {c["name"] for c in bot_env.server.commands[GUILD]}
    assert {"who-said", "compare", "positions", "essays", "about", "help", "stats", "privacy"} <= names
    assert "Who said this?" in names
    menu = next(c for c in bot_env.server.commands[GUILD] if c["name"] == "Who said this?")
    assert menu["type"] == 3  # a message command
    stats = next(c for c in bot_env.server.commands[GUILD] if c["name"] == "stats")
    assert int(stats["default_member_permissions"]) == 1 << 13  # Manage Messages
    puts = [c for c in bot_env.server.calls if c.method == "PUT" and "commands" in c.path]
    assert len(puts) == 1
    # Unchanged definitions are not synced again on the next start.
    assert await bot_env.client.sync_commands() == []
    assert len([c for c in bot_env.server.calls if c.method == "PUT" and "commands" in c.path]) == 1


async def test_a_question_is_acknowledged_while_every_search_worker_is_busy(bot_env: BotEnv) -> None:
    # A burst of questions fills the search pool; what a command reads before acknowledging (the
    # server's settings) must not queue behind it, or the acknowledgement misses Discord's deadline.
    service = bot_env.client.service
    release = threading.Event()
    workers = service.executor._max_workers
    busy = [asyncio.ensure_future(service.run(release.wait, 30)) for _ in range(workers)]
    try:
        interaction = await bot_env.who_said(f"Who said {CHICKENS}?")
        assert (await interaction.response(timeout=10))["type"] == 5  # deferred, the searches still blocked
        assert not busy[0].done()
    finally:
        release.set()
        await asyncio.gather(*busy)
    assert ICL in bot_env.text(await bot_env.answer(interaction))


async def test_who_said_exact_quote(bot_env: BotEnv) -> None:
    interaction = await bot_env.who_said(f"Who said {CHICKENS}?")
    response = await interaction.response()
    assert response["type"] == 5  # deferred with "thinking…"
    assert not response.get("data", {}).get("flags", 0) & 64  # public by default
    message = await bot_env.answer(interaction)
    text = bot_env.text(message)
    assert ICL in text
    assert "Exact quote" in text
    assert "**" in message.embeds[0]["description"]  # the matched sentence is bold
    assert "chickens have come home to roost" in message.content  # the plain-text summary
    assert message.allowed_mentions == {"parse": []}
    await bot_env.settle()
    row = bot_env.rows()[-1]
    assert (row.command, row.verdict, row.guild_id, row.channel_id) == (
        "who_said",
        "found",
        str(GUILD),
        str(CHANNEL),
    )
    assert row.passage_ids and row.latency_ms is not None and row.error is None
    assert row.user_ref and row.user_ref != str(ASKER)  # hashed by default
    assert row.message_id == str(message.id)


async def test_who_said_paraphrase(bot_env: BotEnv) -> None:
    interaction = await bot_env.who_said("Who warned that a no-fly zone could lead to nuclear Armageddon?")
    message = await bot_env.answer(interaction)
    assert "Ashley Smith" in bot_env.text(message)


async def test_not_found_says_so(bot_env: BotEnv) -> None:
    interaction = await bot_env.who_said("Who argued that the moon landing was faked?")
    message = await bot_env.answer(interaction)
    text = bot_env.text(message).lower()
    assert "not a match" in text or "nothing" in text
    assert "exact quote" not in text
    await bot_env.settle()
    assert bot_env.rows()[-1].verdict == "not_found"


async def test_author_filter_miss_names_who_said_it(bot_env: BotEnv) -> None:
    interaction = await bot_env.who_said(f"“{CHICKENS}”", author="Paul Mason")
    message = await bot_env.answer(interaction)
    text = bot_env.text(message)
    # The verdict first, then who did say it.
    assert message.content.startswith("Not found: nothing in Paul Mason's essays clearly says this. Found in")
    assert "Not in **Paul Mason**'s essays" in text
    assert ICL in text


async def test_who_said_in_a_dm(bot_env: BotEnv) -> None:
    interaction = await bot_env.who_said(CHICKENS, guild_id=None, channel_id=DM_CHANNEL)
    message = await bot_env.answer(interaction)
    assert ICL in bot_env.text(message)
    await bot_env.settle()
    assert bot_env.rows()[-1].guild_id is None


async def test_compare_stacks_one_embed_per_side(bot_env: BotEnv) -> None:
    interaction = await bot_env.server.slash(
        ASKER,
        "compare",
        {"a": "Paul Mason", "b": "Ashley Smith", "topic": "sanctions on Russia"},
        **bot_env.where,
    )
    message = await bot_env.answer(interaction)
    assert len(message.embeds) >= 2
    assert "Paul Mason" in bot_env.text(message) and "Ashley Smith" in bot_env.text(message)
    await bot_env.settle()
    assert bot_env.rows()[-1].command == "compare"


async def test_positions_expand_by_asker_and_by_another_member(bot_env: BotEnv) -> None:

    interaction = await bot_env.server.slash(ASKER, "positions", {"topic": "sanctions"}, **bot_env.where)
    message = await bot_env.answer(interaction)
    expanders = [c for c in message.custom_ids() if ":expand" in c]
    assert len(expanders) >= 2
    press = await bot_env.server.click(OTHER, message, expanders[0])
    assert (await press.response())["type"] == 4  # someone else: a private copy
    assert (await press.wait_message()).ephemeral
    press = await bot_env.server.click(ASKER, message, expanders[1])
    assert (await press.response())["type"] == 7  # the asker: the shared message changes
    await bot_env.settle()
    assert len(bot_env.server.messages[message.id].embeds) == 2


async def test_about_help_and_essays(bot_env: BotEnv) -> None:
    about = await bot_env.answer(await bot_env.server.slash(ASKER, "about", {}, **bot_env.where))
    assert about.ephemeral and "5 essays" in bot_env.text(about)
    help_ = await bot_env.answer(await bot_env.server.slash(ASKER, "help", {}, **bot_env.where))
    assert "/who-said" in bot_env.text(help_) and "/compare" in bot_env.text(help_)
    essays = await bot_env.answer(
        await bot_env.server.slash(ASKER, "essays", {}, subcommand="list", **bot_env.where)
    )
    assert essays.ephemeral and "Page 1 of 1" in bot_env.text(essays)  # five seeds fit on one page
    assert "Paul Mason" in bot_env.text(essays)
    next_button = essays.component(bot_env.custom_id(essays, "next"))
    assert next_button is not None and next_button.get("disabled")
