"""Over the wire, ``corpus_scope = "per_guild"``: each server has its own library, log and curation.

A moderator of one server may add essays to that server's library, which no other server sees; hiding
a passage, the interaction log and /privacy forget-me follow the server's own database.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select
from test_mod_essays import ESSAY_FILE, ESSAY_ID, SENTENCE, TITLE, content_starting, upload

from bot.store.db import session_scope
from bot.store.models import AuditRow, InteractionRow, PassageOverrideRow
from botenv import ASKER, GUILD, MOD, OTHER, BotEnv, bot_settings, member_perms
from fakediscord.models import Message

pytestmark = [pytest.mark.model, bot_settings(corpus_scope="per_guild")]

GUILD_B, CHANNEL_B = 910002, 920009
MOD_B = 930009
MANAGE_MESSAGES = 1 << 13
CHICKENS = "Who said the chickens have come home to roost?"
CHICKENS_ID = "14d6d3057428"
ICL = "International Communist League"


def second_guild(bot_env: BotEnv, clone_seeded: Callable[[str], Path]) -> None:
    """Guild B with the asker and its own moderator; both guilds' corpora start as copies of the seeds.

    Copying the seeded folder skips the seeding each new guild otherwise does on first use (embedding
    the seeds takes a while); test_corpora.py covers that path.
    """
    bot_env.server.add_guild(GUILD_B, channels=[CHANNEL_B])
    bot_env.server.add_member(GUILD_B, ASKER, "asker")
    bot_env.server.add_member(GUILD_B, MOD_B, "mod-b", permissions=member_perms() | MANAGE_MESSAGES)
    for gid in (GUILD, GUILD_B):
        shutil.copytree(clone_seeded(f"guild{gid}"), bot_env.client.corpora.guild_dir(gid))


async def ask(bot_env: BotEnv, query: str, guild: int = GUILD) -> str:
    where = {"guild_id": guild, "channel_id": CHANNEL_B if guild == GUILD_B else bot_env.where["channel_id"]}
    return bot_env.text(await bot_env.answer(await bot_env.who_said(query, **where)))


def rows(bot_env: BotEnv, guild: int | None) -> list[InteractionRow]:
    """The interaction rows in a guild's database (the main one for None)."""
    with session_scope(bot_env.client.corpora.for_guild(guild).engine) as session:
        found = list(session.scalars(select(InteractionRow).order_by(InteractionRow.id)))
        session.expunge_all()
        return found


async def add_as(bot_env: BotEnv, user: int) -> Message:
    preview = await (await upload(bot_env, ESSAY_FILE.read_bytes(), "lighthouse.md", user=user)).wait_message(
        timeout=60
    )
    assert preview.ephemeral and "Preview" in bot_env.text(preview), preview.content
    confirm = await bot_env.server.click(user, preview, bot_env.custom_id(preview, "confirm"))
    await confirm.response()
    return await content_starting(bot_env, preview, "✅")


async def test_a_moderator_adds_an_essay_to_their_own_server_only(
    bot_env: BotEnv, clone_seeded: Callable[[str], Path]
) -> None:
    second_guild(bot_env, clone_seeded)
    # A member who is not a moderator is refused, with the per-guild wording.
    refused = await (await upload(bot_env, ESSAY_FILE.read_bytes(), "x.md", user=OTHER)).wait_message()
    assert refused.ephemeral and "this server's moderators" in refused.content

    done = await add_as(bot_env, MOD)
    assert "Added" in done.content
    assert TITLE in await ask(bot_env, SENTENCE)
    assert TITLE not in await ask(bot_env, SENTENCE, GUILD_B)
    # The main library (DMs, the CLI) and guild B's are untouched.
    assert ESSAY_ID not in {m.id for m in bot_env.app.essays()}
    assert ESSAY_ID not in {m.id for m in bot_env.client.corpora.for_guild(GUILD_B).essays()}
    assert ESSAY_ID in {m.id for m in bot_env.client.corpora.for_guild(GUILD).essays()}

    # Each server's interactions are in its own database, none in the main one.
    await bot_env.settle()
    a_rows, b_rows = rows(bot_env, GUILD), rows(bot_env, GUILD_B)
    assert {"essays_add", "essays_add_confirm", "who_said"} <= {r.command for r in a_rows}
    assert {r.guild_id for r in a_rows} == {str(GUILD)}
    assert [(r.command, r.guild_id) for r in b_rows] == [("who_said", str(GUILD_B))]
    assert rows(bot_env, None) == []

    # The server's moderators may undo the addition from /audit (it is their library).
    with session_scope(bot_env.client.corpora.for_guild(GUILD).engine) as session:
        entry = session.scalars(select(AuditRow).where(AuditRow.action == "essay.add")).one().id
    undo = await bot_env.server.slash(MOD, "audit", {"entry": entry}, subcommand="undo", **bot_env.where)
    assert "Undone" in (await undo.wait_message(timeout=60)).content
    assert TITLE not in await ask(bot_env, SENTENCE)


