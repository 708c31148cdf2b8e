"""Per-guild settings: validated overrides of the config defaults, audited, undoable."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from bot.config import DiscordSection
from bot.curation.audit import CurationError, recent, undo, undoable_actions
from bot.curation.settings import (
    DEFAULT_REVIEW_THRESHOLD,
    GuildSettings,
    GuildValues,
    Request,
    changes_for,
    effective,
)
from bot.discord.render.settings_page import describe
from bot.store.db import make_engine, session_scope, upgrade

GUILD, OTHER_GUILD = "111", "222"
DEFAULTS = DiscordSection(moderator_role_ids=[7], answer_visibility="public", cooldown_rate=5)


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    eng = make_engine(f"sqlite:///{tmp_path / 'data' / 'essaybot.db'}")
    upgrade(eng)
    yield eng
    eng.dispose()


def values(engine: Engine, guild: str = GUILD) -> GuildValues:
    with session_scope(engine) as session:
        return GuildSettings(session, guild).values()


def test_defaults_come_from_the_config_until_a_guild_changes_them(engine: Engine) -> None:
    start = effective(DEFAULTS, values(engine))
    assert start.moderator_role_ids == [7] and start.answer_channel_ids == []
    assert start.answer_visibility == "public" and start.context_menu_visibility == "ephemeral"
    assert start.review_threshold == DEFAULT_REVIEW_THRESHOLD and start.modlog_channel_id is None
    with session_scope(engine) as session:
        GuildSettings(session, GUILD).set(
            actor="42", answer_visibility="ephemeral", cooldown_rate=2, qotd_timezone="Europe/Paris"
        )
    mine = effective(DEFAULTS, values(engine))
    assert (mine.answer_visibility, mine.cooldown_rate, mine.qotd_timezone) == (
        "ephemeral",
        2,
        "Europe/Paris",
    )
    assert mine.cooldown_seconds == DEFAULTS.cooldown_seconds  # untouched settings keep the default
    assert effective(DEFAULTS, values(engine, OTHER_GUILD)).answer_visibility == "public"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"qotd_time": "25:00"}, "HH:MM"),
        ({"qotd_timezone": "Mars/Olympus"}, "unknown time zone"),
        ({"cooldown_rate": 0}, "cooldown_rate"),
        ({"review_threshold": 1000}, "review_threshold"),
        ({"answer_visibility": "loud"}, "answer_visibility"),
        ({"colour": "red"}, "Unknown setting"),
    ],
)
def test_invalid_values_are_refused_and_change_nothing(
    engine: Engine, changes: dict[str, object], message: str
) -> None:
    with session_scope(engine) as session, pytest.raises(CurationError, match=message):
        GuildSettings(session, GUILD).set(actor="42", **changes)
    assert values(engine) == GuildValues()
    with session_scope(engine) as session:
        assert recent(session, GUILD) == []


def test_every_change_is_audited_and_undo_restores_the_values_before(engine: Engine) -> None:
    with session_scope(engine) as session:
        GuildSettings(session, GUILD).set(actor="42", answer_visibility="ephemeral", modlog_channel_id=5)
    with session_scope(engine) as session:
        GuildSettings(session, GUILD).set(actor="43", answer_visibility=None, review_threshold=5)
    with session_scope(engine) as session:
        second, first = recent(session, GUILD)
        assert (first.action, first.actor, first.before, first.after) == (
            "settings.set",
            "42",
            {},
            {"answer_visibility": "ephemeral", "modlog_channel_id": 5},
        )
        assert second.target == "answer_visibility, review_threshold"
        assert second.after == {"modlog_channel_id": 5, "review_threshold": 5}
        second_id, first_id = second.id, first.id
    with session_scope(engine) as session:
        undo(session, second_id, actor="44", guild_id=GUILD)
    assert values(engine) == GuildValues(answer_visibility="ephemeral", modlog_channel_id=5)
    with session_scope(engine) as session:
        undo(session, first_id, actor="44", guild_id=GUILD)
    assert values(engine) == GuildValues()
    with session_scope(engine) as session:
        assert [r.action for r in recent(session, GUILD)][:2] == ["audit.undo", "audit.undo"]
        with pytest.raises(CurationError, match="already undone"):
            undo(session, first_id, actor="44", guild_id=GUILD)
    assert "settings.set" in undoable_actions()


def test_discord_requests_add_and_remove_roles_and_channels_over_the_effective_values() -> None:
    current = effective(DEFAULTS, GuildValues())
    assert changes_for(Request(add_moderator_role=8), current) == {"moderator_role_ids": [7, 8]}
    assert changes_for(Request(remove_moderator_role=7), current) == {"moderator_role_ids": []}
    with pytest.raises(CurationError, match="is not one of the roles"):
        changes_for(Request(remove_moderator_role=9), current)
    assert changes_for(Request(add_answer_channel=3), current) == {"answer_channel_ids": [3]}
    restricted = effective(DEFAULTS, GuildValues(answer_channel_ids=[3]))
    # Removing the last channel means "every channel" again.
    assert changes_for(Request(remove_answer_channel=3), restricted) == {"answer_channel_ids": None}
    assert changes_for(Request(reset="cooldown", cooldown_questions=3), current) == {
        "cooldown_rate": 3,
        "cooldown_seconds": None,
    }
    assert changes_for(Request(who_said_visibility="public", cooldown_seconds=30), current) == {
        "context_menu_visibility": "public",
        "cooldown_seconds": 30.0,
    }


def test_describe_shows_what_changed_as_members_read_it() -> None:
    before = effective(DEFAULTS, GuildValues())
    after = effective(DEFAULTS, GuildValues(answer_visibility="ephemeral", moderator_role_ids=[7, 8]))
    text = describe(before, after)
    assert "Answers: public → private" in text
    assert "Moderator roles: <@&7> → <@&7> <@&8>" in text
