"""End to end over the wire: the bot's owners add, remove, restore and edit essays of the shared library.

An upload is validated, previewed privately, and only stored on Confirm; it is answerable at once.
Bad uploads get a clear private error and change nothing; everyone but an owner is refused in code,
moderators included.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.curation.settings import GuildSettings
from bot.discord.cogs import essays_admin
from bot.paths import seeds_dir
from bot.store.db import session_scope
from bot.store.models import AuditRow
from botenv import ASKER, GUILD, MOD, OTHER, OTHER_CHANNEL, ROLE_MOD, BotEnv, discord_settings
from fakediscord.models import Interaction, Message

pytestmark = [pytest.mark.model, discord_settings(owner_ids=[ASKER])]

OWNER = ASKER
ESSAY_FILE = Path(__file__).resolve().parents[1] / "data" / "upload_essay.md"
ESSAY_ID = "okafor-2024-lighthouse-keepers"
TITLE = "The lighthouse keepers of the labour movement"
SENTENCE = "A group chat is not an archive: it is a river, and rivers carry everything away."
PLAIN_TEXT = (
    "Tides of the tenants' union\n\n"
    "Rent strikes succeed when the whole building stops paying on the same morning, not one flat at a time. "
    "The landlord can evict a family but cannot evict a staircase.\n\n"
    "We met in the laundry room every Thursday for a year before anyone withheld a single payment.\n"
)
PLAIN_SENTENCE = "The landlord can evict a family but cannot evict a staircase."


async def essays(bot_env: BotEnv, sub: str, options: dict[str, Any], user: int = OWNER) -> Interaction:
    return await bot_env.server.slash(user, "essays", options, subcommand=sub, **bot_env.where)


async def upload(
    bot_env: BotEnv, data: bytes | str, filename: str = "essay.md", user: int = OWNER
) -> Interaction:
    return await essays(bot_env, "add", {"file": {"filename": filename, "data": data}}, user)


async def content_starting(bot_env: BotEnv, message: Message, prefix: str, timeout: float = 120) -> Message:
    """The message once the bot's slow work (embedding, publishing the index) has changed it."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not (current := bot_env.server.messages[message.id]).content.startswith(prefix):
        assert loop.time() < deadline, f"message still says {current.content!r}"
        await asyncio.sleep(0.05)
    return current


async def answer_text(bot_env: BotEnv, query: str) -> str:
    return bot_env.text(await bot_env.answer(await bot_env.who_said(query)))


def audit_count(bot_env: BotEnv) -> int:
    with session_scope(bot_env.app.engine) as session:
        return int(session.scalar(select(func.count()).select_from(AuditRow)) or 0)


def modlog_posts(bot_env: BotEnv) -> list[str]:
    return [m.content for m in bot_env.server.messages.values() if m.channel_id == OTHER_CHANNEL]


async def add_and_confirm(bot_env: BotEnv, data: bytes | str, filename: str = "essay.md") -> Message:
    preview = await (await upload(bot_env, data, filename)).wait_message(timeout=60)
    assert preview.ephemeral and "Preview" in bot_env.text(preview)
    confirm = await bot_env.server.click(OWNER, preview, bot_env.custom_id(preview, "confirm"))
    await confirm.response()
    return await content_starting(bot_env, preview, "✅")


async def test_everyone_but_an_owner_is_refused(bot_env: BotEnv) -> None:
    counts, entries = bot_env.app.counts(), audit_count(bot_env)
    mason = "mason-2022-marxist-position"
    for user in (OTHER, MOD, ROLE_MOD):
        attempts = [
            await upload(bot_env, ESSAY_FILE.read_bytes(), "lighthouse.md", user=user),
            await essays(bot_env, "remove", {"essay": mason}, user),
            await essays(bot_env, "restore", {"essay": mason}, user),
            await essays(bot_env, "edit", {"essay": mason, "title": "Hijacked"}, user),
        ]
        for attempt in attempts:
            reply = await attempt.wait_message()
            assert reply.ephemeral and "for the bot's owners" in reply.content, reply.content
        choices = await bot_env.server.autocomplete(
            user, "essays", {"essay": "mason"}, "essay", subcommand="remove", **bot_env.where
        )
        assert choices == []  # not even the list of ids
    assert bot_env.app.counts() == counts and audit_count(bot_env) == entries
    assert "Hijacked" not in {m.title for m in bot_env.app.essays()}