async def test_guild_b_moderator_edits_only_guild_b(
    bot_env: BotEnv, clone_seeded: Callable[[str], Path]
) -> None:
    second_guild(bot_env, clone_seeded)
    mason = "mason-2022-marxist-position"
    edit = await bot_env.server.slash(
        MOD_B,
        "essays",
        {"essay": mason, "title": "Renamed in B"},
        subcommand="edit",
        guild_id=GUILD_B,
        channel_id=CHANNEL_B,
    )
    assert "Edited" in (await edit.wait_message(timeout=60)).content
    titles = {
        gid: {m.title for m in bot_env.client.corpora.for_guild(gid).essays()} for gid in (GUILD, GUILD_B)
    }
    assert "Renamed in B" in titles[GUILD_B] and "Renamed in B" not in titles[GUILD]
    # Guild A's moderator autocompletes guild A's essays; a member gets nothing.
    choices = await bot_env.server.autocomplete(
        MOD, "essays", {"essay": "mason"}, "essay", subcommand="edit", **bot_env.where
    )
    assert [c["value"] for c in choices] == [mason] and "Renamed" not in choices[0]["name"]
    none = await bot_env.server.autocomplete(
        OTHER, "essays", {"essay": "mason"}, "essay", subcommand="edit", **bot_env.where
    )
    assert none == []


async def test_hiding_a_passage_in_one_server_leaves_the_other_alone(
    bot_env: BotEnv, clone_seeded: Callable[[str], Path]
) -> None:
    second_guild(bot_env, clone_seeded)
    hide = await bot_env.server.slash(
        MOD, "passages", {"passage": CHICKENS_ID}, subcommand="hide", **bot_env.where
    )
    assert (await hide.wait_message()).content.startswith("Hidden")
    assert "come home to roost: Large" not in await ask(bot_env, CHICKENS)
    assert ICL in await ask(bot_env, CHICKENS, GUILD_B)
    with session_scope(bot_env.client.corpora.for_guild(GUILD).engine) as session:
        assert [r.passage_id for r in session.scalars(select(PassageOverrideRow))] == [CHICKENS_ID]
    for other in (GUILD_B, None):
        with session_scope(bot_env.client.corpora.for_guild(other).engine) as session:
            assert list(session.scalars(select(PassageOverrideRow))) == []


async def test_forget_me_covers_every_server(bot_env: BotEnv, clone_seeded: Callable[[str], Path]) -> None:
    second_guild(bot_env, clone_seeded)
    await ask(bot_env, CHICKENS)
    await ask(bot_env, CHICKENS, GUILD_B)
    await bot_env.settle()
    assert rows(bot_env, GUILD) and rows(bot_env, GUILD_B)
    prompt = await bot_env.answer(
        await bot_env.server.slash(ASKER, "privacy", {}, subcommand="forget-me", **bot_env.where)
    )
    confirm = await bot_env.server.click(ASKER, prompt, bot_env.custom_id(prompt, "confirm"))
    await confirm.response()
    await bot_env.settle()
    assert not [r for gid in (GUILD, GUILD_B) for r in rows(bot_env, gid) if r.command == "who_said"]


async def test_a_guild_is_seeded_on_first_use(bot_env: BotEnv) -> None:
    # No copy here: the first question in the server builds its corpus from the bundled seeds.
    assert ICL in await ask(bot_env, CHICKENS)
    assert (bot_env.client.corpora.guild_dir(GUILD) / "essaybot.db").is_file()
    assert bot_env.client.corpora.for_guild(GUILD).embedder is bot_env.app.embedder
