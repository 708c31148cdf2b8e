"""compare and positions: passages of chosen sides on one topic."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from bot.answer.calibration import Calibration, features
from bot.answer.quoting import near_duplicates, quote_from_hit
from bot.answer.sides import Target, author_groups
from bot.answer.types import Position, PositionsAnswer, Quote, Side
from bot.search.hybrid import Hit, SearchResult
from bot.search.snapshot import CorpusSnapshot

# Topic relevance needed before a side is said to have anything on it. Topics are short and general,
# so this is looser than who-said's bar for attributing a claim.
TOPIC_MIN_PROBABILITY = 0.15
CANDIDATES_PER_SIDE = 30

Search = Callable[[set[str], int], SearchResult]


def on_topic(hits: list[Hit], calibration: Calibration) -> bool:
    """Whether the best hit is about the topic at all."""
    if not hits:
        return False
    return calibration.abstention.probability(features(hits)) >= TOPIC_MIN_PROBABILITY


def side_passages(
    hits: list[Hit],
    snap: CorpusSnapshot,
    calibration: Calibration,
    top_k: int,
    *,
    require_on_topic: bool = True,
) -> list[Quote]:
    """Best distinct passages of one side: near duplicates (ratio > 90) count as one."""
    if require_on_topic and not on_topic(hits, calibration):
        return []
    kept: list[Quote] = []
    for h in hits:
        q = quote_from_hit(h, snap)
        if any(near_duplicates(q.quote, k.quote) for k in kept):
            continue
        kept.append(q)
        if len(kept) == top_k:
            break
    return kept


def build_side(
    query: str,
    target: Target,
    search: Search,
    snap: CorpusSnapshot,
    calibration: Calibration,
    top_k: int,
    *,
    require_on_topic: bool = True,
) -> Side:
    """Search one side's essays and keep its best distinct passages."""
    result = search(set(target.essay_ids), CANDIDATES_PER_SIDE)
    return Side(
        query=query,
        kind=target.kind,
        label=target.label,
        essay_ids=list(target.essay_ids),
        passages=side_passages(result.hits, snap, calibration, top_k, require_on_topic=require_on_topic),
    )


def position_groups(snap: CorpusSnapshot) -> dict[str, list[str]]:
    """The essays of every voice in the library (unsigned essays each count as their own voice)."""
    return {
        label: sorted(m.id for m in metas)
        for label, metas in sorted(author_groups(m.meta for m in snap.essays.values()).items())
    }


def build_positions(
    topic: str,
    results: Mapping[str, SearchResult],
    snap: CorpusSnapshot,
    calibration: Calibration,
) -> PositionsAnswer:
    """The best on-topic passage of every voice, from each group's search (:func:`position_groups`)."""
    positions = []
    for label, ids in position_groups(snap).items():
        passages = side_passages(results[label].hits, snap, calibration, 1)
        positions.append(Position(author=label, essay_ids=ids, passage=passages[0] if passages else None))
    # Authors with something on topic first, best first.
    positions.sort(key=lambda p: -(p.passage.score if p.passage else -1.0))
    return PositionsAnswer(topic=topic, positions=positions)
