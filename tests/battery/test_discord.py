"""Battery: bad input and faults through the real discord.py client against the fake Discord.

Each bad-input case gets a short private reply with no traceback in it, shows nothing to anyone else,
and leaves the library (essays, passages, curation, settings, the index) exactly as it was; only the
interaction log grows, by design. Each fault case (Discord failing or rate-limiting a request, an
interaction that expired, a command the member's Discord has not caught up with) ends with the member
answered privately or, where Discord allows no answer, with nothing public and nothing worse than a
warning line in the log.
"""

from __future__ import annotations

import hashlib
import logging
import sqlite3
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bot.core.essaybot import Essaybot

# tests/discord is not a package (its modules are imported by name); its helpers serve here too.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "discord"))
from botenv import ASKER, CHANNEL, GUILD, OTHER, BotEnv, running_bot
from fakediscord.models import Interaction, Message

pytestmark = pytest.mark.model

REPLY_MAX = 300  # a reply a member reads at a glance
EDIT_ORIGINAL = "/webhooks/{app}/{token}/messages/{message_id}"
CALLBACK = "/interactions/{interaction_id}/{token}/callback"
CHICKENS = "Who said the chickens have come home to roost?"
ICL = "International Communist League"
LOG_TABLES = {"interactions", "feedback"}  # what an interaction is meant to change


@pytest.fixture
async def bot_env(
    request: pytest.FixtureRequest, clone_seeded: Callable[[str], Path], seeded_app: Essaybot
) -> AsyncIterator[BotEnv]:
    """The same connected bot as tests/discord's ``bot_env``."""
    async with running_bot(request, clone_seeded, seeded_app) as env:
        yield env


def library_digest(data_dir: Path) -> str:
    """SHA-256 over every database's rows except the interaction log, and every index file's bytes."""
    h = hashlib.sha256()
    for path in sorted(data_dir.rglob("*.db")):
        h.update(f"db {path.relative_to(data_dir)}\n".encode())
        conn = sqlite3.connect(path)
        try:
            tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
            for table in sorted(set(tables) - LOG_TABLES):
                rows = sorted(repr(r) for r in conn.execute(f'SELECT * FROM "{table}"'))
                h.update(f"{table}:{len(rows)}\n".encode() + "\n".join(rows).encode("utf-8", "replace"))
        finally:
            conn.close()
    for path in sorted(p for p in data_dir.rglob("*") if p.is_file() and "index" in p.parts):
        h.update(f"file {path.relative_to(data_dir)}\n".encode() + hashlib.sha256(path.read_bytes()).digest())
    return h.hexdigest()


def public_bot_messages(bot_env: BotEnv) -> set[int]:
    """Ids of the bot's messages everyone in the channels can see now."""
    return {m.id for m in bot_env.server.messages.values() if not m.deleted and not m.ephemeral}


