"""Passage overrides on the seeded corpus: hide, unhide, attribute, their undo, finding passages by words."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from bot.curation.audit import CLI_ACTOR, CurationError, recent, undo
from bot.curation.passages import (
    PassageOverrides,
    find_passages,
    passage_infos,
    resolve_passage,
)
from bot.store.db import make_engine, session_scope
from bot.store.repo import CorpusRepository

pytestmark = pytest.mark.model

GUILD, OTHER_GUILD = "111", "222"
CHICKENS = "14d6d3057428"
INTRO = "77c54efa69c6"  # the Tempest editors' introduction that the detector gives to the RSM
MOD = "930003"


@pytest.fixture
def engine(clone_seeded: Callable[[str], Path]) -> Iterator[Engine]:
    eng = make_engine(f"sqlite:///{clone_seeded('passages') / 'essaybot.db'}")
    yield eng
    eng.dispose()


def state(engine: Engine, guild: str, passage_id: str) -> tuple[bool, str | None, str | None]:
    with session_scope(engine) as session:
        [info] = passage_infos(session, guild, [passage_id])
        return info.hidden, info.speaker, info.role


def undo_last(engine: Engine, guild: str = GUILD) -> None:
    with session_scope(engine) as session:
        undo(session, recent(session, guild)[0].id, actor=CLI_ACTOR, guild_id=guild)


def test_hide_and_unhide_are_audited_and_undone(engine: Engine) -> None:
    with session_scope(engine) as session:
        repo = PassageOverrides(session, GUILD)
        assert repo.hide(CHICKENS, actor=MOD)
        assert not repo.hide(CHICKENS, actor=MOD)  # no change, no audit entry
        assert repo.hidden_ids() == {CHICKENS}
        assert PassageOverrides(session, OTHER_GUILD).hidden_ids() == set()
        [entry] = recent(session, GUILD)
        assert (entry.action, entry.before, entry.after) == (
            "passage.hide",
            {"hidden": False, "speaker": None, "role": None},
            {"hidden": True, "speaker": None, "role": None},
        )
    undo_last(engine)
    assert state(engine, GUILD, CHICKENS) == (False, None, None)
    with session_scope(engine) as session:
        PassageOverrides(session, GUILD).hide(CHICKENS, actor=MOD)
        assert PassageOverrides(session, GUILD).unhide(CHICKENS, actor=MOD)
    assert state(engine, GUILD, CHICKENS) == (False, None, None)
    undo_last(engine)  # undoing the unhide hides it again
    assert state(engine, GUILD, CHICKENS) == (True, None, None)


def test_attribute_is_validated_and_undone(engine: Engine) -> None:
    with session_scope(engine) as session:
        repo = PassageOverrides(session, GUILD)
        assert repo.attribute(INTRO, " Tempest editors ", "editors' introduction", actor=MOD)
        with pytest.raises(CurationError, match="Unknown role"):
            repo.attribute(INTRO, "X", "narrator", actor=MOD)
        with pytest.raises(CurationError, match="Name the speaker"):
            repo.attribute(INTRO, " ", "quoted", actor=MOD)
        with pytest.raises(CurationError, match="no passage"):
            repo.attribute("000000000000", "X", "quoted", actor=MOD)
    assert state(engine, GUILD, INTRO) == (False, "Tempest editors", "editors' introduction")
    with session_scope(engine) as session:
        PassageOverrides(session, GUILD).attribute(
            INTRO, "Dan La Botz and Stephen Shalom", "quoted", actor=MOD
        )
    undo_last(engine)
    assert state(engine, GUILD, INTRO) == (False, "Tempest editors", "editors' introduction")
    with session_scope(engine) as session:
        PassageOverrides(session, GUILD).attribute(INTRO, None, None, actor=MOD)  # back to the detector
    assert state(engine, GUILD, INTRO) == (False, None, None)


def test_find_passages_by_words_with_a_word_still_being_typed(engine: Engine) -> None:
    with session_scope(engine) as session:
        PassageOverrides(session, GUILD).hide(CHICKENS, actor=MOD)
    with session_scope(engine) as session:
        found = find_passages(session, GUILD, "“Chickens have come ho", limit=5)
        assert found[0].id == CHICKENS and found[0].hidden
        assert found[0].essay_id == "icl-2025-wv1184-ukraine" and found[0].author_line
        assert not find_passages(session, OTHER_GUILD, "chickens have come home")[0].hidden
        assert [p.id for p in find_passages(session, GUILD, CHICKENS)] == [CHICKENS]
        # Typed with a straight apostrophe, printed with a curly one.
        assert any(
            "Putin’s horrific war" in p.text for p in find_passages(session, GUILD, "putin's horrific war")
        )
        # A typo: no passage has every word, the closest ones are still offered.
        assert find_passages(session, GUILD, "chickens have come home to roozt")[0].id == CHICKENS
        assert find_passages(session, GUILD, "   ") == []


def test_removed_essays_are_not_offered(engine: Engine) -> None:
    with session_scope(engine) as session:
        CorpusRepository(session).remove_essay("icl-2025-wv1184-ukraine")
    with session_scope(engine) as session:
        assert all(p.essay_id != "icl-2025-wv1184-ukraine" for p in find_passages(session, GUILD, "chickens"))


def test_resolve_passage_by_id_or_unique_words(engine: Engine) -> None:
    with session_scope(engine) as session:
        assert resolve_passage(session, GUILD, f" {CHICKENS} ").id == CHICKENS
        assert resolve_passage(session, GUILD, "the chickens have come home to roost").id == CHICKENS
        with pytest.raises(CurationError, match="Several passages could match"):
            resolve_passage(session, GUILD, "Putin")
        with pytest.raises(CurationError, match="No passage matches"):
            resolve_passage(session, GUILD, "zzqx wvvy")
        infos = passage_infos(session, GUILD, [INTRO, "000000000000", CHICKENS, INTRO])
        assert [p.id for p in infos] == [INTRO, CHICKENS]
