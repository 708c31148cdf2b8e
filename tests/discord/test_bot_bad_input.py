"""Bad input over the wire: each case gets a clear private error, is logged, and breaks nothing."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from botenv import ASKER, CHANNEL, GUILD, OTHER, BotEnv, bot_settings, discord_settings
from fakediscord import iter_components

pytestmark = pytest.mark.model


async def refused(bot_env: BotEnv, query: str, **kwargs: Any) -> str:
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
    ],
    ids=["blank", "zero-width", "control"],
)
async def test_unusable_queries(bot_env: BotEnv, query: str, says: str) -> None:
    assert says in await refused(bot_env, query)


def synced_option(bot_env: BotEnv, command: str, option: str) -> dict[str, Any]:
    """An option of a command as the bot synced it to the test guild."""
    (definition,) = [c for c in bot_env.server.commands[GUILD] if c["name"] == command]
    (found,) = [o for o in definition["options"] if o["name"] == option]
    return dict(found)


@pytest.mark.parametrize(
    "expected",
    [
        pytest.param(2000, id="default"),
        pytest.param(500, marks=bot_settings(max_query_chars=500), id="500"),
        pytest.param(6000, marks=bot_settings(max_query_chars=9000), id="capped-at-6000"),
    ],
)
async def test_query_options_declare_the_configured_length(bot_env: BotEnv, expected: int) -> None:
    # Discord then stops the member typing more than the bot accepts, instead of a refusal after.
    lengths = {
        (c, o): synced_option(bot_env, c, o)["max_length"]
        for c, o in (("who-said", "query"), ("compare", "topic"), ("positions", "topic"))
    }
    assert set(lengths.values()) == {expected}, lengths
    with pytest.raises(ValueError, match=f"at most {expected}"):
        await bot_env.who_said("x" * (expected + 1))


async def test_over_long_query_from_an_outdated_client_is_refused(bot_env: BotEnv) -> None:
    # A member whose Discord still holds the old definition (max_length 6000) can send more.
    says = await refused(bot_env, "x" * 6000, client_checks=False)
    assert "limit is 2,000" in says


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

    monkeypatch.setattr(bot_env.client.service, "answer_who_said", broken)
    interaction = await bot_env.who_said("Who said the chickens have come home to roost?")
    reply = await interaction.wait_message()
    assert reply.ephemeral and "error id" in reply.content
    assert "index exploded" not in reply.content
    await bot_env.settle()
    assert "RuntimeError" in (bot_env.rows()[-1].error or "")
    # The public "thinking…" placeholder was removed, so the failure shows to nobody else.
    original = interaction.original
    assert original is None or original.deleted or original.ephemeral


EDIT_ORIGINAL = "/webhooks/{app}/{token}/messages/{message_id}"
CALLBACK = "/interactions/{interaction_id}/{token}/callback"
CHICKENS = "Who said the chickens have come home to roost?"


def bot_errors(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    """ERROR records, and any record carrying a traceback, logged by the bot."""
    return [
        r
        for r in caplog.records
        if r.name.startswith("bot.") and (r.levelno >= logging.ERROR or r.exc_info is not None)
    ]


async def test_placeholder_that_cannot_be_removed_means_no_error_rather_than_a_public_one(
    bot_env: BotEnv,
) -> None:
    # The edit is refused outright (a form error: no retries), and so is removing the placeholder.
    bot_env.server.fail("PATCH", EDIT_ORIGINAL, status=400, code=50035, path_endswith="/@original")
    bot_env.server.fail("DELETE", EDIT_ORIGINAL, status=403, code=50013, path_endswith="/@original")
    interaction = await bot_env.who_said(CHICKENS)
    await bot_env.settle()
    assert interaction.followups == []
    original = interaction.original
    assert original is not None and original.loading and not original.has_body()  # still "thinking…"
    assert not any("⚠️" in m.content for m in bot_env.server.messages.values())


@pytest.mark.parametrize(
    ("name", "options"),
    [("who-said", {"text": "the chickens"}), ("ask", {"query": "the chickens"})],
    ids=["signature-changed", "unknown-name"],
)
async def test_outdated_command_is_answered_privately_without_a_traceback(
    bot_env: BotEnv, caplog: pytest.LogCaptureFixture, name: str, options: dict[str, Any]
) -> None:
    # For up to an hour after a global sync, a member's Discord may send the old shape or an old name.
    caplog.set_level(logging.INFO)
    interaction = await bot_env.server.slash(ASKER, name, options, **bot_env.where)
    reply = await interaction.wait_message()
    assert reply.ephemeral and "just updated" in reply.content
    assert "try again in a minute" in reply.content.lower()
    assert "error id" not in reply.content
    await bot_env.settle()
    assert bot_errors(caplog) == []
    assert any(r.levelno == logging.WARNING and "outdated command" in r.getMessage() for r in caplog.records)


async def test_outdated_context_menu_and_autocomplete(
    bot_env: BotEnv, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    target = bot_env.server.add_user_message(CHANNEL, OTHER, "the chickens have come home to roost")
    menu = await bot_env.server.message_command(
        ASKER, "Attribute this", target, guild_id=GUILD, channel_id=CHANNEL
    )
    reply = await menu.wait_message()
    assert reply.ephemeral and "just updated" in reply.content
    # Autocomplete of a command the bot no longer has: an empty list, never a message.
    choices = await bot_env.server.autocomplete(
        ASKER, "ask", {"query": "x", "who": "mas"}, "who", **bot_env.where
    )
    assert choices == []
    await bot_env.settle()
    assert bot_errors(caplog) == []


@pytest.mark.parametrize("custom_id", ["v1:next", "eb:abc", "eb:abc:next:extra", "eb:abc:next", "x" * 100])
async def test_unknown_button_is_answered_like_an_expired_one(bot_env: BotEnv, custom_id: str) -> None:
    # A message from an older version of the bot, or a forged component: never "This interaction failed".
    row = {"type": 1, "components": [{"type": 2, "style": 2, "label": "Next", "custom_id": custom_id}]}
    old = bot_env.server.new_message(CHANNEL, {"content": "an old answer", "components": [row]}, [])
    press = await bot_env.server.click(OTHER, old, custom_id)
    reply = await press.wait_message()
    assert reply.ephemeral and "expired" in reply.content
    await bot_env.settle()
    assert len(bot_env.server.calls_to(CALLBACK)) == 1


async def test_unknown_action_on_a_live_answer_is_answered(bot_env: BotEnv) -> None:
    answer = await bot_env.answer(await bot_env.who_said(CHICKENS))
    key = bot_env.custom_id(answer, "context").split(":")[1]
    forged = f"eb:{key}:launch"
    row = {"type": 1, "components": [{"type": 2, "style": 2, "label": "Launch", "custom_id": forged}]}
    decoy = bot_env.server.new_message(CHANNEL, {"content": "decoy", "components": [row]}, [])
    press = await bot_env.server.click(OTHER, decoy, forged)
    assert (await press.wait_message()).ephemeral
    # The live answer's own buttons still work.
    context = await bot_env.server.click(OTHER, answer, bot_env.custom_id(answer, "context"))
    assert (await context.wait_message()).ephemeral


@discord_settings(owner_ids=[ASKER])
async def test_positions_labels_are_cut_at_a_word_with_an_ellipsis(bot_env: BotEnv) -> None:
    long_name = (
        "Paul Mason of the Extraordinarily Long Editorial Collective for Comparative Studies in "
        "Political Economy"
    )
    edit = await bot_env.server.slash(
        ASKER,
        "essays",
        {"essay": "mason-2022-marxist-position", "authors": long_name},
        subcommand="edit",
        **bot_env.where,
    )
    assert "Edited" in (await edit.wait_message(timeout=60)).content
    interaction = await bot_env.server.slash(ASKER, "positions", {"topic": "sanctions"}, **bot_env.where)
    message = await bot_env.answer(interaction)
    labels = [c["label"] for c in iter_components(message.components) if ":expand" in c.get("custom_id", "")]
    (cut,) = [label for label in labels if label.startswith("Paul Mason of")]
    assert len(cut) <= 80 and cut.endswith("…")
    assert long_name.startswith(cut[:-1].rstrip()) and long_name[len(cut[:-1].rstrip())] == " "
