"""/audit over the wire: moderators only (in code), the recent entries paged, and undo."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from bot.curation.audit import record
from bot.curation.passages import PassageOverrides
from bot.curation.settings import GuildSettings, GuildValues
from bot.store.db import session_scope
from bot.store.models import AuditRow, PassageRow
from botenv import GUILD, MOD, OTHER, OTHER_CHANNEL, ROLE_MOD, BotEnv, discord_settings
from botenv import member_perms as perms
from fakediscord.models import Message

pytestmark = pytest.mark.model

ADMIN = 930101
MANAGE_GUILD = 1 << 5


async def audit(bot_env: BotEnv, user: int, sub: str, options: dict[str, Any] | None = None) -> Message:
    interaction = await bot_env.server.slash(user, "audit", options or {}, subcommand=sub, **bot_env.where)
    return await interaction.wait_message()


def some_passage(bot_env: BotEnv) -> str:
    with session_scope(bot_env.app.engine) as session:
        return str(session.scalars(select(PassageRow.id).order_by(PassageRow.id).limit(1)).one())


def entry(bot_env: BotEnv, entry_id: int) -> AuditRow:
    with session_scope(bot_env.app.engine) as session:
        row = session.get(AuditRow, entry_id)
        assert row is not None
        session.expunge(row)
        return row


async def test_non_moderators_are_refused_in_code(bot_env: BotEnv) -> None:
    definition = next(c for c in bot_env.server.commands[GUILD] if c["name"] == "audit")
    assert int(definition["default_member_permissions"]) == 1 << 13  # Manage Messages
    with session_scope(bot_env.app.engine) as session:
        hidden = record(
            session, guild_id=str(GUILD), actor="1", action="passage.hide", target="x", before={}, after={}
        ).id
    for sub, options in (("show", {}), ("undo", {"entry": hidden})):
        reply = await audit(bot_env, OTHER, sub, options)
        assert reply.ephemeral and "for moderators" in reply.content
    assert entry(bot_env, hidden).undone_at is None
    choices = await bot_env.server.autocomplete(
        OTHER, "audit", {"entry": ""}, "entry", subcommand="undo", **bot_env.where
    )
    assert choices == []  # a member is not even shown the entries


async def test_audit_lists_entries_and_undo_reverts_a_settings_change_and_a_hide(bot_env: BotEnv) -> None:
    bot_env.server.add_member(GUILD, ADMIN, "admin", permissions=perms() | MANAGE_GUILD | (1 << 13))
    passage = some_passage(bot_env)
    settings_reply = await (
        await bot_env.server.slash(
            ADMIN,
            "settings",
            {"answer_visibility": "ephemeral", "modlog_channel": OTHER_CHANNEL},
            subcommand="set",
            **bot_env.where,
        )
    ).wait_message()
    assert "Changed" in settings_reply.content
    with session_scope(bot_env.app.engine) as session:
        PassageOverrides(session, str(GUILD)).hide(passage, actor=str(MOD))
        hide_id = max(r.id for r in session.scalars(select(AuditRow)))
    settings_id = hide_id - 1

    listing = await audit(bot_env, MOD, "show")
    text = bot_env.text(listing)
    assert listing.ephemeral
    assert f"#{hide_id}" in text and "passage.hide" in text and passage in text and f"<@{MOD}>" in text
    assert f"#{settings_id}" in text and "settings.set" in text and "answer\\_visibility" in text
    assert text.index(f"#{hide_id}") < text.index(f"#{settings_id}")  # newest first

    choices = await bot_env.server.autocomplete(
        ROLE_MOD, "audit", {"entry": ""}, "entry", subcommand="undo", **bot_env.where
    )
    assert [c["value"] for c in choices][:2] == [hide_id, settings_id]

    undone = await audit(bot_env, ROLE_MOD, "undo", {"entry": hide_id})
    assert undone.ephemeral and "Undone" in undone.content
    with session_scope(bot_env.app.engine) as session:
        override = PassageOverrides(session, str(GUILD)).get(passage)
        assert override is not None and not override.hidden
    assert entry(bot_env, hide_id).undone_by == str(ROLE_MOD)

    # A settings change is undone by someone who may change settings.
    refused = await audit(bot_env, MOD, "undo", {"entry": settings_id})
    assert refused.ephemeral and "Manage Server" in refused.content
    await audit(bot_env, ADMIN, "undo", {"entry": settings_id})
    with session_scope(bot_env.app.engine) as session:
        assert GuildSettings(session, str(GUILD)).values() == GuildValues()
    again = await audit(bot_env, ADMIN, "undo", {"entry": settings_id})
    assert again.ephemeral and "already undone" in again.content

    # The hide's undo went to the mod-log (the settings undo removed the mod-log channel itself).
    notices = [m.content for m in bot_env.server.messages.values() if m.channel_id == OTHER_CHANNEL]
    assert any(f"#{hide_id}" in n and "undid" in n for n in notices)
    # The settings undo is posted where the settings point after it: nowhere (read fresh, not cached).
    assert not any(f"#{settings_id}" in n and "undid" in n for n in notices)
    shown = bot_env.text(await audit(bot_env, MOD, "show"))
    assert "undone by" in shown and "audit.undo" in shown


@discord_settings(owner_ids=[ROLE_MOD])
async def test_corpus_wide_entries_are_undone_only_by_owners(bot_env: BotEnv) -> None:
    with session_scope(bot_env.app.engine) as session:
        corpus = record(
            session,
            guild_id=None,
            actor="cli",
            action="test.corpus",
            target="an-essay",
            before={"status": "active"},
            after={"status": "removed"},
        ).id
    refused = await audit(bot_env, MOD, "undo", {"entry": corpus})
    assert refused.ephemeral and "only the bot's owners" in refused.content
    assert entry(bot_env, corpus).undone_at is None
    # An owner gets past the permission check (this test action kind has no undo handler).
    owner = await audit(bot_env, ROLE_MOD, "undo", {"entry": corpus})
    assert "cannot be undone" in owner.content


async def test_audit_pages_through_many_entries(bot_env: BotEnv) -> None:
    with session_scope(bot_env.app.engine) as session:
        for n in range(20):
            record(
                session,
                guild_id=str(GUILD),
                actor="cli",
                action="passage.hide",
                target=f"p{n}",
                before={},
                after={},
            )
    listing = await audit(bot_env, MOD, "show")
    assert "page 1 of 3" in listing.content and "the CLI" in bot_env.text(listing)
    turned = await bot_env.server.click(MOD, listing, bot_env.custom_id(listing, "next"))
    assert (await turned.response())["type"] == 7
    assert "page 2 of 3" in bot_env.server.messages[listing.id].content
