"""The verification stage on the seeds: windows, contradictions, mixes and moderators' overrides."""

from __future__ import annotations

import pytest

from bot.answer.verify import Verifier
from bot.core.essaybot import Essaybot
from bot.search.embedder import Vectors
from bot.search.hybrid import Hit
from bot.search.query import parse_query

pytestmark = pytest.mark.model

MASON = "mason-2022-marxist-position"
ICL = "icl-2025-wv1184-ukraine"


def test_windows_stay_inside_the_paragraph(seeded_app: Essaybot) -> None:
    verifier = seeded_app.verifier()
    snap = verifier.snapshot
    para = next(p for p in snap.paragraphs if len(p.rows) >= 3)
    first, middle, last = para.rows[0], para.rows[1], para.rows[-1]
    assert verifier.windows(middle) == sorted(
        {(middle, middle), (first, middle), (middle, para.rows[2]), (first, para.rows[2])}
    )
    # The first sentence of a paragraph never takes the previous paragraph's last sentence.
    assert all(lo >= first for lo, _ in verifier.windows(first))
    assert all(hi <= last for _, hi in verifier.windows(last))


def test_a_stance_inversion_is_answered_with_the_essay_that_says_the_opposite(seeded_app: Essaybot) -> None:
    answer = seeded_app.who_said(
        "Who said Russia prospered under the American-led world order of 1989 to 2008?"
    )
    assert answer.verdict == "not_found"
    assert answer.results == []
    top = answer.contradicted_by[0]
    assert top.quote.essay.id == MASON
    assert top.cue == "opposite"
    assert "plundered" in top.differs
    assert answer.to_json()["contradicted_by"][0]["differs"] == top.differs


def test_a_changed_year_is_answered_with_the_real_year(seeded_app: Essaybot) -> None:
    answer = seeded_app.who_said(
        "Who said the U.S. has been on a constant offensive in Eastern Europe since 2004?"
    )
    assert answer.verdict == "not_found"
    assert answer.contradicted_by[0].quote.essay.id == ICL
    assert answer.contradicted_by[0].differs == "says 1990, not 2004"


def test_a_near_quote_that_changes_a_number_is_a_contradiction_with_a_diff(seeded_app: Essaybot) -> None:
    answer = seeded_app.who_said(
        "the history of Ukraine has been one of domination by Russian imperialism, from 1654 – 1991"
    )
    assert answer.verdict == "not_found"
    assert answer.contradicted_by and answer.contradicted_by[0].cue == "number"
    assert answer.diff and any(d.original == "1793" for d in answer.diff)


def test_exact_quotes_and_true_paraphrases_are_still_found(seeded_app: Essaybot) -> None:
    exact = seeded_app.who_said("the chickens have come home to roost")
    assert exact.verdict == "found" and exact.support == "says_this" and not exact.contradicted_by
    para = seeded_app.who_said("Who said Trump humiliating Zelensky was great-power chauvinism?")
    assert para.verdict == "found" and para.results[0].essay.id == ICL
    assert not para.contradicted_by


def test_an_off_topic_question_has_no_contradiction(seeded_app: Essaybot) -> None:
    answer = seeded_app.who_said("Who said the best pizza in Naples is made with buffalo mozzarella?")
    assert answer.verdict == "not_found" and answer.contradicted_by == []


def _claim_hits(app: Essaybot, raw: str) -> tuple[str, list[Hit], Vectors]:
    query = parse_query(raw)
    r = app.retriever()
    qv = r.embed([query.text])
    return query.text, r.search(query.text, k=15, query_vector=qv).hits, qv


def test_moderators_overrides_win_over_the_verifier(seeded_app: Essaybot) -> None:
    raw = "Who said Russia prospered under the American-led world order of 1989 to 2008?"
    claim, hits, qv = _claim_hits(seeded_app, raw)
    base: Verifier = seeded_app.verifier()
    top = base.check(claim, hits, qv).checks[0].hit.passage.id

    supported = base.check(claim, hits, qv, lambda pid: "supports" if pid == top else None)
    assert supported.supported is not None and supported.supported.hit.passage.id == top

    unrelated = base.check(claim, hits, qv, lambda pid: "unrelated" if pid == top else None)
    assert all(c.hit.passage.id != top for c in unrelated.checks)

    para = "Who said Trump humiliating Zelensky was great-power chauvinism?"
    claim2, hits2, qv2 = _claim_hits(seeded_app, para)
    found = base.check(claim2, hits2, qv2)
    assert found.supported is not None
    pid = found.supported.hit.passage.id
    ruled = base.check(claim2, hits2, qv2, lambda p: "contradicts" if p == pid else None)
    assert ruled.checks[0].cue is not None and ruled.checks[0].cue.kind == "moderators"
    assert ruled.supported is None or ruled.supported.hit.passage.id != pid
