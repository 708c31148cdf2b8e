"""Property: what is stored, embedded and shown is always ``body[start:end]`` of the essay."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.answer.quoting import quote_from_hit
from bot.corpus.models import Essay, EssayMeta, Passage
from bot.corpus.prepare import prepare
from bot.search.hybrid import Hit
from bot.search.snapshot import snapshot_of
from bot.store.db import make_engine, session_scope, upgrade
from bot.store.repo import CorpusRepository

WORDS = st.sampled_from(
    [
        "the",
        "war",
        "U.S.",
        "No. 1184",
        "Kyiv",
        "café",
        "strike",
        "“peace”",
        "workers’",
        "—",
        "union",
        "Émigré",
    ]
)
SENTENCE = st.lists(WORDS, min_size=3, max_size=12).map(lambda ws: " ".join(ws).capitalize() + ".")
PARAGRAPH = st.lists(SENTENCE, min_size=1, max_size=4).map(" ".join)
BODY = st.lists(PARAGRAPH, min_size=1, max_size=5).map(lambda ps: "A Title\n\n" + "\n\n".join(ps) + "\n")


def _hit(row: int, snap_passages: list[Passage], dense: float = 0.5) -> Hit:
    p = snap_passages[row]
    return Hit(
        row=row,
        passage=p,
        score=dense,
        dense=dense,
        keyword=0.0,
        keyword_paragraph=0.0,
        coverage=0.0,
        weighted_coverage=0.0,
        match_start=p.start,
        match_end=p.end,
        quote_start=p.start,
        quote_end=p.end,
    )


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=BODY)
def test_stored_embedded_and_shown_text_is_the_body_slice(body: str) -> None:
    essay = Essay(EssayMeta("prop-essay", "A Title", authors=("Ann Smith",)), body, source="prop.md")
    prepared = prepare(essay)
    engine = make_engine("sqlite://")
    upgrade(engine)
    with session_scope(engine) as session:
        CorpusRepository(session).save_essay(essay, prepared.passages, prepared.spans)
    with session_scope(engine) as session:
        repo = CorpusRepository(session)
        stored = repo.get_essay(essay.id)
        snap = snapshot_of(repo)
    engine.dispose()
    assert stored is not None and stored.body == body
    # Stored passages: exact slices, in order, never overlapping, within the essay.
    previous_end = 0
    for p in snap.passages:
        assert p.text == body[p.start : p.end]
        assert 0 <= previous_end <= p.start < p.end <= len(body)
        previous_end = p.end
    # What the index embeds is the passage text itself; what an answer shows is the same slice.
    for row, p in enumerate(snap.passages):
        q = quote_from_hit(_hit(row, snap.passages), snap)
        assert q.quote == body[q.start : q.end] == p.text
        assert q.context == body[q.context_start : q.context_start + len(q.context)]
