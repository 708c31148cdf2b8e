"""Curated quotes on the seeded corpus: save (a passage or words in it), remove, undo, list, export/import."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from bot.curation.audit import CLI_ACTOR, CurationError, recent, undo
from bot.curation.quote_files import export_csv, export_document, parse_import
from bot.curation.quotes import CuratedQuotes, span_of_words
from bot.store.db import make_engine, session_scope
from bot.store.models import AuditRow, CuratedQuoteRow, PassageRow

pytestmark = pytest.mark.model

GUILD, OTHER_GUILD = "111", "222"
CHICKENS = "14d6d3057428"  # “Well, the chickens have come home to roost: Large parts …” (ICL)
CONDEMN = "3fdce89fc962"  # “We must condemn Putin’s horrific war, …” (Ashley Smith)
MOD = "930003"


@pytest.fixture
def engine(clone_seeded: Callable[[str], Path]) -> Iterator[Engine]:
    eng = make_engine(f"sqlite:///{clone_seeded('quotes') / 'essaybot.db'}")
    yield eng
    eng.dispose()


def passage(engine: Engine, passage_id: str) -> PassageRow:
    with session_scope(engine) as session:
        row = session.get(PassageRow, passage_id)
        assert row is not None
        session.expunge(row)
        return row


def test_words_pick_a_span_whatever_the_quote_marks_and_case(engine: Engine) -> None:
    p = passage(engine, CHICKENS)
    start, end = span_of_words(p.text, p.start, "THE chickens", "to roost")
    assert p.text[start - p.start : end - p.start] == "the chickens have come home to roost"
    assert span_of_words(p.text, p.start, None, None) == (p.start, p.end)
    start, end = span_of_words(p.text, p.start, "Large parts", None)
    assert p.text[start - p.start :].startswith("Large parts") and end == p.end
    condemn = passage(engine, CONDEMN)
    start, end = span_of_words(condemn.text, condemn.start, "putin's horrific", "war")  # straight apostrophe
    assert condemn.text[start - condemn.start : end - condemn.start] == "Putin’s horrific war"
    with pytest.raises(CurationError, match="not in that passage"):
        span_of_words(p.text, p.start, "no such words", None)
    with pytest.raises(CurationError, match="do not come after"):
        span_of_words(p.text, p.start, "Large parts", "chickens")


def test_save_span_is_audited_and_duplicates_are_refused(engine: Engine) -> None:
    p = passage(engine, CHICKENS)
    span = span_of_words(p.text, p.start, "the chickens", "roost")
    with session_scope(engine) as session:
        row = CuratedQuotes(session, GUILD).save(
            CHICKENS, actor=MOD, span=span, note="  Malcolm X  ", tags=["History", "history", " Race "]
        )
        assert (row.text, row.note, row.tags, row.saved_by) == (
            "the chickens have come home to roost",
            "Malcolm X",
            ["history", "race"],
            MOD,
        )
        [entry] = recent(session, GUILD)
        assert (entry.action, entry.actor, entry.before) == ("quote.save", MOD, None)
        assert entry.after is not None and entry.after["text"] == row.text
        with pytest.raises(CurationError, match="already curated"):
            CuratedQuotes(session, GUILD).save(CHICKENS, actor=MOD, span=span)
        with pytest.raises(CurationError, match="not inside that passage"):
            CuratedQuotes(session, GUILD).save(CHICKENS, actor=MOD, span=(p.start - 5, p.end))
        with pytest.raises(CurationError, match="no passage"):
            CuratedQuotes(session, GUILD).save("000000000000", actor=MOD)
        # The same words may be curated by another server.
        CuratedQuotes(session, OTHER_GUILD).save(CHICKENS, actor=MOD, span=span)


def test_undo_of_save_and_of_remove(engine: Engine) -> None:
    with session_scope(engine) as session:
        quote_id = CuratedQuotes(session, GUILD).save(CHICKENS, actor=MOD).id
        saved = recent(session, GUILD)[0].id
    with session_scope(engine) as session:
        CuratedQuotes(session, GUILD).remove(quote_id, actor=MOD)
        removed = recent(session, GUILD)[0]
        assert removed.action == "quote.remove" and removed.before and removed.after is None
        assert CuratedQuotes(session, GUILD).listing() == []
        with pytest.raises(CurationError):
            CuratedQuotes(session, OTHER_GUILD).remove(quote_id, actor=MOD)  # not theirs
    with session_scope(engine) as session:
        undo(session, removed.id, actor=CLI_ACTOR, guild_id=GUILD)
        assert [q.id for q in CuratedQuotes(session, GUILD).listing()] == [quote_id]
        with pytest.raises(CurationError, match="already undone"):
            undo(session, removed.id, actor=CLI_ACTOR, guild_id=GUILD)
    with session_scope(engine) as session:
        undo(session, saved, actor=CLI_ACTOR, guild_id=GUILD)
        assert CuratedQuotes(session, GUILD).listing() == []
        actions = [a.action for a in session.scalars(select(AuditRow).order_by(AuditRow.id))]
        assert actions == ["quote.save", "quote.remove", "audit.undo", "audit.undo"]


def test_listing_filters_by_tag_and_essays(engine: Engine) -> None:
    with session_scope(engine) as session:
        repo = CuratedQuotes(session, GUILD)
        repo.save(CHICKENS, actor=MOD, tags=["history"])
        repo.save(CONDEMN, actor=MOD, tags=["war", "History"])
        assert [q.passage_id for q in repo.listing()] == [CONDEMN, CHICKENS]  # newest first
        assert len(repo.listing(tag=" HISTORY ")) == 2
        assert [q.passage_id for q in repo.listing(tag="war")] == [CONDEMN]
        assert [q.passage_id for q in repo.listing(author_essays={"icl-2025-wv1184-ukraine"})] == [CHICKENS]
        assert CuratedQuotes(session, OTHER_GUILD).listing() == []


def test_export_import_round_trip_into_another_guild(engine: Engine) -> None:
    p = passage(engine, CHICKENS)
    with session_scope(engine) as session:
        repo = CuratedQuotes(session, GUILD)
        repo.save(CONDEMN, actor=MOD, note='a "note", with commas\nand a line', tags=["war"])
        repo.save(CHICKENS, actor=MOD, span=span_of_words(p.text, p.start, "the chickens", "roost"))
        exported = repo.export()
    data = json.dumps(export_document(GUILD, exported)).encode()
    with session_scope(engine) as session:
        assert CuratedQuotes(session, OTHER_GUILD).import_(parse_import(data), actor=CLI_ACTOR) == (2, 0)
        assert CuratedQuotes(session, OTHER_GUILD).import_(parse_import(data), actor=CLI_ACTOR) == (0, 2)
        back = CuratedQuotes(session, OTHER_GUILD).export()
        entry = recent(session, OTHER_GUILD)[0]
        assert (entry.action, entry.actor) == ("quote.save", CLI_ACTOR)

    def without_ids(items: list[dict[str, object]]) -> list[dict[str, object]]:
        return [{k: v for k, v in item.items() if k != "id"} for item in items]

    assert without_ids(back) == without_ids(exported)  # saved_by and saved_at travel too
    assert {item["saved_by"] for item in back} == {MOD}
    rows = list(csv.DictReader(io.StringIO(export_csv(exported))))
    assert [r["text"] for r in rows] == [item["text"] for item in exported]
    assert rows[0]["note"] == 'a "note", with commas\nand a line' and rows[0]["tags"] == "war"


def test_import_is_all_or_nothing_and_finds_moved_text(engine: Engine) -> None:
    p = passage(engine, CHICKENS)
    good = {"passage_id": CHICKENS, "start": p.start, "end": p.start + 10, "text": p.text[:10]}
    for bad, message in (
        ({"passage_id": CHICKENS, "start": "0", "end": 5}, "'start'"),
        ({"passage_id": "000000000000", "start": 0, "end": 5}, "not in the corpus"),
        ({**good, "tags": "war"}, "list of strings"),
        ({**good, "start": good["start"] + 3, "end": good["end"] + 3, "text": "not in it"}, "no longer"),
    ):
        with pytest.raises(CurationError, match=message), session_scope(engine) as session:
            CuratedQuotes(session, GUILD).import_([good, bad], actor=CLI_ACTOR)
        with session_scope(engine) as session:
            assert session.scalars(select(CuratedQuoteRow)).first() is None  # the good one was rolled back
    # Offsets that moved (the essay was edited above the quote) are found again from the text.
    moved = {**good, "start": good["start"] + 3, "end": good["end"] + 3}
    with session_scope(engine) as session:
        assert CuratedQuotes(session, GUILD).import_([moved], actor=CLI_ACTOR) == (1, 0)
        [row] = CuratedQuotes(session, GUILD).listing()
        assert (row.start, row.end, row.text) == (p.start, p.start + 10, p.text[:10])


def test_parse_import_accepts_the_export_or_a_bare_list() -> None:
    item = {"passage_id": CHICKENS, "start": 0, "end": 1}
    assert parse_import(json.dumps([item]).encode()) == [item]
    assert parse_import(json.dumps(export_document(GUILD, [item])).encode()) == [item]
    for data, message in (
        (b"\xff\xfe", "not UTF-8"),
        (b"{not json", "not valid JSON"),
        (json.dumps({"kind": "audit", "quotes": []}).encode(), "not a curated quotes export"),
        (json.dumps({"quotes": {}}).encode(), "no list of quotes"),
    ):
        with pytest.raises(CurationError, match=message):
            parse_import(data)
