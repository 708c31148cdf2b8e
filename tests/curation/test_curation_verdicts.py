"""Verdict overrides: a guild's moderators rule on a claim–passage pair, the answer follows, undo restores."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from bot.config import load_settings
from bot.core.essaybot import Essaybot
from bot.curation.audit import CurationError, undo, undoable_actions
from bot.curation.verdicts import SET, VerdictOverrides, claim_key
from bot.store.db import session_scope

pytestmark = pytest.mark.model

GUILD, OTHER_GUILD = "111", "222"
# Mason says Russia was plundered: the verifier reads it as the opposite of the claim.
PROSPERED = "Who said Russia prospered under the American-led world order of 1989 to 2008?"


@pytest.fixture
def app(clone_seeded: Callable[[str], Path], seeded_app: Essaybot) -> Essaybot:
    bot = Essaybot(load_settings(None, data_dir=clone_seeded("verdicts")))
    bot.embedder = seeded_app.embedder
    return bot


def test_claim_key_folds_quotes_case_and_spacing() -> None:
    folded = claim_key('who said "russia prospered" under it')
    assert claim_key("Who said  “Russia PROSPERED”  under it?") == folded
    assert claim_key(PROSPERED) != claim_key("Who said Russia was plundered?")


def test_ruling_changes_the_answer_in_that_guild_only_and_undo_restores_it(app: Essaybot) -> None:
    before = app.who_said(PROSPERED, guild_id=GUILD)
    assert before.verdict == "not_found" and before.contradicted_by
    passage = before.contradicted_by[0].quote.passage_id
    assert SET in undoable_actions()
    claim = claim_key(PROSPERED)
    with session_scope(app.engine) as session:
        assert VerdictOverrides(session, GUILD).rule(claim, passage, "supports", actor="42")
        # The same ruling again changes nothing and writes no audit entry.
        assert not VerdictOverrides(session, GUILD).rule(claim, passage, "supports", actor="42")
    ruled = app.who_said(PROSPERED, guild_id=GUILD)
    assert ruled.verdict == "found" and ruled.results[0].passage_id == passage
    assert not ruled.contradicted_by
    # Other guilds, DMs and other claims about the passage keep the verifier's reading.
    assert app.who_said(PROSPERED, guild_id=OTHER_GUILD).contradicted_by
    assert app.who_said(PROSPERED).verdict == "not_found"

    with session_scope(app.engine) as session:
        VerdictOverrides(session, GUILD).rule(claim_key(PROSPERED), passage, "unrelated", actor="42")
    unrelated = app.who_said(PROSPERED, guild_id=GUILD)
    assert passage not in [c.quote.passage_id for c in unrelated.contradicted_by]
    assert passage not in [q.passage_id for q in unrelated.results]

    from bot.curation.audit import recent

    with session_scope(app.engine) as session:
        entries = [e.id for e in recent(session, GUILD) if e.action == SET]
        undo(session, entries[0], actor="42", guild_id=GUILD)  # back to "supports"
    assert app.who_said(PROSPERED, guild_id=GUILD).verdict == "found"
    with session_scope(app.engine) as session:
        undo(session, entries[1], actor="42", guild_id=GUILD)  # back to no ruling at all
        assert VerdictOverrides(session, GUILD).get(claim_key(PROSPERED), passage) is None
    again = app.who_said(PROSPERED, guild_id=GUILD)
    assert again.verdict == "not_found" and again.contradicted_by[0].quote.passage_id == passage


def test_bad_rulings_are_refused(app: Essaybot) -> None:
    with session_scope(app.engine) as session:
        repo = VerdictOverrides(session, GUILD)
        with pytest.raises(CurationError, match="Unknown verdict"):
            repo.rule("a claim", "0f82ab4f2fbd", "maybe", actor="42")
        with pytest.raises(CurationError, match="no passage"):
            repo.rule("a claim", "ffffffffffff", "supports", actor="42")