async def test_upload_preview_confirm_then_remove_restore_and_edit(bot_env: BotEnv) -> None:
    with session_scope(bot_env.app.engine) as session:
        GuildSettings(session, str(GUILD)).set(actor=str(MOD), modlog_channel_id=OTHER_CHANNEL)
    assert TITLE not in await answer_text(bot_env, SENTENCE)

    # Upload: the preview shows what would be stored, and nothing is stored yet.
    preview = await (await upload(bot_env, ESSAY_FILE.read_bytes(), "lighthouse.md")).wait_message(timeout=60)
    shown = bot_env.text(preview)
    assert preview.ephemeral and TITLE in shown and ESSAY_ID in shown
    assert "sentences in 6 paragraphs" in shown
    assert "Rosa Delgado" in shown  # a quoted speaker
    assert "some commentators" in shown  # a reported view
    assert ESSAY_ID not in {m.id for m in bot_env.app.essays()}

    # Confirm: answerable right away, audited, posted to the mod-log.
    confirm = await bot_env.server.click(OWNER, preview, bot_env.custom_id(preview, "confirm"))
    assert (await confirm.response())["type"] == 7  # the buttons go at once
    done = await content_starting(bot_env, preview, "✅")
    assert not done.components
    answer = await answer_text(bot_env, SENTENCE)
    assert TITLE in answer and "Amara Okafor" in answer
    await bot_env.settle()
    assert any("added" in post and ESSAY_ID in post for post in modlog_posts(bot_env))

    # Remove, after a confirmation: gone from answers.
    prompt = await (await essays(bot_env, "remove", {"essay": ESSAY_ID})).wait_message()
    assert prompt.ephemeral and "Remove" in prompt.content
    press = await bot_env.server.click(OWNER, prompt, bot_env.custom_id(prompt, "confirm"))
    await press.response()
    await content_starting(bot_env, prompt, "🗑️ Removed")
    assert TITLE not in await answer_text(bot_env, SENTENCE)

    # Restore: back in answers.
    choices = await bot_env.server.autocomplete(
        OWNER, "essays", {"essay": "lighthouse"}, "essay", subcommand="restore", **bot_env.where
    )
    assert [c["value"] for c in choices] == [ESSAY_ID]
    restored = await (await essays(bot_env, "restore", {"essay": ESSAY_ID})).wait_message(timeout=60)
    assert restored.ephemeral and "Restored" in restored.content
    assert TITLE in await answer_text(bot_env, SENTENCE)

    # Edit: the answer shows the new title.
    edit = await essays(bot_env, "edit", {"essay": ESSAY_ID, "title": "Keepers of the minutes", "url": "-"})
    edited = await edit.wait_message(timeout=60)
    assert "Edited" in edited.content and "Keepers of the minutes" in edited.content
    answer = await answer_text(bot_env, SENTENCE)
    assert "Keepers of the minutes" in answer and TITLE not in answer

    await bot_env.settle()
    posts = modlog_posts(bot_env)
    for verb in ("added", "removed", "restored", "edited"):
        assert any(verb in post for post in posts), (verb, posts)
    with session_scope(bot_env.app.engine) as session:
        actions = [r.action for r in session.scalars(select(AuditRow).where(AuditRow.guild_id.is_(None)))]
    assert actions == ["essay.add", "essay.remove", "essay.restore", "essay.edit"]


async def test_plain_text_asks_for_details_and_cancel_stores_nothing(bot_env: BotEnv) -> None:
    counts = bot_env.app.counts()
    interaction = await upload(bot_env, PLAIN_TEXT, "tenants.txt")
    response = await interaction.response()
    assert response["type"] == 9  # the details form
    modal = response["data"]
    inputs = {c["custom_id"]: c for row in modal["components"] for c in row["components"]}
    assert inputs["title"]["value"] == "Tides of the tenants' union"  # guessed from the first line
    submitted = await bot_env.server.submit_modal(
        OWNER,
        modal["custom_id"],
        {"title": "Tides of the tenants' union", "authors": "Lena Ortiz, Sam Hale", "date": "2023-11"},
    )
    preview = await submitted.wait_message(timeout=60)
    shown = bot_env.text(preview)
    assert "Lena Ortiz and Sam Hale" in shown and "November 2023" in shown
    cancel = await bot_env.server.click(OWNER, preview, bot_env.custom_id(preview, "cancel"))
    await cancel.response()
    assert "nothing was added" in bot_env.server.messages[preview.id].content
    assert bot_env.app.counts() == counts
    assert "Lena Ortiz" not in await answer_text(bot_env, PLAIN_SENTENCE)


