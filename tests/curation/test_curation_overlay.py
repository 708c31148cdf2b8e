"""A guild's curation in answers: hidden passages, fixed speakers, curated quotes within their class."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from bot.answer.types import CuratedBadge
from bot.config import load_settings
from bot.core.essaybot import Essaybot
from bot.curation.audit import CLI_ACTOR, undo
from bot.curation.overlay import Curation
from bot.curation.passages import PassageOverrides
from bot.curation.quotes import CuratedQuotes
from bot.store.db import session_scope

pytestmark = pytest.mark.model

GUILD, OTHER_GUILD = "111", "222"
CHICKENS = "Who said the chickens have come home to roost?"
NO_FLY = "Who warned that a no-fly zone could lead to nuclear Armageddon?"


@pytest.fixture
def app(clone_seeded: Callable[[str], Path], seeded_app: Essaybot) -> Essaybot:
    bot = Essaybot(load_settings(None, data_dir=clone_seeded("curation")))
    bot.embedder = seeded_app.embedder
    return bot


def test_hidden_passage_never_returns_and_cannot_vouch(app: Essaybot) -> None:
    before = app.who_said(CHICKENS, guild_id=GUILD)
    assert before.verdict == "found"
    hidden = before.results[0].passage_id
    with session_scope(app.engine) as session:
        entry_ok = PassageOverrides(session, GUILD).hide(hidden, actor="42")
    assert entry_ok
    after = app.who_said(CHICKENS, guild_id=GUILD)
    shown = [q.passage_id for q in after.results + after.closest + after.found_elsewhere]
    assert hidden not in shown
    assert after.verdict == "not_found" or after.results[0].match != "exact"
    # Other guilds and DMs are not affected.
    assert app.who_said(CHICKENS, guild_id=OTHER_GUILD).results[0].passage_id == hidden
    assert app.who_said(CHICKENS).results[0].passage_id == hidden


def test_speaker_override_changes_the_attribution_and_undo_restores_it(app: Essaybot) -> None:
    answer = app.who_said(NO_FLY, guild_id=GUILD)
    quote = answer.results[0]
    original = quote.attribution
    with session_scope(app.engine) as session:
        PassageOverrides(session, GUILD).attribute(
            quote.passage_id, "Tempest editors", "editors' introduction", actor="42"
        )
    fixed = app.who_said(NO_FLY, guild_id=GUILD).results[0]
    assert fixed.attribution.startswith("Tempest editors, introducing")
    assert fixed.attribution_fixed
    with session_scope(app.engine) as session:
        from bot.curation.audit import recent

        entry = recent(session, GUILD)[0]
        undo(session, entry.id, actor=CLI_ACTOR, guild_id=GUILD)
    assert app.who_said(NO_FLY, guild_id=GUILD).results[0].attribution == original


def test_curated_quote_ranks_first_within_its_match_class(app: Essaybot) -> None:
    question = "sanctions on Russia"
    answer = app.who_said(question, guild_id=GUILD, top_k=5)
    assert [q.match for q in answer.results][:2] == ["exact", "exact"]
    second = answer.results[1]
    with session_scope(app.engine) as session:
        saved = CuratedQuotes(session, GUILD).save(
            second.passage_id, actor="42", note="key", tags=["sanctions"]
        )
        quote_id = saved.id
    top = app.who_said(question, guild_id=GUILD, top_k=5).results[0]
    assert top.passage_id == second.passage_id
    assert top.curated is not None and top.curated.quote_id == quote_id and top.curated.saved_by == "42"
    assert top.to_json()["curated"]["tags"] == ["sanctions"]
    assert app.who_said(question, guild_id=OTHER_GUILD, top_k=5).results[0].passage_id != second.passage_id


def test_curated_paraphrase_never_outranks_an_exact_quote(app: Essaybot) -> None:
    exact = app.who_said(CHICKENS).results[0]
    paraphrase = app.who_said(NO_FLY).results[0]
    assert (exact.match, paraphrase.match) == ("exact", "paraphrase")
    badge = CuratedBadge(1, "42", "2026-01-01T00:00:00+00:00")
    curation = Curation(curated={paraphrase.passage_id: badge})
    ranked = curation.apply([paraphrase, exact])
    assert [q.passage_id for q in ranked] == [exact.passage_id, paraphrase.passage_id]
    assert ranked[1].curated == badge
