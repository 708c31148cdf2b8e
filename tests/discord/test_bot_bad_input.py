"""Bad input over the wire: each case gets a clear private error, is logged, and breaks nothing."""

from __future__ import annotations

import pytest

from botenv import ASKER, CHANNEL, GUILD, OTHER, BotEnv

pytestmark = pytest.mark.model


async def refused(bot_env: BotEnv, query: str, **kwargs: str) -> str:
    interaction = await bot_env.who_said(query, **kwargs)
    reply = await interaction.wait_message()
    assert reply.ephemeral, "errors are private"
    assert (await interaction.response())["type"] == 4, "refused before any public 'thinking…'"
    await bot_env.settle()
    row = bot_env.rows()[-1]
    assert row.command == "who_said" and row.error, "a refused question is logged with its error"
    return reply.content


@pytest.mark.parametrize(
    ("query", "says"),
    [
        ("   ", "empty"),
        ("\u200b\u200b\u200b", "empty"),
        ("\x00\x01\x02", "empty"),
        ("x" * 6000, "limit is 2,000"),
    ],
    ids=["blank", "zero-width", "control", "6000-chars"],
)
async def test_unusable_queries(bot_env: BotEnv, query: str, says: str) -> None:
    assert says in await refused(bot_env, query)


async def test_rtl_override_and_zero_width_inside_words_still_answer(bot_env: BotEnv) -> None:
    sneaky = "\u202eWho said the chick\u200bens have come home to roost?"
    message = await bot_env.answer(await bot_env.who_said(sneaky))
    assert "International Communist League" in bot_env.text(message)


async def test_unknown_author(bot_env: BotEnv) -> None:
    choices = await bot_env.server.autocomplete(
        ASKER, "who-said", {"query": "war", "author": "Zzyzx Qwerty"}, "author", **bot_env.where
    )
    assert len(choices) <= 25
    assert all(len(c["name"]) <= 100 for c in choices)
    assert "No author or essay matches" in await refused(bot_env, "war", author="Zzyzx Qwerty")


async def test_autocomplete_suggests_authors(bot_env: BotEnv) -> None:
    choices = await bot_env.server.autocomplete(
        ASKER, "who-said", {"query": "war", "author": "mason"}, "author", **bot_env.where
    )
    assert choices and choices[0]["value"] == "Paul Mason"


async def test_context_menu_on_an_image_only_message(bot_env: BotEnv) -> None:
    image = {"filename": "meme.png", "data": b"\x89PNG\r\n\x1a\n", "content_type": "image/png"}
    target = bot_env.server.add_user_message(CHANNEL, OTHER, "", attachments=[image])
    interaction = await bot_env.server.message_command(
        ASKER, "Who said this?", target, guild_id=GUILD, channel_id=CHANNEL
    )
    reply = await interaction.wait_message()
    assert reply.ephemeral and "no text" in reply.content
    await bot_env.settle()
    assert bot_env.rows()[-1].error


@pytest.mark.parametrize(
    "text",
    [
        "blah " * 500 + "the chickens have come home to roost",
        "He said “the chickens have come home to roost” and then “sanctions will hurt workers”.",
    ],
    ids=["too-long", "several-quotes"],
)
async def test_context_menu_opens_a_prefilled_modal(bot_env: BotEnv, text: str) -> None:
    target = bot_env.server.add_user_message(CHANNEL, OTHER, text)
    interaction = await bot_env.server.message_command(
        ASKER, "Who said this?", target, guild_id=GUILD, channel_id=CHANNEL
    )
    response = await interaction.response()
    assert response["type"] == 9  # a modal
    modal = response["data"]
    field = modal["components"][0]["components"][0]
    assert field["value"] == text[: field["max_length"]]
    submitted = await bot_env.server.submit_modal(
        ASKER, modal["custom_id"], {field["custom_id"]: "the chickens have come home to roost"}
    )
    message = await submitted.wait_message()
    assert message.ephemeral  # someone else's message: private
    assert "International Communist League" in bot_env.text(message)


async def test_unexpected_error_gets_an_id(bot_env: BotEnv, monkeypatch: pytest.MonkeyPatch) -> None:
    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("index exploded")

    monkeypatch.setattr(bot_env.client.service, "who_said", broken)
    interaction = await bot_env.who_said("Who said the chickens have come home to roost?")
    reply = await interaction.wait_message()
    assert reply.ephemeral and "error id" in reply.content
    assert "index exploded" not in reply.content
    await bot_env.settle()
    assert "RuntimeError" in (bot_env.rows()[-1].error or "")
    # The public "thinking…" placeholder was removed, so the failure shows to nobody else.
    original = interaction.original
    assert original is None or original.deleted or original.ephemeral
