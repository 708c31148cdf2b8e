"""The abstention threshold rule used by ``essaybot eval --tune``."""

from __future__ import annotations

import numpy as np

from bot.evaluation.tune import choose_threshold


def test_threshold_keeps_every_positive_when_misses_are_not_allowed() -> None:
    pos = np.array([0.5, 0.7, 0.9])
    neg = np.array([0.1, 0.3, 0.6])
    t = choose_threshold(pos, neg, total_positives=3)
    assert t == (0.5 + 0.3) / 2  # midway between the weakest positive and the strongest negative below it
    assert (pos >= t).all()


def test_threshold_may_give_up_three_percent_of_positives() -> None:
    # 40 positives in all (exact quotes included): one miss is allowed, so the weakest one may go.
    pos = np.array([0.2, *np.linspace(0.6, 0.9, 29)])
    neg = np.array([0.1, 0.3, 0.5])
    t = choose_threshold(pos, neg, total_positives=40)
    assert 0.5 < t < 0.6
    assert (pos >= t).sum() == len(pos) - 1
    assert (neg < t).all()


def test_threshold_with_no_negative_below_sits_under_the_weakest_positive() -> None:
    t = choose_threshold(np.array([0.4, 0.8]), np.array([0.9]), total_positives=2)
    assert t < 0.4