async def test_the_form_asks_only_for_what_the_front_matter_lacks(bot_env: BotEnv) -> None:
    text = '---\ntitle: "Tides of the tenants\' union"\nauthors: ["Lena Ortiz"]\n---\n' + PLAIN_TEXT
    response = await (await upload(bot_env, text, "tenants.md")).response()
    assert response["type"] == 9
    modal = response["data"]
    asked = [c["custom_id"] for row in modal["components"] for c in row["components"]]
    assert asked == ["date", "url"]
    submitted = await bot_env.server.submit_modal(OWNER, modal["custom_id"], {})  # both are optional
    preview = await submitted.wait_message(timeout=60)
    shown = bot_env.text(preview)
    assert "Tides of the tenants" in shown and "Lena Ortiz" in shown and "no link" in shown
    choices = await bot_env.server.autocomplete(
        OWNER, "essays", {"essay": "mason"}, "essay", subcommand="edit", **bot_env.where
    )
    assert [c["value"] for c in choices] == ["mason-2022-marxist-position"]


async def test_a_slow_file_read_offers_the_form_behind_a_button(
    bot_env: BotEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A file too big to read within Discord's 3 seconds: the bot answers "thinking…" first.
    monkeypatch.setattr(essays_admin, "FORM_BUDGET_SECONDS", 0.0)
    interaction = await upload(bot_env, PLAIN_TEXT, "tenants.txt")
    assert (await interaction.response())["type"] == 5
    prompt = await interaction.wait_message(timeout=30)
    assert prompt.ephemeral and "has no title, authors, date, URL" in prompt.content
    opened = await bot_env.server.click(OWNER, prompt, bot_env.custom_id(prompt, "details"))
    modal = (await opened.response())["data"]
    submitted = await bot_env.server.submit_modal(OWNER, modal["custom_id"], {"authors": "Lena Ortiz"})
    preview = await submitted.wait_message(timeout=60)
    confirm = await bot_env.server.click(OWNER, preview, bot_env.custom_id(preview, "confirm"))
    await confirm.response()
    await content_starting(bot_env, preview, "✅")
    answer = await answer_text(bot_env, PLAIN_SENTENCE)
    assert "Lena Ortiz" in answer and "Tides of the tenants" in answer


async def test_a_bad_date_in_the_form_is_refused(bot_env: BotEnv) -> None:
    response = await (await upload(bot_env, PLAIN_TEXT, "tenants.txt")).response()
    submitted = await bot_env.server.submit_modal(OWNER, response["data"]["custom_id"], {"date": "autumn"})
    reply = await submitted.wait_message(timeout=30)
    assert reply.ephemeral and "'date'" in reply.content and "YYYY-MM-DD" in reply.content


def seed_text() -> bytes:
    return next(iter(sorted(seeds_dir().glob("*.md")))).read_bytes()


BAD_UPLOADS = {
    "binary": ("photo.md", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "binary"),
    "invalid-utf8": ("latin1.txt", "Caf\u00e9 cr\u00e8me, said nobody.".encode("latin-1"), "not UTF-8"),
    "empty": ("empty.md", b"", "empty"),
    "whitespace": ("blank.txt", b"  \n\n \t\n", "empty"),
    "over-the-limit": ("huge.txt", b"word " * 220_000, "over the 1 MB limit"),
    "bad-front-matter": (
        "broken.md",
        b'---\ntitle: "Fine"\ndate: "the spring of 2022"\n---\nSome words.\n',
        "'date'",
    ),
    "unclosed-front-matter": ("open.md", b'---\ntitle: "Fine"\nSome words.\n', "not closed"),
    "duplicate": ("copy-of-a-seed.md", b"", "already has this text"),
    "not-an-essay-file": ("essay.pdf", b"%PDF-1.7 words", "not an essay file"),
    "unclean-id": ("x.md", b'---\nid: "Not A Slug!"\ntitle: "T"\n---\nSome words here.\n', "'id'"),
}


@pytest.mark.parametrize("case", list(BAD_UPLOADS))
async def test_a_bad_upload_is_refused_and_changes_nothing(bot_env: BotEnv, case: str) -> None:
    filename, data, expected = BAD_UPLOADS[case]
    if case == "duplicate":
        data = seed_text()
    counts, entries, generation = (
        bot_env.app.counts(),
        audit_count(bot_env),
        bot_env.app.store.current_generation(),
    )
    reply = await (await upload(bot_env, data, filename)).wait_message(timeout=30)
    assert reply.ephemeral and reply.content.startswith("⚠️"), reply.content
    assert expected in reply.content, reply.content
    assert not reply.components  # no preview, nothing to confirm
    assert bot_env.app.counts() == counts and audit_count(bot_env) == entries
    assert bot_env.app.store.current_generation() == generation
