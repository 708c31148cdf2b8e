"""Evaluation of speaker detection on hand-labelled cases (``tests/data/speaker_cases.yaml``).

Kept apart from :mod:`bot.corpus.speakers` so the detector module holds only the detector; the
``eval`` command and the tests score :func:`~bot.corpus.speakers.detect_quote_spans` with these helpers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.corpus.models import Block, EssayMeta, QuoteSpan
from bot.corpus.speakers import detect_quote_spans
from bot.textnorm import normalize


@dataclass(frozen=True)
class SpeakerMetrics:
    """Scores on hand-labelled cases: named attributions ("speaker") and reported views, separately."""

    speaker_precision: float
    speaker_recall: float
    reported_precision: float
    reported_recall: float
    counts: dict[str, int] = field(default_factory=dict)
    failures: tuple[str, ...] = ()


def blocks_from_text(text: str) -> list[Block]:
    """Paragraph blocks of a plain text whose paragraphs are separated by blank lines."""
    return [Block(m.start(), m.end(), "paragraph") for m in re.finditer(r"[^\n](?:[^\n]|\n(?=[^\n]))*", text)]


def check_case(case: dict[str, Any]) -> tuple[list[str], dict[str, int]]:
    """Run the detector on one labelled case: its problems, and true/false positive counts.

    A span scores when it covers the expected substring with the same role and a matching speaker
    (normalised, one containing the other). Speaker-less quotations are neither scored nor penalised;
    a reported view's holder is a description, so it only has to match when both sides give one.
    """
    text = case["text"]
    meta = case.get("meta") or {}
    meta = EssayMeta(
        case["id"], case["id"], authors=tuple(meta.get("authors", ())), publication=meta.get("publication")
    )
    spans = detect_quote_spans(text, blocks_from_text(text), meta)
    counts = dict.fromkeys(("s_tp", "s_fp", "s_fn", "r_tp", "r_fp", "r_fn"), 0)
    problems: list[str] = []

    def hit(sp: QuoteSpan, exp: dict[str, Any]) -> bool:
        at, want, got = text.find(exp["quote"]), exp["speaker"], sp.speaker
        if sp.role != exp["role"] or not sp.start <= at <= at + len(exp["quote"]) <= sp.end:
            return False
        if want is None or got is None:
            return want == got or sp.role == "reported view"
        want, got = normalize(want).removeprefix("the "), normalize(got).removeprefix("the ")
        return want in got or got in want

    expected = case.get("expect") or []
    for exp in expected:
        key = "r" if exp["role"] == "reported view" else "s"
        if key == "s" and exp["speaker"] is None:
            continue
        ok = any(hit(sp, exp) for sp in spans)
        counts[f"{key}_{'tp' if ok else 'fn'}"] += 1
        problems += [] if ok else [f"missed {exp['role']} {exp['speaker']!r}: {exp['quote'][:50]!r}"]
    for sp in spans:
        key = "r" if sp.role == "reported view" else "s"
        if key == "s" and sp.speaker is None:
            continue
        if not any(hit(sp, exp) for exp in expected):
            counts[f"{key}_fp"] += 1
            problems.append(f"unexpected {sp.role} {sp.speaker!r}: {text[sp.start : sp.end][:50]!r}")
        for bad in case.get("none") or []:
            if sp.start < text.find(bad) + len(bad) and text.find(bad) < sp.end:
                problems.append(f"{bad!r} should carry no speaker, got {sp.speaker!r} ({sp.role})")
    return problems, counts


def load_cases(path: Path) -> list[dict[str, Any]]:
    """The labelled speaker cases in a YAML file (see ``tests/data/speaker_cases.yaml``)."""
    cases: list[dict[str, Any]] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return cases


def evaluate_cases(path: Path) -> SpeakerMetrics:
    """Precision and recall of :func:`detect_quote_spans` on the labelled cases in ``path``."""
    total = dict.fromkeys(("s_tp", "s_fp", "s_fn", "r_tp", "r_fp", "r_fn"), 0)
    failures: list[str] = []
    for case in load_cases(path):
        problems, counts = check_case(case)
        failures += [f"{case['id']}: {p}" for p in problems]
        total = {k: v + counts[k] for k, v in total.items()}

    def ratio(kind: str) -> tuple[float, float]:
        tp, fp, fn = (total[f"{kind}_{x}"] for x in ("tp", "fp", "fn"))
        return (tp / (tp + fp) if tp + fp else 1.0), (tp / (tp + fn) if tp + fn else 1.0)

    (sp, sr), (rp, rr) = ratio("s"), ratio("r")
    return SpeakerMetrics(sp, sr, rp, rr, counts=total, failures=tuple(failures))
