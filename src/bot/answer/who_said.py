"""Assemble a who-said answer: verdict, ranked quotes, misquote verdict, honest "not found"."""

from __future__ import annotations

from bot.answer.calibration import Calibration, features
from bot.answer.quoting import distinct, order_sources, quote_from_hit
from bot.answer.types import DiffEntry, QuoteVerdict, WhoSaidAnswer
from bot.answer.verdict import classify, diff_summary
from bot.search.hybrid import Hit
from bot.search.query import ParsedQuery
from bot.search.snapshot import CorpusSnapshot

# A paraphrase result is listed with the top one only when its fused score is this close to it.
RESULT_SCORE_WINDOW = 0.08
CLOSEST_SHOWN = 3


def is_found(hits: list[Hit], calibration: Calibration) -> tuple[bool, float]:
    """Whether the top hit really answers the question, and the confidence (0..1)."""
    if not hits:
        return False, 0.0
    top = hits[0]
    if top.match in ("exact", "near"):
        return True, min(1.0, top.alignment / 100.0)
    ab = calibration.abstention
    p = ab.probability(features(hits))
    return p >= ab.threshold and top.dense >= ab.dense_floor, p


def build_answer(
    query: ParsedQuery,
    hits: list[Hit],
    snap: CorpusSnapshot,
    calibration: Calibration,
    *,
    top_k: int,
    author_filter: str | None = None,
) -> WhoSaidAnswer:
    """Turn ranked hits into the answer a member sees."""
    found, confidence = is_found(hits, calibration)
    answer = WhoSaidAnswer(
        query=query.raw,
        searched=query.text,
        verdict="found" if found else "not_found",
        confidence=confidence,
        results=[],
        author_filter=author_filter,
    )
    if not found:
        answer.closest = [quote_from_hit(h, snap, query.text) for h in hits[:CLOSEST_SHOWN]]
        answer.quote_verdict = "not_in_corpus" if query.quote_like else None
        return answer
    top = hits[0]
    chosen = [
        h
        for h in hits
        if h.match in ("exact", "near")
        or (top.match == "paraphrase" and h.score >= top.score - RESULT_SCORE_WINDOW)
    ]
    # An exact quote settles it; paraphrases ranked below it would only blur the answer.
    if top.match == "exact":
        chosen = [h for h in chosen if h.match == "exact"]
    quotes = order_sources(distinct([quote_from_hit(h, snap, query.text) for h in chosen]))[:top_k]
    answer.results = quotes
    if query.quote_like or top.match != "paraphrase":
        verdict, diff = _misquote(query.text, quotes[0].quote, top.match)
        answer.quote_verdict = verdict
        answer.diff = diff
        answer.diff_summary = diff_summary_or_none(diff)
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
