"""The fake Discord server, proven against the real discord.py 2.7.1 client over HTTP and websockets.

A tiny client defined here (not essaybot) exercises each flow; rejection rules are checked both by
raw HTTP requests and, where it matters, through discord.py's own error handling.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import math
from collections.abc import AsyncIterator
from typing import Any

import discord
import pytest
from discord import app_commands

from fakediscord import (
    MEMBER_PERMISSIONS,
    MODERATOR_PERMISSIONS,
    FakeClock,
    FakeDiscord,
    Message,
    errors_tree,
    fake_discord,
    problems,
    request,
    running_client,
    wait_until,
)

GUILD, CHANNEL, OTHER_CHANNEL, DM_CHANNEL = 500, 501, 502, 503
ALICE, BOB = 601, 602
FRUITS = ["apple", "apricot", "banana", "cherry"]
PRIVILEGED_INTENTS = (1 << 1) | (1 << 8) | (1 << 15)  # members, presences, message content


# the tiny client


class PressView(discord.ui.View):
    def __init__(self) -> None:
        super().__init__(timeout=None)

    @discord.ui.button(label="Press", custom_id="press")
    async def press(self, interaction: discord.Interaction, button: discord.ui.Button[PressView]) -> None:
        await interaction.response.edit_message(content=f"pressed by {interaction.user.name}")

    @discord.ui.select(custom_id="choice", options=[discord.SelectOption(label=f, value=f) for f in FRUITS])
    async def choose(self, interaction: discord.Interaction, select: discord.ui.Select[PressView]) -> None:
        await interaction.response.send_message(f"chose {select.values[0]}", ephemeral=True)


class Feedback(discord.ui.Modal):
    text: discord.ui.TextInput[Feedback] = discord.ui.TextInput(
        label="Your feedback", custom_id="text", max_length=200
    )

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(f"thanks: {self.text.value}", ephemeral=True)


async def fruit_autocomplete(
    interaction: discord.Interaction, current: str
) -> list[app_commands.Choice[str]]:
    return [app_commands.Choice(name=f, value=f) for f in FRUITS if f.startswith(current)]


class TinyBot(discord.Client):
    """One command per flow under test."""

    def __init__(self) -> None:
        super().__init__(intents=discord.Intents.default(), guild_ready_timeout=0.05)
        self.tree = app_commands.CommandTree(self)
        self.release = asyncio.Event()
        self.errors: list[int] = []
        tree = self.tree

        @tree.command(description="Defer, then edit the original response")
        async def slow(interaction: discord.Interaction, text: str) -> None:
            await interaction.response.defer(thinking=True)
            embed = discord.Embed(title="Echo", description=text)
            await interaction.edit_original_response(content=f"echo {text}", embed=embed, view=PressView())

        @tree.command(description="Defer publicly, then send an ephemeral follow-up")
        async def followup(interaction: discord.Interaction) -> None:
            await interaction.response.defer(thinking=True)
            await interaction.followup.send("from the follow-up", ephemeral=True)
            await interaction.followup.send("a second one", ephemeral=True)

        @tree.command(description="Open a modal")
        async def form(interaction: discord.Interaction) -> None:
            await interaction.response.send_modal(Feedback(title="Feedback", custom_id="feedback"))

        @tree.command(description="Autocomplete a fruit")
        @app_commands.autocomplete(fruit=fruit_autocomplete)
        async def pick(interaction: discord.Interaction, fruit: str, count: int = 1) -> None:
            await interaction.response.send_message(f"{count} x {fruit}")

        @tree.command(description="Answer only when the test says so")
        async def hold(interaction: discord.Interaction) -> None:
            await self.release.wait()
            try:
                await interaction.response.send_message("late")
            except discord.HTTPException as exc:
                self.errors.append(exc.code)

        @tree.command(description="Report the caller's permissions")
        async def perms(interaction: discord.Interaction) -> None:
            flag = interaction.permissions.manage_messages
            await interaction.response.send_message(f"manage_messages={flag}", ephemeral=True)

        @tree.command(description="Send a CSV file")
        async def export(interaction: discord.Interaction) -> None:
            import io

            file = discord.File(io.BytesIO(b"a,b\n1,2\n"), filename="rows.csv")
            await interaction.response.send_message("here", file=file)

        async def quote_it(interaction: discord.Interaction, message: discord.Message) -> None:
            sizes = [len(await a.read()) for a in message.attachments]
            await interaction.response.send_message(
                f"{message.author.name}: {message.content} {sizes}", ephemeral=True
            )

        tree.add_command(app_commands.ContextMenu(name="Quote it", callback=quote_it))

    async def setup_hook(self) -> None:
        self.tree.copy_global_to(guild=discord.Object(GUILD))
        await self.tree.sync(guild=discord.Object(GUILD))
        await self.tree.sync()


# fixtures


def build_world(fake: FakeDiscord) -> None:
    fake.add_guild(GUILD, "Essay club", channels=[CHANNEL, OTHER_CHANNEL])
    fake.add_member(GUILD, ALICE, "alice")
    fake.add_member(GUILD, BOB, "bob", permissions=MODERATOR_PERMISSIONS)
    fake.add_dm_channel(DM_CHANNEL, ALICE, "alice")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def server(clock: FakeClock) -> AsyncIterator[FakeDiscord]:
    """A fake server with the world but no client (for raw-HTTP checks)."""
    async with fake_discord(clock=clock) as fake:
        build_world(fake)
        yield fake


@pytest.fixture
async def live(server: FakeDiscord) -> AsyncIterator[tuple[FakeDiscord, TinyBot]]:
    """The fake server with TinyBot connected and ready."""
    async with running_client(server, TinyBot()) as bot:
        yield server, bot


async def slash_raw(fake: FakeDiscord, name: str = "slow", user: int = ALICE) -> Any:
    """An interaction registered on the server but not sent to any client."""
    return await fake.slash(user, name, {"text": "x"}, guild_id=GUILD, channel_id=CHANNEL, deliver=False)


async def callback(fake: FakeDiscord, interaction: Any, body: Any) -> tuple[int, Any]:
    path = f"/interactions/{interaction.id}/{interaction.token}/callback"
    return await request(fake, "POST", path, json=body, query={"with_response": "1"}, token=None)


# start-up


async def test_startup_logs_in_identifies_and_syncs(live: tuple[FakeDiscord, TinyBot]) -> None:
    fake, bot = live
    routes = [(c.method, c.route) for c in fake.calls]
    assert routes[:2] == [("GET", "/users/@me"), ("GET", "/oauth2/applications/@me")]
    assert ("PUT", "/applications/{app}/guilds/{guild_id}/commands") in routes
    assert ("PUT", "/applications/{app}/commands") in routes
    assert {c["name"] for c in fake.commands[GUILD]} == {
        "slow",
        "followup",
        "form",
        "pick",
        "hold",
        "perms",
        "export",
        "Quote it",
    }
    assert all(c["application_id"] == str(fake.application_id) and c["id"] for c in fake.commands[None])
    assert fake.session is not None and fake.session.identify is not None
    assert fake.session.intents & PRIVILEGED_INTENTS == 0
    assert fake.heartbeats, "discord.py sends a heartbeat right after HELLO"
    assert (
        bot.application_id == fake.application_id and bot.user is not None and bot.user.id == fake.bot_user_id
    )
    guild = bot.get_guild(GUILD)
    assert guild is not None and guild.get_channel(CHANNEL) is not None and guild.me is not None
    assert not fake.rejections


async def test_sync_echoes_stable_ids(live: tuple[FakeDiscord, TinyBot]) -> None:
    fake, bot = live
    before = {c["name"]: c["id"] for c in fake.commands[GUILD]}
    synced = await bot.tree.sync(guild=discord.Object(GUILD))
    assert {c.name: str(c.id) for c in synced} == before


# flows


async def test_slash_defers_then_edits_original(live: tuple[FakeDiscord, TinyBot]) -> None:
    fake, _ = live
    interaction = await fake.slash(ALICE, "slow", {"text": "hello"}, guild_id=GUILD, channel_id=CHANNEL)
    assert await interaction.response() == {"type": 5}
    message = await interaction.wait_message()
    assert message is interaction.original and not message.loading and not message.ephemeral
    assert message.content == "echo hello" and message.embeds[0]["description"] == "hello"
    assert message.custom_ids() == ["press", "choice"]
    (patch,) = fake.calls_to("/webhooks/{app}/{token}/messages/{message_id}", "PATCH")
    assert patch.path.endswith("/messages/@original") and patch.json["content"] == "echo hello"
    assert message.edits == [patch.json]
    assert interaction.acknowledged_at == fake.clock()
    assert interaction.ack_latency is not None and interaction.answer_latency is not None
    assert not fake.rejections


async def test_button_click_is_routed_to_the_view(live: tuple[FakeDiscord, TinyBot]) -> None:
    fake, _ = live
    asked = await fake.slash(ALICE, "slow", {"text": "hi"}, guild_id=GUILD, channel_id=CHANNEL)
    message = await asked.wait_message()
    click = await fake.click(BOB, message, "press")
    assert (await click.response())["type"] == 7
    assert message.content == "pressed by bob" and len(message.edits) == 2
    assert click.original is message and await click.wait_message() is message
    with pytest.raises(LookupError):
        await fake.click(BOB, message, "no-such-button")
    assert not fake.rejections


async def test_select_answers_with_an_ephemeral_message(live: tuple[FakeDiscord, TinyBot]) -> None:
    fake, _ = live
    message = await (
        await fake.slash(ALICE, "slow", {"text": "hi"}, guild_id=GUILD, channel_id=CHANNEL)
    ).wait_message()
    chosen = await fake.select(ALICE, message, "choice", ["banana"])
    answer = await chosen.wait_message()
    assert answer.content == "chose banana" and answer.ephemeral
    with pytest.raises(ValueError):
        await fake.select(ALICE, message, "choice", ["durian"])


async def test_modal_round_trip(live: tuple[FakeDiscord, TinyBot]) -> None:
    fake, _ = live
    opened = await fake.slash(ALICE, "form", guild_id=GUILD, channel_id=CHANNEL)
    response = await opened.response()
    assert response["type"] == 9 and response["data"]["title"] == "Feedback"
    with pytest.raises(ValueError):
        await fake.submit_modal(ALICE, "feedback", {"text": "x" * 201})
    submitted = await fake.submit_modal(ALICE, "feedback", {"text": "great bot"})
    answer = await submitted.wait_message()
    assert answer.content == "thanks: great bot" and answer.ephemeral
    with pytest.raises(LookupError):
        await fake.submit_modal(BOB, "feedback", {"text": "never shown to bob"})


async def test_autocomplete_returns_the_bots_choices(live: tuple[FakeDiscord, TinyBot]) -> None:
    fake, _ = live
    choices = await fake.autocomplete(
        ALICE, "pick", {"fruit": "ap"}, "fruit", guild_id=GUILD, channel_id=CHANNEL
    )
    assert choices == [{"name": "apple", "value": "apple"}, {"name": "apricot", "value": "apricot"}]
    picked = await fake.slash(
        ALICE, "pick", {"fruit": "cherry", "count": 3}, guild_id=GUILD, channel_id=CHANNEL
    )
    assert (await picked.wait_message()).content == "3 x cherry"
    assert picked.payload["data"]["options"][1] == {"name": "count", "type": 4, "value": 3}


async def test_message_command_reads_target_and_attachment(live: tuple[FakeDiscord, TinyBot]) -> None:
    fake, _ = live
    target = fake.add_user_message(
        CHANNEL, BOB, "the owl of Minerva", attachments=[{"filename": "notes.txt", "data": "12345"}]
    )
    interaction = await fake.message_command(ALICE, "Quote it", target, guild_id=GUILD, channel_id=CHANNEL)
    answer = await interaction.wait_message()
    assert answer.content == "bob: the owl of Minerva [5]" and answer.ephemeral
    assert interaction.payload["data"]["target_id"] == target["id"]


async def test_member_permissions_drive_interaction_permissions(live: tuple[FakeDiscord, TinyBot]) -> None:
    fake, _ = live
    member = await fake.slash(ALICE, "perms", guild_id=GUILD, channel_id=CHANNEL)
    moderator = await fake.slash(BOB, "perms", guild_id=GUILD, channel_id=CHANNEL)
    assert (await member.wait_message()).content == "manage_messages=False"
    assert (await moderator.wait_message()).content == "manage_messages=True"
    assert member.payload["member"]["permissions"] == str(MEMBER_PERMISSIONS)


async def test_dm_interaction_carries_user_not_member(live: tuple[FakeDiscord, TinyBot]) -> None:
    fake, _ = live
    interaction = await fake.slash(ALICE, "pick", {"fruit": "apple"}, guild_id=None, channel_id=DM_CHANNEL)
    assert (await interaction.wait_message()).content == "1 x apple"
    assert "member" not in interaction.payload and interaction.payload["user"]["id"] == str(ALICE)


async def test_first_followup_fills_the_thinking_message(live: tuple[FakeDiscord, TinyBot]) -> None:
    fake, _ = live
    interaction = await fake.slash(ALICE, "followup", guild_id=GUILD, channel_id=CHANNEL)
    answer = await interaction.wait_message()
    (second,) = await interaction.wait_followups(1)
    # Discord keeps the defer's (public) visibility for the message that replaces "thinking".
    assert answer is interaction.original and answer.content == "from the follow-up" and not answer.ephemeral
    assert second.content == "a second one" and second.ephemeral


async def test_multipart_file_upload(live: tuple[FakeDiscord, TinyBot]) -> None:
    fake, _ = live
    interaction = await fake.slash(ALICE, "export", guild_id=GUILD, channel_id=CHANNEL)
    message = await interaction.wait_message()
    (call,) = fake.calls_to("/interactions/{interaction_id}/{token}/callback")
    assert call.json["data"]["content"] == "here" and call.files[0].data == b"a,b\n1,2\n"
    assert message.attachments[0]["filename"] == "rows.csv" and message.attachments[0]["size"] == 8


async def test_guild_added_later_reaches_the_client(live: tuple[FakeDiscord, TinyBot]) -> None:
    fake, bot = live
    fake.add_guild(777, "Late guild", channels=[778])
    late = await wait_until(lambda: bot.get_guild(777), "GUILD_CREATE to reach the client")
    assert late.name == "Late guild" and late.get_channel(778) is not None


async def test_gateway_resume_after_reconnect(live: tuple[FakeDiscord, TinyBot]) -> None:
    fake, _ = live
    first = fake.session
    await fake.reconnect()
    await wait_until(lambda: fake.session is not first, "the client to reconnect")
    assert (
        fake.session is not first and fake.session is not None and fake.session.session_id == first.session_id
    )
    interaction = await fake.slash(ALICE, "pick", {"fruit": "apple"}, guild_id=GUILD, channel_id=CHANNEL)
    assert (await interaction.wait_message()).content == "1 x apple"


async def test_heartbeats_are_acknowledged_and_measured() -> None:
    async with fake_discord(heartbeat_interval_ms=40) as fake:
        build_world(fake)
        async with running_client(fake, TinyBot()) as bot:
            # Real heartbeats at a short interval: wait for three, however long a loaded machine takes.
            await wait_until(lambda: len(fake.heartbeats) >= 3, "three heartbeats")
            # discord.py measures its latency from the ACK: finite once a heartbeat was acknowledged.
            await wait_until(lambda: math.isfinite(bot.latency), "a heartbeat ACK")
            delay = fake.max_heartbeat_delay()
            # Measured, not bounded: how late a heartbeat may be depends on the machine's load.
            assert isinstance(delay, float) and delay >= 0.0


async def test_clean_shutdown_leaves_no_unclosed_session(
    caplog: pytest.LogCaptureFixture, clock: FakeClock
) -> None:
    with caplog.at_level(logging.ERROR, logger="asyncio"):
        async with fake_discord(clock=clock) as fake:
            build_world(fake)
            async with running_client(fake, TinyBot()) as bot:
                pass
        gc.collect()
    assert bot.is_closed() and bot.http._HTTPClient__session.closed  # type: ignore[attr-defined]
    assert "Unclosed" not in caplog.text


# rejections through the client


async def test_initial_response_after_three_seconds_is_unknown_interaction(
    live: tuple[FakeDiscord, TinyBot], clock: FakeClock
) -> None:
    fake, bot = live
    interaction = await fake.slash(ALICE, "hold", guild_id=GUILD, channel_id=CHANNEL)
    clock.advance(3.01)
    bot.release.set()
    await wait_until(lambda: bot.errors, "the client's error")
    assert bot.errors == [10062] and interaction.callback is None
    (rejection,) = fake.rejections
    assert rejection.status == 404 and rejection.reason == "initial response after 3 s"


# rejections over raw HTTP


async def test_answering_twice(server: FakeDiscord) -> None:
    interaction = await slash_raw(server)
    assert (await callback(server, interaction, {"type": 4, "data": {"content": "one"}}))[0] == 200
    status, body = await callback(server, interaction, {"type": 4, "data": {"content": "two"}})
    assert (status, body["code"]) == (400, 40060)
    assert body["message"] == "Interaction has already been acknowledged."
    assert [r.code for r in server.rejections] == [40060]


async def test_callback_response_shape(server: FakeDiscord) -> None:
    interaction = await slash_raw(server)
    status, body = await callback(server, interaction, {"type": 5, "data": {"flags": 64}})
    assert status == 200
    assert body["interaction"]["response_message_loading"] is True
    assert body["interaction"]["response_message_ephemeral"] is True
    assert (
        body["resource"]["type"] == 5
        and body["resource"]["message"]["id"] == body["interaction"]["response_message_id"]
    )
    status, _ = await request(
        server,
        "POST",
        f"/interactions/{interaction.id}/{interaction.token}/callback",
        json={"type": 4},
        token=None,
    )
    assert status == 400


async def test_followup_or_edit_before_acknowledgement(server: FakeDiscord) -> None:
    interaction = await slash_raw(server)
    hook = f"/webhooks/{server.application_id}/{interaction.token}"
    status, body = await request(
        server, "POST", hook, json={"content": "early"}, query={"wait": "1"}, token=None
    )
    assert (status, body["code"]) == (404, 10015)
    status, body = await request(
        server, "PATCH", hook + "/messages/@original", json={"content": "early"}, token=None
    )
    assert (status, body["code"]) == (404, 10015)
    assert {r.reason for r in server.rejections} == {"webhook used before the interaction was acknowledged"}


async def test_initial_response_after_three_seconds(server: FakeDiscord, clock: FakeClock) -> None:
    interaction = await slash_raw(server)
    clock.advance(3.5)
    status, body = await callback(server, interaction, {"type": 5})
    assert (status, body["code"], body["message"]) == (404, 10062, "Unknown interaction")


async def test_token_expires_after_fifteen_minutes(server: FakeDiscord, clock: FakeClock) -> None:
    interaction = await slash_raw(server)
    assert (await callback(server, interaction, {"type": 5}))[0] == 200
    hook = f"/webhooks/{server.application_id}/{interaction.token}"
    clock.advance(14 * 60)
    assert (await request(server, "PATCH", hook + "/messages/@original", json={"content": "ok"}, token=None))[
        0
    ] == 200
    clock.advance(61)
    for method, path in (("POST", hook), ("PATCH", hook + "/messages/@original")):
        status, body = await request(server, method, path, json={"content": "too late"}, token=None)
        assert (status, body["code"]) == (404, 10015)
    assert {r.reason for r in server.rejections} == {"interaction token used after 15 minutes"}


def _button(custom_id: str = "b", label: str = "ok") -> dict[str, Any]:
    return {"type": 2, "style": 1, "custom_id": custom_id, "label": label}


def _row(*components: dict[str, Any]) -> dict[str, Any]:
    return {"type": 1, "components": list(components)}


def _select(n_options: int = 2, **overrides: Any) -> dict[str, Any]:
    options = [{"label": f"o{i}", "value": f"v{i}"} for i in range(n_options)]
    return {"type": 3, "custom_id": "s", "options": options, **overrides}


FORM_ERRORS: list[tuple[str, dict[str, Any], str]] = [
    ("content over 2000", {"content": "x" * 2001}, "data.content"),
    (
        "custom_id over 100",
        {"components": [_row(_button("c" * 101))]},
        "data.components.0.components.0.custom_id",
    ),
    (
        "button label over 80",
        {"components": [_row(_button(label="l" * 81))]},
        "data.components.0.components.0.label",
    ),
    ("six action rows", {"components": [_row(_button(f"b{i}")) for i in range(6)]}, "data.components"),
    (
        "six buttons in a row",
        {"components": [_row(*(_button(f"b{i}") for i in range(6)))]},
        "data.components.0.components",
    ),
    ("26 select options", {"components": [_row(_select(26))]}, "data.components.0.components.0.options"),
    (
        "option label over 100",
        {"components": [_row(_select(options=[{"label": "l" * 101, "value": "v"}]))]},
        "data.components.0.components.0.options.0.label",
    ),
    (
        "option value over 100",
        {"components": [_row(_select(options=[{"label": "l", "value": "v" * 101}]))]},
        "data.components.0.components.0.options.0.value",
    ),
    (
        "option description over 100",
        {"components": [_row(_select(options=[{"label": "l", "value": "v", "description": "d" * 101}]))]},
        "data.components.0.components.0.options.0.description",
    ),
    (
        "placeholder over 150",
        {"components": [_row(_select(placeholder="p" * 151))]},
        "data.components.0.components.0.placeholder",
    ),
    ("eleven embeds", {"embeds": [{"title": "t"}] * 11}, "data.embeds"),
    ("embed title over 256", {"embeds": [{"title": "t" * 257}]}, "data.embeds.0.title"),
    ("embed description over 4096", {"embeds": [{"description": "d" * 4097}]}, "data.embeds.0.description"),
    ("26 embed fields", {"embeds": [{"fields": [{"name": "n", "value": "v"}] * 26}]}, "data.embeds.0.fields"),
    (
        "field name over 256",
        {"embeds": [{"fields": [{"name": "n" * 257, "value": "v"}]}]},
        "data.embeds.0.fields.0.name",
    ),
    (
        "field value over 1024",
        {"embeds": [{"fields": [{"name": "n", "value": "v" * 1025}]}]},
        "data.embeds.0.fields.0.value",
    ),
    ("footer over 2048", {"embeds": [{"footer": {"text": "f" * 2049}}]}, "data.embeds.0.footer.text"),
    ("author name over 256", {"embeds": [{"author": {"name": "a" * 257}}]}, "data.embeds.0.author.name"),
    (
        "6001 characters in all embeds",
        {"embeds": [{"description": "d" * 4000}, {"description": "d" * 2001}]},
        "data.embeds",
    ),
]


@pytest.mark.parametrize(("case", "data", "path"), FORM_ERRORS, ids=[c[0] for c in FORM_ERRORS])
async def test_form_errors_are_refused(
    server: FakeDiscord, case: str, data: dict[str, Any], path: str
) -> None:
    interaction = await slash_raw(server)
    status, body = await callback(server, interaction, {"type": 4, "data": data})
    assert (status, body["code"], body["message"]) == (400, 50035, "Invalid Form Body")
    node = body["errors"]
    for part in path.split("."):
        node = node[part]
    assert node["_errors"], case
    assert interaction.callback is None, "a refused callback does not acknowledge"
    assert (await callback(server, interaction, {"type": 4, "data": {"content": "fixed"}}))[0] == 200


@pytest.mark.parametrize(
    ("modal", "path"),
    [
        ({"title": "t" * 46}, "data.title"),
        ({"label": "l" * 46}, "data.components.0.components.0.label"),
        ({"value": "v" * 4001}, "data.components.0.components.0.value"),
    ],
)
async def test_modal_limits(server: FakeDiscord, modal: dict[str, Any], path: str) -> None:
    text_input = {"type": 4, "custom_id": "t", "style": 1, "label": modal.get("label", "Label")}
    if "value" in modal:
        text_input["value"] = modal["value"]
    data = {"custom_id": "m", "title": modal.get("title", "Title"), "components": [_row(text_input)]}
    status, body = await callback(server, await slash_raw(server), {"type": 9, "data": data})
    assert (status, body["code"]) == (400, 50035)
    node = body["errors"]
    for part in path.split("."):
        node = node[part]
    assert node["_errors"]


async def test_other_refusals(server: FakeDiscord) -> None:
    interaction = await slash_raw(server)
    status, body = await callback(server, interaction, {"type": 4, "data": {}})
    assert (status, body["code"]) == (400, 50006)
    status, body = await callback(
        server, interaction, {"type": 7, "data": {"content": "no message to update"}}
    )
    assert (status, body["code"]) == (400, 50035)
    status, body = await request(server, "GET", "/no/such/route")
    assert (status, body["code"]) == (404, 0)
    assert server.rejections[-1].reason == "unknown route GET /no/such/route"
    status, body = await request(server, "GET", "/users/@me", token=None)
    assert status == 401
    assert all(c.status != 429 for c in server.calls)


async def test_ephemeral_message_is_not_reachable_through_the_channel(server: FakeDiscord) -> None:
    interaction = await slash_raw(server)
    _, body = await callback(server, interaction, {"type": 4, "data": {"content": "secret", "flags": 64}})
    message_id = body["interaction"]["response_message_id"]
    status, body = await request(server, "GET", f"/channels/{CHANNEL}/messages/{message_id}")
    assert (status, body["code"]) == (404, 10008)
    assert server.messages[int(message_id)].ephemeral


async def test_channel_messages(server: FakeDiscord) -> None:
    status, created = await request(
        server, "POST", f"/channels/{CHANNEL}/messages", json={"content": "hello"}
    )
    assert status == 200 and created["author"]["id"] == str(server.bot_user_id)
    path = f"/channels/{CHANNEL}/messages/{created['id']}"
    status, edited = await request(server, "PATCH", path, json={"components": [_row(_button())]})
    assert status == 200 and edited["content"] == "hello" and edited["components"]
    assert (await request(server, "DELETE", path))[0] == 204
    message: Message = server.messages[int(created["id"])]
    assert message.deleted and len(message.edits) == 1
    assert (await request(server, "GET", path))[0] == 404
    status, _ = await request(
        server, "POST", f"/channels/{CHANNEL}/messages", json={"content": "x", "flags": 64}
    )
    assert status == 400


# the pure validator


@pytest.mark.parametrize(("case", "data", "path"), FORM_ERRORS, ids=[c[0] for c in FORM_ERRORS])
def test_problems_finds_each_limit(case: str, data: dict[str, Any], path: str) -> None:
    found = problems(data)
    assert any(f.startswith(path.removeprefix("data.") + ":") for f in found), (case, found)


def test_problems_accepts_a_rich_valid_message() -> None:
    payload = {
        "content": "c" * 2000,
        "embeds": [
            {
                "title": "t" * 256,
                "description": "d" * 3000,
                "fields": [{"name": "n", "value": "v" * 1024}] * 2,
            }
        ],
        "components": [_row(*(_button(f"b{i}") for i in range(5))), _row(_select(25, max_values=3))],
        "allowed_mentions": {"parse": []},
    }
    assert problems(payload) == []


def test_problems_reports_paths_like_discord() -> None:
    found = problems(
        {"embeds": [{"fields": [{"name": "", "value": "v"}]}], "components": [_row(_button(), _button())]}
    )
    assert "embeds.0.fields.0.name: Must be between 1 and 256 in length." in found
    assert any(f.startswith("components.0.components.1.custom_id") for f in found)  # duplicate custom_id
    tree = errors_tree(["embeds.0.title: Must be 256 or fewer in length."])
    assert tree == {
        "embeds": {
            "0": {
                "title": {
                    "_errors": [
                        {"code": "BASE_TYPE_MAX_LENGTH", "message": "Must be 256 or fewer in length."}
                    ]
                }
            }
        }
    }


def test_problems_for_modals_choices_and_commands() -> None:
    assert problems({"choices": [{"name": "n", "value": "v"}] * 26}, kind="autocomplete")
    assert problems({"title": "ok", "custom_id": "m", "components": []}, kind="modal")
    assert problems([{"name": "Bad Name", "description": "d"}], kind="commands")
    assert problems(
        [
            {
                "name": "ok",
                "description": "d",
                "options": [
                    {"name": "a", "description": "d", "type": 3},
                    {"name": "b", "description": "d", "type": 3, "required": True},
                ],
            }
        ],
        kind="commands",
    )
    assert problems([{"name": "Who said this?", "type": 3}], kind="commands") == []