def bot_errors(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    """ERROR records, and any record carrying a traceback, logged by the bot."""
    return [
        r
        for r in caplog.records
        if r.name.startswith("bot.") and (r.levelno >= logging.ERROR or r.exc_info is not None)
    ]


def assert_short_private_reply(reply: Message, *, says: str) -> None:
    """One short private line that says what went wrong, with no traceback and no error id."""
    text = reply.content
    assert reply.ephemeral, f"a public reply: {text!r}"
    assert says.lower() in text.lower(), text
    assert len(text) <= REPLY_MAX, f"{len(text)} characters"
    assert "Traceback" not in text and 'File "' not in text
    assert "error id" not in text, "treated as a bug of ours"
    assert not reply.embeds


@dataclass
class Case:
    """One bad input: what the member does, and a word the private reply must contain."""

    act: Callable[[BotEnv], Awaitable[Interaction]]
    says: str
    prepare: Callable[[BotEnv], None] | None = None  # the world before the case (an old message)


def _who_said(query: str, **options: Any) -> Callable[[BotEnv], Awaitable[Interaction]]:
    async def act(bot_env: BotEnv) -> Interaction:
        return await bot_env.who_said(query, **options)

    return act


def _slash(name: str, options: dict[str, Any]) -> Callable[[BotEnv], Awaitable[Interaction]]:
    async def act(bot_env: BotEnv) -> Interaction:
        return await bot_env.server.slash(ASKER, name, options, client_checks=False, **bot_env.where)

    return act


def _press(custom_id: str) -> Callable[[BotEnv], Awaitable[Interaction]]:
    async def act(bot_env: BotEnv) -> Interaction:
        (old,) = [m for m in bot_env.server.messages.values() if custom_id in m.custom_ids()]
        return await bot_env.server.click(OTHER, old, custom_id)

    return act


def _old_message(custom_id: str) -> Callable[[BotEnv], None]:
    """A message with a component the running bot never made (an older version's, or a forged one)."""

    def prepare(bot_env: BotEnv) -> None:
        row = {"type": 1, "components": [{"type": 2, "style": 2, "label": "Next", "custom_id": custom_id}]}
        bot_env.server.new_message(CHANNEL, {"content": "an old answer", "components": [row]}, [])

    return prepare


def _menu(name: str, text: str) -> Callable[[BotEnv], Awaitable[Interaction]]:
    async def act(bot_env: BotEnv) -> Interaction:
        target = bot_env.server.add_user_message(CHANNEL, OTHER, text)
        return await bot_env.server.message_command(ASKER, name, target, guild_id=GUILD, channel_id=CHANNEL)

    return act


BAD_INPUT = {
    # A member whose Discord still has the 6000-character definition can send more than the limit.
    "over-long-query": Case(_who_said("x" * 6000, client_checks=False), "limit is 2,000"),
    "over-long-topic": Case(_slash("positions", {"topic": "y " * 2500}), "limit is 2,000"),
    "control-characters": Case(_who_said("\x00\x01\x02\x1b\x7f"), "empty"),
    "lone-surrogate": Case(_who_said("\ud800 the chickens have come home"), "not valid text"),
    "zero-width-only": Case(_who_said("\u200b\u200c\u200d\ufeff"), "empty"),
    "blank-topic": Case(_slash("positions", {"topic": "   "}), "empty"),
    "unknown-author": Case(_who_said("war", author="Zzyzx Qwerty"), "No author or essay matches"),
    "unknown-compare-side": Case(
        _slash("compare", {"a": "Paul Mason", "b": "Nobody Atall", "topic": "war"}), "Nobody Atall"
    ),
    "unknown-button-shape": Case(_press("v1:answer:next"), "expired", _old_message("v1:answer:next")),
    "unknown-button-key": Case(
        _press("eb:0123456789ab:next"), "expired", _old_message("eb:0123456789ab:next")
    ),
    "forged-long-button": Case(_press("eb:" + "k" * 97), "expired", _old_message("eb:" + "k" * 97)),
    "stale-command-shape": Case(_slash("who-said", {"text": "the chickens"}), "just updated"),
    "stale-command-name": Case(_slash("ask", {"query": "the chickens"}), "just updated"),
    "stale-context-menu": Case(
        _menu("Attribute this", "the chickens have come home to roost"), "just updated"
    ),
    "image-only-message": Case(_menu("Who said this?", ""), "no text"),
}


@pytest.mark.parametrize("case", BAD_INPUT.values(), ids=BAD_INPUT.keys())
async def test_bad_input_gets_a_short_private_reply_and_changes_nothing(
    bot_env: BotEnv, caplog: pytest.LogCaptureFixture, case: Case
) -> None:
    caplog.set_level(logging.INFO)
    if case.prepare is not None:
        case.prepare(bot_env)
    before, public_before = library_digest(bot_env.app.settings.data_dir), public_bot_messages(bot_env)
    interaction = await case.act(bot_env)
    reply = await interaction.wait_message(timeout=60)
    assert_short_private_reply(reply, says=case.says)
    await bot_env.settle()
    assert public_bot_messages(bot_env) == public_before, "a message everyone can see appeared"
    assert library_digest(bot_env.app.settings.data_dir) == before
    assert bot_errors(caplog) == []


# faults


async def test_discord_500s_on_the_edit_then_recovery_still_answer_in_public(
    bot_env: BotEnv, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    fault = bot_env.server.fail("PATCH", EDIT_ORIGINAL, status=500, times=2, path_endswith="/@original")
    interaction = await bot_env.who_said(CHICKENS)
    answer = await interaction.wait_message(timeout=60)  # discord.py retries after 1 s, then 3 s
    assert fault.exhausted
    assert not answer.ephemeral and ICL in bot_env.text(answer)
    await bot_env.settle()
    assert interaction.followups == []  # no error was sent as well
    assert bot_errors(caplog) == []


async def test_discord_500s_on_every_try_keep_the_error_private(
    bot_env: BotEnv, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    before = library_digest(bot_env.app.settings.data_dir)
    # The first follow-up after a public defer would replace the placeholder in public, ephemeral flag
    # or not, so the error must go out only after the placeholder is gone.
    fault = bot_env.server.fail("PATCH", EDIT_ORIGINAL, status=500, times=5, path_endswith="/@original")
    interaction = await bot_env.who_said(CHICKENS)
    reply = await interaction.wait_message(timeout=120)  # five tries, 25 s of discord.py's back-off
    assert fault.exhausted
    assert_short_private_reply(reply, says="try again")
    assert "Discord" in reply.content
    await bot_env.settle()
    assert interaction.original is not None and interaction.original.deleted  # no "thinking…" left
    assert public_bot_messages(bot_env) == set()
    assert library_digest(bot_env.app.settings.data_dir) == before
    assert "DiscordServerError" in (bot_env.rows()[-1].error or "")
    assert bot_errors(caplog) == []  # Discord's outage is no bug of ours: one warning line


@pytest.mark.parametrize(
    ("method", "route", "suffix"),
    [("PATCH", EDIT_ORIGINAL, "/@original"), ("POST", CALLBACK, "/callback")],
    ids=["on-the-edit", "on-the-defer"],
)
async def test_429_retry_after_is_honoured(
    bot_env: BotEnv, caplog: pytest.LogCaptureFixture, method: str, route: str, suffix: str
) -> None:
    caplog.set_level(logging.INFO)
    fault = bot_env.server.fail(method, route, status=429, retry_after=0.75, path_endswith=suffix)
    interaction = await bot_env.who_said(CHICKENS)
    answer = await interaction.wait_message(timeout=60)
    assert not answer.ephemeral and ICL in bot_env.text(answer)
    (limited,) = fault.hits
    retried = [c for c in bot_env.server.calls_to(route, method) if c.path == limited.path and c.status < 300]
    assert retried, "the request was never repeated"
    # A lower bound only: discord.py must not come back before Discord said it may.
    assert retried[0].wall - limited.wall >= 0.75
    await bot_env.settle()
    assert interaction.followups == []
    assert bot_errors(caplog) == []


async def test_interaction_expired_before_the_defer_leaves_nothing_behind(
    bot_env: BotEnv, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    # 10062: the interaction was not acknowledged within 3 s; Discord refuses every answer after that.
    bot_env.server.fail("POST", CALLBACK, status=404, code=10062, message="Unknown interaction", times=100)
    interaction = await bot_env.who_said(CHICKENS)
    await bot_env.settle()
    assert interaction.callback is None and interaction.original is None and interaction.followups == []
    assert len(bot_env.server.calls_to(CALLBACK)) == 1  # no second try at a dead interaction
    assert public_bot_messages(bot_env) == set()
    assert bot_errors(caplog) == []
    assert any("10062" in r.getMessage() for r in caplog.records if r.levelno == logging.WARNING)
    assert "NotFound" in (bot_env.rows()[-1].error or "")
    row = bot_env.rows()[-1]
    assert row.command == "who_said" and "NotFound" in (row.error or "")
