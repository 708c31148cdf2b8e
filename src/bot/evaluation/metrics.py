"""Quality metrics on question files in the development-set format.

who-said lines: ``id, kind (exact|near|paraphrase|negative), query, gold (essay ids), snippet`` and
optionally ``speaker`` or ``role: report``. compare lines: ``id, a, b, topic, a_gold, b_gold,
a_snippets, b_snippets``. Three systems are scored on the same questions: BM25 only, dense only and
the full pipeline. The baselines rank but never abstain, as plain search engines don't.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from bot.answer.compare import build_side
from bot.answer.quoting import quote_from_hit
from bot.answer.types import CompareAnswer, Quote, WhoSaidAnswer
from bot.errors import EssaybotError
from bot.search.candidates import FusionWeights
from bot.search.hybrid import Hit, Retriever, SearchResult
from bot.search.query import parse_query
from bot.textnorm import normalize

if TYPE_CHECKING:
    from bot.core.essaybot import Essaybot

System = Literal["bm25", "dense", "full"]
SYSTEMS: tuple[System, ...] = ("bm25", "dense", "full")
BASELINE_WEIGHTS: dict[System, FusionWeights] = {
    "bm25": FusionWeights(sentence=0.0, keyword=0.0, keyword_paragraph=1.0),
    "dense": FusionWeights(sentence=1.0, keyword=0.0, keyword_paragraph=0.0),
}


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """Questions from a JSON-lines file; a bad line is an error naming the line."""
    rows = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise EssaybotError(f"cannot read {str(path)!r}: {exc}") from exc
    for n, line in enumerate(lines, 1):
        if line.strip():
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise EssaybotError(f"{path}:{n}: not valid JSON ({exc.msg})") from exc
    return rows


@dataclass
class Tally:
    """A hit count over a number of questions."""

    hits: int = 0
    total: int = 0
    misses: list[str] = field(default_factory=list)

    def add(self, ok: bool, qid: str) -> None:
        self.total += 1
        self.hits += int(ok)
        if not ok:
            self.misses.append(qid)

    def __str__(self) -> str:
        return f"{self.hits}/{self.total}" if self.total else "–"

    @property
    def rate(self) -> float:
        return self.hits / self.total if self.total else 1.0


@dataclass
class WhoSaidScores:
    """who-said metrics of one system."""

    essay_first: dict[str, Tally] = field(default_factory=dict)  # by kind
    passage_top3: dict[str, Tally] = field(default_factory=dict)
    speaker: Tally = field(default_factory=Tally)
    negatives_not_found: Tally = field(default_factory=Tally)
    positives_found: Tally = field(default_factory=Tally)

    def kind(self, table: dict[str, Tally], kind: str) -> Tally:
        return table.setdefault(kind, Tally())


def snippet_in(snippet: str, quotes: Iterable[Quote]) -> bool:
    """Whether any of the quotes contains the snippet (normalised)."""
    needle = normalize(snippet)
    return any(needle in normalize(q.quote) for q in quotes)


def run_system(retriever: Retriever, system: System, text: str, k: int = 10) -> list[Hit]:
    """Ranked hits of one system for a query text."""
    if system == "full":
        return retriever.search(text, k=k).hits
    return retriever.search(text, k=k, weights=BASELINE_WEIGHTS[system], phrase=False).hits


def score_who_said(
    rows: list[dict[str, Any]],
    retriever: Retriever,
    who_said: Callable[[str], WhoSaidAnswer],
    system: System,
) -> WhoSaidScores:
    """Score one system on who-said questions.

    The full pipeline is asked through ``who_said``, the core's own path (verification, curation
    and all); the baselines only rank, as plain search engines do, and never abstain.
    """
    scores = WhoSaidScores()
    snap = retriever.snapshot
    for row in rows:
        if system == "full":
            answer = who_said(row["query"])
            verdict = answer.verdict
            shown = answer.results or answer.closest
        else:
            text = parse_query(row["query"]).text
            shown = [quote_from_hit(h, snap, text) for h in run_system(retriever, system, text)[:5]]
            verdict = "found" if shown else "not_found"
        gold = set(row.get("gold") or [])
        qid = row["id"]
        if not gold:
            scores.negatives_not_found.add(verdict == "not_found", qid)
            continue
        scores.positives_found.add(verdict == "found", qid)
        kind = row.get("kind", "paraphrase")
        first = shown[0].essay.id if shown else None
        scores.kind(scores.essay_first, kind).add(first in gold, qid)
        if row.get("snippet"):
            top3 = [q for q in shown[:3] if q.essay.id in gold]
            scores.kind(scores.passage_top3, kind).add(snippet_in(row["snippet"], top3), qid)
        if system == "full" and (row.get("speaker") or row.get("role")):
            scores.speaker.add(_speaker_ok(row, shown[0] if shown else None), qid)
    return scores


def _speaker_ok(row: dict[str, Any], top: Quote | None) -> bool:
    if top is None:
        return False
    if row.get("role") == "report":
        return top.speaker_role == "reported view"
    want = normalize(row["speaker"])
    return top.speaker is not None and want in normalize(top.speaker)


def compare_with(app: Essaybot, system: System) -> Callable[[str, str, str], CompareAnswer]:
    """The compare of one system: the core's own for the full pipeline.

    The baselines rank each side's passages with one signal and never declare a side empty, as plain
    search engines don't; their sides are resolved by the core all the same.
    """
    if system == "full":
        return app.compare
    r, weights = app.retriever(), BASELINE_WEIGHTS[system]

    def run(a: str, b: str, topic: str) -> CompareAnswer:
        qv = r.embed([topic])

        def search(ids: set[str], k: int) -> SearchResult:
            return r.search(topic, k=k, essay_ids=ids, query_vector=qv, weights=weights, phrase=False)

        a_side, b_side = (
            build_side(
                name, app.resolve(name), search, r.snapshot, app.calibration, 3, require_on_topic=False
            )
            for name in (a, b)
        )
        return CompareAnswer(topic, a_side, b_side)

    return run


def score_compare(rows: list[dict[str, Any]], compare: Callable[[str, str, str], CompareAnswer]) -> Tally:
    """Side-hit@3: a relevant passage of the right essay among a side's top 3."""
    tally = Tally()
    for row in rows:
        answer = compare(row["a"], row["b"], row["topic"])
        for side, gold, snippets in (
            (answer.a, row["a_gold"], row["a_snippets"]),
            (answer.b, row["b_gold"], row["b_snippets"]),
        ):
            top3 = [q for q in side.passages[:3] if q.essay.id in set(gold)]
            tally.add(any(snippet_in(s, top3) for s in snippets), f"{row['id']}:{side.query}")
    return tally
