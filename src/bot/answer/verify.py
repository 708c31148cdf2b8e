"""Verification: does a retrieved passage *support* the claim, *contradict* it, or neither?

Retrieval ranks passages that are about the claim; this stage decides whether one of them says it.
For each of the best candidates it builds windows of 1–3 adjacent sentences (so a claim spread over a
sentence pair is seen whole) from the sentence vectors the index already stores, reads the rule cues
of :mod:`bot.answer.cues` (numbers, negation, opposite direction, swapped roles) and checks whether the
claim's rare words only come together across two essays (a "mix"). A small logistic model over these
signals, fitted with cross-validation by ``essaybot eval --tune``, gives the probability of support.

A candidate with a cue never supports the claim; the closest such candidate is returned as the
passage that says something else, with what differs.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import numpy.typing as npt

from bot.answer import cues, polarity
from bot.search.embedder import RowVectors
from bot.search.hybrid import Hit
from bot.search.keyword import KeywordIndex, tokens_of
from bot.search.snapshot import CorpusSnapshot

# Candidates examined: ranking is good, so the answer is nearly always among the first few.
CANDIDATES = 5
# A contradiction is only worth showing when the passage is plainly about the claim.
CONTRADICTION_MIN_SIMILARITY = 0.5
# Mix: the top essay must lack at least this many of the claim's rare words that one other essay has.
MIX_MIN_WORDS = 2

# A server's moderators' reading of a claim–passage pair, which replaces the verifier's.
VerdictOverride = Literal["supports", "contradicts", "unrelated"]
Overrides = Callable[[str], VerdictOverride | None]  # passage id -> override for this claim
MODERATORS_DIFFER = "the moderators marked this passage as saying something else"

# The signals the support model reads, in the order its weights are stored.
FEATURES = (
    "window",
    "dense",
    "coverage",
    "weighted_coverage",
    "margin",
    "direction_gap",
    "names_missing",
    "numbers_missing",
)
NAMES_CAP = 2  # a claim naming two people or places its passage's essay never mentions is far off


@dataclass(frozen=True)
class SupportModel:
    """Logistic model: P(supports) = sigmoid(bias + weights · features)."""

    weights: tuple[float, ...]
    bias: float
    threshold: float

    def probability(self, features: dict[str, float]) -> float:
        """Probability that the passage says what the claim says."""
        z = self.bias + sum(w * features[n] for w, n in zip(self.weights, FEATURES, strict=True))
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))


@dataclass
class Check:
    """The verifier's reading of one candidate passage."""

    hit: Hit
    window_start: int  # body offsets of the best window (1–3 sentences)
    window_end: int
    features: dict[str, float]
    support: float = 0.0
    cue: cues.Cue | None = None
    ruled: bool = False  # the server's moderators decided this pair

    @property
    def supports(self) -> bool:
        """Cleared by the model and by every rule."""
        return self.cue is None and self.support > 0.0


@dataclass
class Verification:
    """What the verifier found among the candidates, best first."""

    checks: list[Check] = field(default_factory=list)
    supported: Check | None = None  # the passage that says it
    contradicted: list[Check] = field(default_factory=list)  # passages that say something else
    mix: tuple[Check, Check] | None = None  # two essays whose claims the question fuses

    def choose(self, model: SupportModel) -> Check | None:
        """The answer under ``model``: the first candidate without a cue whose support clears it.

        The one decision rule, used by :meth:`Verifier.check` and by cross-validation, which asks it
        again under each fold's model.
        """
        for c in self.checks:
            support = c.support if c.ruled else model.probability(c.features)
            if c.cue is None and support >= model.threshold and (self.mix is None or c.ruled):
                return c
        return None


