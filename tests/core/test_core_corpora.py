"""``Corpora``: the shared corpus by default; with ``corpus_scope = "per_guild"`` one separate instance per
guild, in its own folder, seeded on first use and sharing the main instance's model."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bot.config import load_settings
from bot.core.corpora import Corpora
from bot.core.essaybot import Essaybot
from bot.curation.audit import CLI_ACTOR

pytestmark = pytest.mark.model


def make_main(data_dir: Path, seeded_app: Essaybot, scope: str) -> Essaybot:
    return Essaybot(load_settings(None, data_dir=data_dir, corpus_scope=scope), embedder=seeded_app.embedder)


@pytest.fixture
def per_guild(clone_seeded: Callable[[str], Path], seeded_app: Essaybot) -> Iterator[Corpora]:
    corpora = Corpora(make_main(clone_seeded("main"), seeded_app, "per_guild"))
    yield corpora
    corpora.close()
    corpora.main.engine.dispose()


def test_shared_is_always_the_main_instance(
    clone_seeded: Callable[[str], Path], seeded_app: Essaybot
) -> None:
    main = make_main(clone_seeded("shared"), seeded_app, "shared")
    corpora = Corpora(main)
    assert not corpora.per_guild
    assert corpora.for_guild(None) is corpora.for_guild(1) is corpora.for_guild("2") is main
    assert corpora.open_count == 0
    assert not (main.settings.data_dir / "guilds").exists()
    main.engine.dispose()


def test_per_guild_instances_are_separate_and_share_the_model(per_guild: Corpora) -> None:
    main = per_guild.main
    assert per_guild.for_guild(None) is main  # DMs and the CLI use the main data dir
    assert not per_guild.exists(111)  # asking does not create it
    assert not (main.settings.data_dir / "guilds").exists()
    a = per_guild.for_guild(111)  # first use: seeded from the bundled essays
    assert per_guild.for_guild("111") is a and a is not main
    assert a.settings.data_dir == main.settings.data_dir / "guilds" / "111"
    assert (a.settings.data_dir / "essaybot.db").is_file() and (a.settings.data_dir / "index").is_dir()
    assert a.embedder is main.embedder and a.calibration is main.calibration
    assert a.counts() == main.counts()
    assert a.engine.url != main.engine.url
    # Changing guild 111's corpus leaves the main one alone.
    essay = a.essays()[0].id
    a.library.remove_essay_by(essay, actor=CLI_ACTOR)
    assert essay not in {m.id for m in a.essays()} and essay in {m.id for m in main.essays()}
    assert per_guild.exists(111) and per_guild.open_count == 1


def test_guilds_on_disk_reopen_and_creation_is_once(per_guild: Corpora, seeded_app: Essaybot) -> None:
    per_guild.for_guild(222)
    fresh = Corpora(per_guild.main)  # e.g. after a restart: nothing open yet
    assert fresh.open_count == 0 and fresh.exists(222) and not fresh.exists(444)
    assert fresh.for_guild(222).settings.data_dir.name == "222"
    built: list[Essaybot] = []
    threads = [threading.Thread(target=lambda: built.append(fresh.for_guild(333))) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(built) == 4 and all(b is built[0] for b in built)
    fresh.close()


def test_guild_ids_must_be_digits(per_guild: Corpora) -> None:
    for bad in ("../x", "None", "", "12/3", "²"):
        with pytest.raises(ValueError, match="not a guild id"):
            per_guild.for_guild(bad)


def test_opening_a_guilds_library_adopts_its_curation_from_the_main_database(per_guild: Corpora) -> None:
    """Older `essaybot quotes --guild` runs wrote to the main database; the server's library takes it."""
    from sqlalchemy import text

    from bot.curation.passages import PassageOverrides
    from bot.curation.quotes import CuratedQuotes
    from bot.store.db import session_scope

    main = per_guild.main
    with session_scope(main.engine) as session:
        passage = session.execute(text("SELECT id FROM passages ORDER BY id LIMIT 1")).scalar_one()
        CuratedQuotes(session, "555").save(passage, actor="cli", note="misplaced")
        PassageOverrides(session, "555").hide(passage, actor="cli")
    guild = per_guild.for_guild(555)  # built, seeded, then given its curation
    with session_scope(guild.engine) as session:
        assert [(q.passage_id, q.note) for q in CuratedQuotes(session, "555").listing()] == [
            (passage, "misplaced")
        ]
        assert PassageOverrides(session, "555").hidden_ids() == {passage}
    with session_scope(main.engine) as session:
        assert CuratedQuotes(session, "555").listing() == []
        assert PassageOverrides(session, "555").hidden_ids() == set()


def test_open_libraries_are_capped_least_recently_used_first(
    clone_seeded: Callable[[str], Path], seeded_app: Essaybot
) -> None:
    data_dir = clone_seeded("capped")
    settings = load_settings(None, data_dir=data_dir, corpus_scope="per_guild", max_open_libraries=2)
    corpora = Corpora(Essaybot(settings, embedder=seeded_app.embedder))
    a, b = corpora.for_guild(1), corpora.for_guild(2)
    removed = b.essays()[0].id
    b.library.remove_essay_by(removed, actor=CLI_ACTOR)
    assert corpora.for_guild(1) is a  # 1 is now the most recently used, so 2 goes first
    c = corpora.for_guild(3)
    assert corpora.open_count == 2
    assert corpora.cached(2) is None and corpora.cached(1) is a and corpora.cached(3) is c
    # A closed library reopens from its folder with what it held, without seeding it again.
    again = corpora.for_guild(2)
    assert again is not b and removed not in {m.id for m in again.essays()}
    assert corpora.open_count == 2 and corpora.cached(1) is None  # 1 was the least recently used
    corpora.close()
    corpora.main.engine.dispose()
