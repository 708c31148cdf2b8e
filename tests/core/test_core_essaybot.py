"""Answer-level behaviour of the application over the real seeds (model tests)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from bot.config import load_settings
from bot.core.essaybot import Essaybot
from bot.errors import AmbiguousSideError, BadQueryError, UnknownSideError
from bot.search.candidates import FusionWeights
from bot.search.index_store import IndexStore
from bot.search.query import ParsedQuery

pytestmark = pytest.mark.model

MASON = "mason-2022-marxist-position"
ICL = "icl-2025-wv1184-ukraine"
SMITH = "smith-2022-stop-putins-war"


def test_quoted_words_go_to_their_real_speaker(seeded_app: Essaybot) -> None:
    answer = seeded_app.who_said("to be America's friend is fatal")
    top = answer.results[0]
    assert answer.verdict == "found" and top.essay.id == ICL
    assert top.speaker == "Henry Kissinger" and top.speaker_role == "quoted"
    assert top.attribution.startswith("Henry Kissinger, quoted by International Communist League")

    clausewitz = seeded_app.who_said("war is the continuation of politics by other means").results[0]
    assert clausewitz.essay.id == SMITH
    assert clausewitz.speaker == "Carl von Clausewitz"


def test_misquote_gets_a_near_verdict_with_the_original_words(seeded_app: Essaybot) -> None:
    answer = seeded_app.who_said(
        "Ukraine has fought a heroic military and civilian resistance against Russia's invasion"
    )
    assert answer.results[0].essay.id == SMITH
    assert answer.quote_verdict == "near"
    assert answer.diff_summary is not None and "waged" in answer.diff_summary


def test_author_filter_that_misses_says_who_did_say_it(seeded_app: Essaybot) -> None:
    answer = seeded_app.who_said("no truce in the class war", author="ICL")
    assert answer.verdict == "not_found"
    assert answer.author_filter == "International Communist League"
    assert answer.found_elsewhere and answer.found_elsewhere[0].essay.id == MASON
    assert answer.found_elsewhere[0].match == "exact"
    assert all(q.essay.id == ICL for q in answer.closest)


def test_author_filter_that_hits(seeded_app: Essaybot) -> None:
    answer = seeded_app.who_said("no truce in the class war", author="Paul Mason")
    assert answer.verdict == "found" and answer.results[0].essay.id == MASON
    assert answer.found_elsewhere == []


def test_not_found_offers_closest_passages_only_as_such(seeded_app: Essaybot) -> None:
    answer = seeded_app.who_said("Who said the moon landing was faked?")
    assert answer.verdict == "not_found"
    assert answer.results == []
    assert answer.closest  # shown, labelled "not a match" by the renderers


def test_a_parsed_question_and_a_resolved_author_are_taken_as_given(seeded_app: Essaybot) -> None:
    raw, author = "lol who said no truce in the class war?", "Paul Mason"
    query, target = seeded_app.parse(raw), seeded_app.resolve(author)
    assert (query.text, target.label) == ("no truce in the class war", "Paul Mason")
    assert seeded_app.who_said(query, target).to_json() == seeded_app.who_said(raw, author).to_json()
    # The core searches the parsed text it is given: it does not parse the raw question again.
    given = ParsedQuery(raw="unparseable ?!", text="no truce in the class war", quoted=False, question=False)
    answer = seeded_app.who_said(given, target)
    assert answer.verdict == "found" and answer.results[0].essay.id == MASON


def test_compare_takes_resolved_sides_and_a_parsed_topic(seeded_app: Essaybot) -> None:
    a, b = seeded_app.named("Mason"), seeded_app.named("ICL")
    assert (a.name, a.target.essay_ids) == ("Mason", (MASON,))
    topic = seeded_app.parse_topic("  the Zelensky   government ")
    answer = seeded_app.compare(a, b, topic)
    assert answer.topic == "the Zelensky government" and answer.a.query == "Mason"
    assert answer.to_json() == seeded_app.compare("Mason", "ICL", "the Zelensky government").to_json()
    assert seeded_app.positions(topic).to_json() == seeded_app.positions("the Zelensky government").to_json()


def test_compare_weights_replace_the_calibrated_topic_fusion(seeded_app: Essaybot) -> None:
    topic = "the Zelensky government"
    calibrated = seeded_app.compare("Mason", "ICL", topic, weights=seeded_app.calibration.topic_fusion)
    assert calibrated.to_json() == seeded_app.compare("Mason", "ICL", topic).to_json()
    keyword_only = FusionWeights(sentence=0.0, keyword=0.0, keyword_paragraph=1.0)
    other = seeded_app.compare("Mason", "ICL", topic, weights=keyword_only)
    ids = [[q.passage_id for q in s.passages] for s in (other.a, other.b)]
    assert ids != [[q.passage_id for q in s.passages] for s in (calibrated.a, calibrated.b)]


@pytest.mark.parametrize("query", ["", "   ", "?!", "x" * 2001])
def test_bad_queries_are_user_errors(seeded_app: Essaybot, query: str) -> None:
    with pytest.raises(BadQueryError):
        seeded_app.who_said(query)


def test_compare_sides_must_resolve_and_differ(seeded_app: Essaybot) -> None:
    with pytest.raises(UnknownSideError):
        seeded_app.compare("Paul Mason", "Nobody In Particular", "war")
    with pytest.raises(UnknownSideError, match="same"):
        seeded_app.compare("Paul Mason", "Mason", "war")
    with pytest.raises((AmbiguousSideError, UnknownSideError)):
        seeded_app.compare("Tempest", "Mason", "war")  # a publication, not an author or essay


def test_compare_says_when_a_side_has_nothing_on_the_topic(seeded_app: Essaybot) -> None:
    answer = seeded_app.compare("Paul Mason", "ICL", "recipes for sourdough bread and pastry")
    assert answer.a.passages == [] and answer.b.passages == []


def test_positions_gives_each_author_at_most_one_passage(seeded_app: Essaybot) -> None:
    answer = seeded_app.positions("sanctions on Russia")
    assert len(answer.positions) == 5
    with_passage = [p for p in answer.positions if p.passage is not None]
    assert with_passage, "somebody in the corpus discusses sanctions"
    for p in with_passage:
        assert p.passage is not None and p.passage.essay.id in p.essay_ids


def test_corrupt_index_is_rebuilt_and_reindex_publishes(clone_seeded: Callable[[str], Path]) -> None:
    data_dir = clone_seeded("corrupt")
    generation = IndexStore(data_dir / "index").current_generation()
    assert generation is not None
    (data_dir / "index" / f"gen-{generation:06d}" / "sentences.faiss").write_bytes(b"garbage, not faiss")

    app = Essaybot(load_settings(None, data_dir=data_dir))
    try:
        # Never trusted: the unreadable index is rebuilt from the database, and answers still come.
        assert app.who_said("no truce in the class war").results[0].essay.id == MASON
        assert app.store.current_generation() == generation + 1
        manifest = app.library.reindex()
        assert manifest.generation == generation + 2
        assert manifest.passage_count == len(app.retriever().snapshot)
        assert app.who_said("the chickens have come home to roost").results[0].essay.id == ICL
    finally:
        app.engine.dispose()


def test_a_library_whose_essays_were_all_removed_is_not_seeded_again(
    clone_seeded: Callable[[str], Path], seeded_app: Essaybot
) -> None:
    app = Essaybot(load_settings(None, data_dir=clone_seeded("all-removed")), embedder=seeded_app.embedder)
    for meta in app.essays():
        app.library.remove_essay_by(meta.id, actor="cli")
    again = Essaybot(load_settings(None, data_dir=app.settings.data_dir), embedder=seeded_app.embedder)
    again.ensure_ready()
    assert again.counts()["essays"] == 0 and again.counts()["removed"] == len(seeded_app.essays())
    assert again.who_said("war is the continuation of politics by other means").verdict == "not_found"