class Verifier:
    """Checks candidates against a claim, over one corpus snapshot, its sentence vectors and keywords.

    ``keywords`` is the sentence keyword index of the same snapshot: which essays use a word is read
    from its posting lists, so that no question ever tokenises the whole library.
    """

    def __init__(
        self,
        snapshot: CorpusSnapshot,
        vectors: RowVectors,
        model: SupportModel,
        keywords: KeywordIndex,
    ):
        self.snapshot = snapshot
        self.vectors = vectors
        self.model = model
        self.keywords = keywords

    def windows(self, row: int) -> list[tuple[int, int]]:
        """Row ranges ``[lo, hi]`` of the windows around a passage, inside its paragraph."""
        rows = self.snapshot.paragraphs[self.snapshot.paragraph_of[row]].rows
        i = rows.index(row)
        spans = {(i, i)}
        for lo, hi in ((i - 1, i), (i, i + 1), (i - 1, i + 1)):
            if lo >= 0 and hi < len(rows):
                spans.add((lo, hi))
        return sorted((rows[lo], rows[hi]) for lo, hi in spans)

    def _best_window(self, row: int, qv: npt.NDArray[np.float32]) -> tuple[float, int, int]:
        """Best window by cosine with the query; its vector is the normalised sum of its sentences'."""
        best = (-1.0, row, row)
        for lo, hi in self.windows(row):
            v = self.vectors[lo : hi + 1].sum(axis=0)
            norm = float(np.linalg.norm(v))
            sim = float(v @ qv) / norm if norm else 0.0
            if sim > best[0] + 1e-6:
                best = (sim, lo, hi)
        return best

    def check(
        self,
        claim: str,
        hits: list[Hit],
        qv: npt.NDArray[np.float32],
        overrides: Overrides | None = None,
    ) -> Verification:
        """Read the first ``CANDIDATES`` paraphrase hits against the claim.

        ``overrides`` gives a server's moderators' verdict on a passage for this claim: it wins over
        the model and the rules, and a passage they marked as unrelated is not a candidate.
        """
        snap = self.snapshot
        qv = qv.reshape(-1)
        ruled = overrides or (lambda _pid: None)
        candidates = [h for h in hits if h.match == "paraphrase" and ruled(h.passage.id) != "unrelated"][
            :CANDIDATES
        ]
        result = Verification()
        scored = []
        for h in candidates:
            sim, lo, hi = self._best_window(h.row, qv)
            scored.append((h, sim, lo, hi))
        claim_words = cues.words(claim)
        claim_numbers = {v for v, _, _ in cues.numbers(claim_words)}
        claim_names = [set(tokens_of(claim_words.surface[i])) for i, _ in cues.names(claim_words)]
        essays_with = _EssaysWith(self.snapshot, self.keywords)
        for h, sim, lo, hi in scored:
            other = max((s for g, s, _, _ in scored if g.passage.essay_id != h.passage.essay_id), default=0.0)
            start, end = snap.passages[lo].start, snap.passages[hi].end
            text = snap.body_text(h.passage.essay_id, start, end)
            window_words = cues.words(text)
            features = {
                "window": sim,
                "dense": h.dense,
                "coverage": h.coverage,
                "weighted_coverage": h.weighted_coverage,
                "margin": sim - other,
                "direction_gap": cues.direction_gap(claim_words, window_words),
                "names_missing": _names_missing(claim_names, h.row, essays_with),
                "numbers_missing": float(bool(claim_numbers - {v for v, _, _ in cues.numbers(window_words)})),
            }
            c = Check(h, start, end, features, self.model.probability(features))
            c.cue = polarity.contradiction(claim, text) if sim >= CONTRADICTION_MIN_SIMILARITY else None
            ruling = ruled(h.passage.id)
            if ruling == "supports":
                c.support, c.cue, c.ruled = 1.0, None, True
            elif ruling == "contradicts":
                c.support, c.cue, c.ruled = 0.0, cues.Cue("moderators", MODERATORS_DIFFER), True
            result.checks.append(c)
        ruled_any = any(c.ruled for c in result.checks)
        result.mix = None if ruled_any else self._mix(claim, result.checks, essays_with)
        result.supported = result.choose(self.model)
        if result.supported is None:
            # Only the closest passage is shown as saying otherwise: a cue on a lower-ranked passage
            # is more often about something else than about this claim.
            result.contradicted = [c for c in result.checks[:1] if c.cue is not None]
        return result

    def _mix(self, claim: str, checks: list[Check], essays_with: _EssaysWith) -> tuple[Check, Check] | None:
        """The claim's rare words come together only across two essays: "A says X; B says Y"."""
        if len(checks) < 2:
            return None
        terms = set(tokens_of(claim))
        top = checks[0]
        top_text = self.snapshot.body_text(top.hit.passage.essay_id, top.window_start, top.window_end)
        missing = {t for t in terms if not essays_with.uses(top.hit.row, t)}
        # Both halves must be grounded in words: a paraphrase shares few words with anything, and a
        # claim half of whose words the top passage lacks is more likely paraphrased than fused.
        covered = terms & set(tokens_of(top_text))
        if len(missing) < MIX_MIN_WORDS or len(covered) < max(MIX_MIN_WORDS, len(terms) / 2):
            return None
        for other in checks[1:]:
            if other.hit.passage.essay_id == top.hit.passage.essay_id:
                continue
            text = self.snapshot.body_text(other.hit.passage.essay_id, other.window_start, other.window_end)
            if len(missing & set(tokens_of(text))) >= MIX_MIN_WORDS:
                return top, other
        return None


def _names_missing(names: list[set[str]], row: int, essays_with: _EssaysWith) -> float:
    """Names in the claim (capitalised words, as stemmed terms) that the essay of ``row`` never uses."""
    absent = {frozenset(n) for n in names if any(not essays_with.uses(row, t) for t in n)}
    return float(min(NAMES_CAP, len(absent)))


class _EssaysWith:
    """Which essays use a stemmed word, from the keyword index's posting list (memoised per claim)."""

    def __init__(self, snap: CorpusSnapshot, keywords: KeywordIndex):
        self.codes = snap.passages.essay  # each row's essay, as its index in snap.essays
        self.essays = len(snap.essays)
        self.keywords = keywords
        self.seen: dict[str, npt.NDArray[np.bool_]] = {}

    def uses(self, row: int, term: str) -> bool:
        """Whether any passage of the essay holding snapshot row ``row`` holds ``term``."""
        held = self.seen.get(term)
        if held is None:
            # A common word's posting list holds a large share of the library's rows: marking each
            # row's essay is linear, where sorting the list (``np.unique``) was not.
            held = np.zeros(self.essays, dtype=bool)
            held[self.codes[self.keywords.rows_with(term)]] = True
            self.seen[term] = held
        return bool(held[self.codes[row]])
