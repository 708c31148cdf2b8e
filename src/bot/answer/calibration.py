"""Committed calibration: fusion weights and the abstention model.

Nothing at run time reads the development sets: ``essaybot eval --tune`` fits these numbers and writes
``bot/data/calibration.json``, which ships with the package. Its id (a hash of its content) is
recorded in every index manifest, so an index built under another calibration is rebuilt.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from pathlib import Path

from bot.answer.verify import FEATURES as SUPPORT_FEATURES
from bot.answer.verify import SupportModel
from bot.paths import package_data
from bot.search.candidates import FusionWeights
from bot.search.hybrid import Hit

# The signals abstention looks at, in the order the weights are stored.
FEATURES = ("dense", "coverage", "weighted_coverage", "margin")


@dataclass(frozen=True)
class Abstention:
    """Logistic model: P(found) = sigmoid(bias + weights · features)."""

    weights: tuple[float, ...]
    bias: float
    threshold: float
    # Below this dense similarity a passage cannot be the answer, whatever words it shares with the
    # question: the linear model alone lets keyword overlap outvote a meaning that is plainly different.
    dense_floor: float = 0.0

    def probability(self, features: dict[str, float]) -> float:
        """Probability that the top passage really says what was asked."""
        z = self.bias + sum(w * features[name] for w, name in zip(self.weights, FEATURES, strict=True))
        return 1.0 / (1.0 + math.exp(-z))


@dataclass(frozen=True)
class Calibration:
    """Everything tuned on data that the pipeline needs at run time."""

    id: str
    fusion: FusionWeights  # who-said: claims and quotes
    topic_fusion: FusionWeights  # compare and positions: short topics, where keywords mislead
    abstention: Abstention  # compare and positions: is a side's best passage on topic at all
    support: SupportModel  # who-said: does a passage say what the claim says

    @classmethod
    def load(cls, path: Path | None = None) -> Calibration:
        """Read the shipped calibration (or another file, for tuning experiments)."""
        raw = (path or package_data("calibration.json")).read_text(encoding="utf-8")
        data = json.loads(raw)
        ab = data["abstention"]
        sm = data["support"]
        if list(ab["features"]) != list(FEATURES) or list(sm["features"]) != list(SUPPORT_FEATURES):
            raise ValueError("calibration features do not match this version of essaybot")
        return cls(
            id=hashlib.sha256(raw.encode()).hexdigest()[:12],
            fusion=FusionWeights(**data["fusion"]),
            topic_fusion=FusionWeights(**data.get("topic_fusion", data["fusion"])),
            abstention=Abstention(
                tuple(ab["weights"]),
                float(ab["bias"]),
                float(ab["threshold"]),
                float(ab.get("dense_floor", 0.0)),
            ),
            support=SupportModel(tuple(sm["weights"]), float(sm["bias"]), float(sm["threshold"])),
        )


def features(hits: list[Hit]) -> dict[str, float]:
    """Abstention signals of a ranked hit list (top hit against the runner-up from another essay)."""
    if not hits:
        return dict.fromkeys(FEATURES, 0.0)
    top = hits[0]
    # The runner-up from another essay: a clear winner is more trustworthy than a near tie.
    other = next((h for h in hits[1:] if h.passage.essay_id != top.passage.essay_id), None)
    return {
        "dense": top.dense,
        "coverage": top.coverage,
        "weighted_coverage": top.weighted_coverage,
        "margin": top.score - other.score if other else 0.0,
    }
