"""Assemble a who-said answer: verdict, ranked quotes, misquote verdict, honest "not found".

Exact and near quotations settle the verdict by themselves, unless a near quote changes a fact (a
number, a negation), which makes it a contradiction with a diff. Everything else goes through the
verifier (:mod:`bot.answer.verify`): a passage is quoted as the answer only when it supports the claim,
and a passage that says otherwise is shown as such, never as a match.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import numpy.typing as npt

from bot.answer import cues, polarity
from bot.answer.calibration import Calibration
from bot.answer.quoting import distinct, order_sources, quote_from_hit
from bot.answer.types import Contradiction, DiffEntry, QuoteVerdict, Support, WhoSaidAnswer
from bot.answer.verdict import classify, diff_summary
from bot.answer.verify import Check, Overrides, Verification, Verifier
from bot.search.hybrid import Hit
from bot.search.query import ParsedQuery
from bot.search.snapshot import CorpusSnapshot

# "Says this" needs the passage to share at least this share of the claim's words (paragraph coverage);
# below it the verifier found the meaning in other words, which a reader should check in context.
SAYS_THIS_COVERAGE = 0.5
# A window of several sentences is quoted whole when it matches the claim this much better than the
# sentence alone: the claim was spread over the sentence pair.
WINDOW_QUOTE_GAIN = 0.03

CLOSEST_SHOWN = 3


def claim_of(query: ParsedQuery) -> str:
    """The words the verifier compares: a quoted span as given, else the question minus "who"."""
    return query.text if query.quoted else cues.claim_text(query.raw)


def build_answer(
    query: ParsedQuery,
    hits: list[Hit],
    snap: CorpusSnapshot,
    calibration: Calibration,
    *,
    top_k: int,
    verifier: Verifier,
    query_vector: npt.NDArray[np.float32],
    author_filter: str | None = None,
    overrides: Overrides | None = None,
) -> WhoSaidAnswer:
    """Turn ranked hits into the answer a member sees (``overrides``: the moderators' verdicts)."""
    answer = WhoSaidAnswer(
        query=query.raw,
        searched=query.text,
        verdict="not_found",
        confidence=0.0,
        results=[],
        author_filter=author_filter,
    )
    top = hits[0] if hits else None
    if top is not None and top.match in ("exact", "near"):
        return _phrase_answer(answer, query, hits, snap, top_k)
    claim = claim_of(query)
    verification = verifier.check(claim, hits, query_vector, overrides) if hits else Verification()
    supported = verification.supported
    if supported is None:
        return _not_found(answer, query, hits, snap, verification)
    chosen = [c for c in verification.checks if c.supports and c.support >= verifier.model.threshold]
    quotes = [quote_from_hit(_quoted_window(c), snap, query.text) for c in chosen]
    answer.verdict, answer.confidence = "found", supported.support
    answer.results = [quotes[0], *order_sources(distinct(quotes[1:]))][:top_k]
    support: Support = (
        "says_this" if supported.features["coverage"] >= SAYS_THIS_COVERAGE else "probably_means_this"
    )
    answer.support = support
    if query.quote_like:
        answer.quote_verdict = "paraphrase"
    return answer


def _quoted_window(c: Check) -> Hit:
    """The hit, quoting its whole window when the claim spans its sentences."""
    if c.features["window"] - c.features["dense"] < WINDOW_QUOTE_GAIN:
        return c.hit
    return dataclasses.replace(c.hit, quote_start=c.window_start, quote_end=c.window_end)


def _phrase_answer(
    answer: WhoSaidAnswer, query: ParsedQuery, hits: list[Hit], snap: CorpusSnapshot, top_k: int
) -> WhoSaidAnswer:
    """Exact and near quotations: found, unless a near quote changes a fact."""
    top = hits[0]
    chosen = [h for h in hits if h.match in ("exact", "near")]
    # An exact quote settles it; near ones ranked below it would only blur the answer.
    if top.match == "exact":
        chosen = [h for h in chosen if h.match == "exact"]
    quotes = order_sources(distinct([quote_from_hit(h, snap, query.text) for h in chosen]))[:top_k]
    verdict, diff = _misquote(query.text, quotes[0].quote, top.match)
    if verdict == "near":
        original = " ".join(d.original for d in diff)
        user = " ".join(d.user for d in diff)
        # The number must differ inside the aligned words; a negation is read on the whole sentence,
        # since the user's "not" may face one the alignment left outside ("It is not because …").
        cue = cues.number_cue(cues.words(user), cues.words(original)) or polarity.negation_flip(
            query.text, quotes[0].quote
        )
        if cue is not None:
            # "Russia would restore" against "Russia would not restore" is not a misquote: it is the
            # opposite claim, shown with the same word diff a misquote gets.
            answer.diff, answer.diff_summary = diff, diff_summary_or_none(diff)
            answer.quote_verdict = "not_in_corpus"
            answer.contradicted_by = [Contradiction(quotes[0], cue.differs, cue.kind)]
            answer.closest = quotes
            return answer
    answer.verdict, answer.confidence = "found", min(1.0, top.alignment / 100.0)
    answer.support = "says_this"
    answer.results = quotes
    answer.quote_verdict, answer.diff, answer.diff_summary = verdict, diff, diff_summary_or_none(diff)
    return answer


def _not_found(
    answer: WhoSaidAnswer,
    query: ParsedQuery,
    hits: list[Hit],
    snap: CorpusSnapshot,
    verification: Verification,
) -> WhoSaidAnswer:
    """No passage supports the claim: show what says otherwise, then the closest passages."""
    answer.closest = [quote_from_hit(h, snap, query.text) for h in hits[:CLOSEST_SHOWN]]
    answer.confidence = max((c.support for c in verification.checks), default=0.0)
    answer.quote_verdict = "not_in_corpus" if query.quote_like else None
    if verification.mix is not None:
        first, second = verification.mix
        a, b = quote_from_hit(first.hit, snap), quote_from_hit(second.hit, snap)
        joined = f"{a.attribution} says one part; {b.attribution} says the other; neither joins them"
        answer.contradicted_by = [Contradiction(a, joined, "mix"), Contradiction(b, joined, "mix")]
    else:
        answer.contradicted_by = [
            Contradiction(quote_from_hit(c.hit, snap, query.text), c.cue.differs, c.cue.kind)
            for c in verification.contradicted
            if c.cue is not None
        ]
    return answer


def _misquote(user: str, original: str, match: str) -> tuple[QuoteVerdict, list[DiffEntry]]:
    if match == "paraphrase":
        return "paraphrase", []
    verdict, _start, _end, ops = classify(user, original)
    entries = [DiffEntry(op.op, op.user, op.original) for op in ops if op.op != "equal"]
    if verdict == "exact" or match == "exact":
        return "exact", []
    return ("near" if verdict in ("near", "exact") else "paraphrase"), entries


def diff_summary_or_none(diff: list[DiffEntry]) -> str | None:
    """One-line description of how the user's words differ from the original."""
    if not diff:
        return None
    return diff_summary(diff)
