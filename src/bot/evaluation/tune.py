"""Fit the calibration on question files: fusion weights by grid search, the topic-abstention and the
verifier's support model by logistic regression (``bot.evaluation.support``, cross-validated there).

Development use only (``essaybot eval --tune FILES [--write]``); the result is committed as
``bot/data/calibration.json``. scikit-learn comes with sentence-transformers.
"""

from __future__ import annotations

import functools
import itertools
import json
from typing import Any

import numpy as np

from bot.answer.calibration import FEATURES, features
from bot.answer.verify import FEATURES as SUPPORT_FEATURES
from bot.evaluation.support import fitted
from bot.paths import package_data
from bot.search.candidates import FusionWeights
from bot.search.hybrid import Retriever
from bot.search.query import parse_query
from bot.textnorm import normalize

GRID = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5)
# The target: at least 97% of questions the corpus answers must stay "found".
MIN_FOUND = 0.97
# Not fitted: set below the lowest dense similarity of a true match seen on any question set (0.35
# on held-out questions, 0.47 on ours), so it only removes answers whose meaning is plainly elsewhere.
DENSE_FLOOR = 0.30


def _gold_rows(r: Retriever, row: dict[str, Any]) -> set[int]:
    """Rows of the passages that contain the gold snippet (or whose neighbours do)."""
    gold = set(row["gold"])
    snippet = normalize(row.get("snippet") or "")
    out = set()
    for i, p in enumerate(r.snapshot.passages):
        if p.essay_id in gold:
            start, end = r.snapshot.window_span(i)
            if snippet and snippet in normalize(r.snapshot.body_text(p.essay_id, start, end)):
                out.add(i)
    return out


def tune_fusion(r: Retriever, rows: list[dict[str, Any]]) -> FusionWeights:
    """Weights that put the right essay first and the right passage high, most robustly."""
    positives = [row for row in rows if row.get("gold")]
    prepared = []
    for row in positives:
        sig = r.signals(parse_query(row["query"]).text)
        essays = np.array([r.snapshot.passages[i].essay_id in set(row["gold"]) for i in sig.rows])
        gold_rows = _gold_rows(r, row)
        gold_mask = np.array([int(i) in gold_rows for i in sig.rows])
        prepared.append((sig, essays, gold_mask))
    best: tuple[tuple[float, ...], FusionWeights] | None = None
    for ws, wk, wp in itertools.product(GRID, repeat=3):
        if ws == 0:  # a dense signal is the point of the pipeline
            continue
        total = ws + wk + wp
        w = FusionWeights(ws / total, wk / total, wp / total)
        first = top3 = 0
        margin = 0.0
        for sig, essays, gold_mask in prepared:
            fused = sig.fuse(w)
            order = np.argsort(-fused)
            first += int(essays[order[0]])
            top3 += int(gold_mask[order[:3]].any()) if gold_mask.any() else 0
            right = fused[essays].max()
            wrong = fused[~essays].max() if (~essays).any() else 0.0
            margin += float(np.clip(right - wrong, -0.1, 0.1))
        key = (first, top3, round(margin, 3))
        if best is None or key > best[0]:
            best = (key, w)
    assert best is not None
    return best[1]


def tune_topic_fusion(app: Any, rows: list[dict[str, Any]]) -> FusionWeights:
    """Weights for compare and positions that maximise side-hit@3 on compare questions.

    Each candidate is scored through the core's own compare, given the weights to try.
    """
    from bot.evaluation.metrics import score_compare

    best: tuple[int, FusionWeights] | None = None
    coarse = (0.0, 0.25, 0.5, 0.75, 1.0)
    for ws, wk, wp in itertools.product(coarse, repeat=3):
        if ws == 0:
            continue
        total = ws + wk + wp
        w = FusionWeights(ws / total, wk / total, wp / total)
        hits = score_compare(rows, functools.partial(app.compare, weights=w)).hits
        if best is None or hits > best[0]:
            best = (hits, w)
    assert best is not None
    return best[1]


def tune_abstention(r: Retriever, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Logistic regression on the top hit's signals; threshold between the classes' closest members."""
    from sklearn.linear_model import LogisticRegression

    xs, ys = [], []
    for row in rows:
        hits = r.search(parse_query(row["query"]).text, k=10).hits
        if hits and hits[0].match != "paraphrase":
            continue  # exact and near quotes are found by phrase matching, not by this model
        f = features(hits)
        xs.append([f[name] for name in FEATURES])
        ys.append(1 if row.get("gold") else 0)
    x, y = np.array(xs), np.array(ys)
    model = LogisticRegression(C=1.0, class_weight="balanced", max_iter=1000).fit(x, y)
    probs = model.predict_proba(x)[:, 1]
    # Exact and near quotes are always found, so they count toward the share of positives kept.
    total_positives = sum(1 for row in rows if row.get("gold"))
    threshold = choose_threshold(probs[y == 1], probs[y == 0], total_positives=total_positives)
    return {
        "dense_floor": DENSE_FLOOR,
        "features": list(FEATURES),
        "weights": [round(float(c), 4) for c in model.coef_[0]],
        "bias": round(float(model.intercept_[0]), 4),
        "threshold": round(threshold, 4),
    }


def choose_threshold(
    positives: np.ndarray, negatives: np.ndarray, *, total_positives: int, min_found: float = MIN_FOUND
) -> float:
    """The cut that rejects the most negatives while keeping ``min_found`` of positives found.

    It sits midway between the scores on either side of it, for the widest margin both ways.
    """
    pos = np.sort(positives)
    allowed_misses = min(len(pos) - 1, int(np.floor(total_positives * (1.0 - min_found))))
    lowest_kept = pos[allowed_misses]
    below = negatives[negatives < lowest_kept]
    above = pos[pos < lowest_kept]
    under = max([*below, *above], default=lowest_kept * 0.9)
    return float((lowest_kept + under) / 2)


def tune(
    app: Any, who_rows: list[dict[str, Any]], compare_rows: list[dict[str, Any]], *, write: bool
) -> dict[str, Any]:
    """Fit both parts; with ``write`` replace the shipped calibration file."""
    r = app.retriever()
    fusion = tune_fusion(r, who_rows)
    r.weights = fusion
    topic = tune_topic_fusion(app, compare_rows) if compare_rows else fusion
    support, _fit = fitted(app, who_rows)
    calibration = {
        "fusion": {k: round(v, 4) for k, v in vars(fusion).items()},
        "topic_fusion": {k: round(v, 4) for k, v in vars(topic).items()},
        "abstention": tune_abstention(r, who_rows),
        "support": {
            "features": list(SUPPORT_FEATURES),
            "weights": list(support.weights),
            "bias": support.bias,
            "threshold": round(float(support.threshold), 4),
        },
        "tuned_on": {"who_said_questions": len(who_rows), "compare_questions": len(compare_rows)},
    }
    if write:
        package_data("calibration.json").write_text(json.dumps(calibration, indent=2) + "\n")
    return calibration
