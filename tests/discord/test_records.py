"""The Discord recorder's privacy chores: forgetting a member and purging old rows open each server's
database directly, and never build (embed and index) a server's library to delete rows."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from bot.config import load_settings
from bot.core.essaybot import Essaybot
from bot.core.interactions import Entry, Recorder
from bot.core.privacy import UserRefs
from bot.discord.records import DiscordRecorder
from bot.discord.service import AnswerService
from bot.store.db import make_engine, session_scope, upgrade
from bot.store.models import utcnow
from bot.store.repo import InteractionLog

USER, OTHER, GUILD = 80351110224678912, 80351110224678913, 123456


@pytest.fixture
def recorder(tmp_path: Path) -> Iterator[DiscordRecorder]:
    settings = load_settings(None, data_dir=tmp_path / "data").model_copy(
        update={"corpus_scope": "per_guild"}
    )
    service = AnswerService(Essaybot(settings))
    yield DiscordRecorder(service, UserRefs(settings.data_dir, hashed=True))
    service.close()


def log_questions(recorder: DiscordRecorder, database: Path) -> None:
    """One question each from USER and OTHER, logged in ``database`` as the bot logs them."""
    engine = make_engine(f"sqlite:///{database.as_posix()}")
    upgrade(engine)
    for user in (USER, OTHER):
        entry = Entry("who_said", {"query": "no truce in the class war"}, verdict="found")
        Recorder(engine, source="discord").write(entry, latency_ms=5, user_ref=recorder.user_refs.ref(user))
    engine.dispose()


def user_refs_in(database: Path) -> list[str | None]:
    engine = make_engine(f"sqlite:///{database.as_posix()}")
    with session_scope(engine) as session:
        refs = [InteractionLog(session).get(i) for i in (1, 2)]
    engine.dispose()
    return sorted(r.user_ref or "" for r in refs if r is not None)


@pytest.fixture
def guild_db(recorder: DiscordRecorder) -> Path:
    """A server's own database on disk, with questions logged, whose library was not opened since."""
    database = recorder.service.corpora.guild_dir(GUILD) / "essaybot.db"
    log_questions(recorder, database)
    return database


def assert_library_not_built(recorder: DiscordRecorder) -> None:
    """No instance for the server, so no seeded essays and no index."""
    corpora = recorder.service.corpora
    assert corpora.cached(GUILD) is None
    assert not (corpora.guild_dir(GUILD) / "index").exists()


async def test_forget_me_opens_each_servers_database_without_building_its_library(
    recorder: DiscordRecorder, guild_db: Path
) -> None:
    main_db = recorder.service.app.settings.data_dir / "essaybot.db"
    log_questions(recorder, main_db)
    assert await recorder.forget(USER) == 2
    other = recorder.user_refs.ref(OTHER)
    assert user_refs_in(guild_db) == user_refs_in(main_db) == [other]
    assert_library_not_built(recorder)


async def test_purge_opens_each_servers_database_without_building_its_library(
    recorder: DiscordRecorder, guild_db: Path
) -> None:
    assert await recorder.purge(now=utcnow() + timedelta(days=89)) == 0
    assert await recorder.purge(now=utcnow() + timedelta(days=91)) == 2
    assert user_refs_in(guild_db) == []
    assert_library_not_built(recorder)
