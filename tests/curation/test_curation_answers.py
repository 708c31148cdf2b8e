"""The answers the bot posted, read from the interaction log: which to correct, and what a moderator sees."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine

from bot.curation.answers import answer_state, logged_answer, posted_answers
from bot.curation.quotes import CuratedQuotes
from bot.curation.verdicts import VerdictOverrides, claim_key
from bot.store.db import session_scope
from bot.store.interactions import InteractionLog

GUILD, OTHER_GUILD = "111", "222"
QUESTION = "who said “a wall is a promise”?"


def log(
    engine: Engine, command: str, options: dict[str, Any], passages: list[str], message: int | None, **kw: Any
) -> int:
    """One logged interaction in a channel; its message id when the answer was posted."""
    with session_scope(engine) as session:
        return InteractionLog(session).record(
            source="discord",
            command=command,
            options=options,
            verdict="found",
            passage_ids=passages,
            latency_ms=5,
            guild_id=kw.get("guild", GUILD),
            channel_id="500",
            message_id=None if message is None else str(message),
            error=kw.get("error"),
        )


def test_posted_answers_are_those_that_showed_the_passages_newest_first_without_deleted_ones(
    engine: Engine,
) -> None:
    first = log(engine, "who_said", {"query": QUESTION}, ["p1"], 901)
    compared = log(engine, "compare", {"a": "x", "b": "y", "topic": "walls"}, ["p2", "p1"], 902)
    log(engine, "who_said", {"query": QUESTION}, ["p2"], 903)  # showed another passage
    log(engine, "who_said", {"query": QUESTION}, ["p1"], None)  # private: no message to edit
    log(engine, "who_said", {"query": QUESTION}, ["p1"], 904, error="BadQueryError: no")
    log(engine, "who_said", {"query": QUESTION}, ["p1"], 905, guild=OTHER_GUILD)
    gone = log(engine, "positions", {"topic": "walls"}, ["p1"], 906)
    log(engine, "button_delete", {"answer": gone}, [], None)
    with session_scope(engine) as session:
        found = posted_answers(session, GUILD, ["p1"])
    assert [(a.row_id, a.message_id, a.channel_id) for a in found] == [
        (compared, 902, 500),
        (first, 901, 500),
    ]
    assert found[0].options == {"a": "x", "b": "y", "topic": "walls"}


def test_with_a_claim_the_who_said_answers_to_that_claim_are_posted_answers_whatever_they_showed(
    engine: Engine,
) -> None:
    asked = log(engine, "who_said", {"query": QUESTION}, ["p2"], 901)
    shared = log(engine, "button_share", {"query": "Who said “A wall is a promise”"}, [], 902)
    log(engine, "who_said", {"query": "who said nobody remembers?"}, ["p1"], 903)
    log(engine, "compare", {"a": "x", "b": "y", "topic": QUESTION}, ["p1"], 904)
    with session_scope(engine) as session:
        found = posted_answers(session, GUILD, [], claim=claim_key(QUESTION))
    assert [a.row_id for a in found] == [shared, asked]


def test_logged_answer_gives_the_passages_and_for_who_said_the_folded_claim(engine: Engine) -> None:
    log(engine, "who_said", {"query": QUESTION}, ["p1", "p2"], 901)
    log(engine, "compare", {"a": "x", "b": "y", "topic": "walls"}, ["p2"], 902)
    with session_scope(engine) as session:
        assert logged_answer(session, GUILD, 901) == (["p1", "p2"], claim_key(QUESTION))
        assert logged_answer(session, GUILD, 902) == (["p2"], None)
        assert logged_answer(session, OTHER_GUILD, 901) is None
        assert logged_answer(session, GUILD, 999) is None


def test_answer_state_holds_this_guilds_curated_quotes_and_rulings_in_the_answers_order(
    engine: Engine,
) -> None:
    claim = claim_key(QUESTION)
    with session_scope(engine) as session:
        saved = CuratedQuotes(session, GUILD).save("p1", actor="930")
        CuratedQuotes(session, OTHER_GUILD).save("p2", actor="930")
        VerdictOverrides(session, GUILD).rule(claim, "p2", "contradicts", actor="930")
    with session_scope(engine) as session:
        state = answer_state(session, GUILD, ["p2", "gone", "p1"], claim)
        without_claim = answer_state(session, GUILD, ["p1"], None)
    assert [p.id for p in state.passages] == ["p2", "p1"]
    assert state.curated == {"p1": [saved.id]}
    assert state.rulings == {"p2": "contradicts"}
    assert without_claim.rulings == {}
