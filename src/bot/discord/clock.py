"""An injectable clock, so cooldowns, view timeouts and retention can be tested without sleeping."""

from __future__ import annotations

import time
from collections.abc import Callable

Clock = Callable[[], float]
"""Seconds on a monotonic scale; ``time.monotonic`` in production."""

system_clock: Clock = time.monotonic


class ManualClock:
    """A clock that only moves when told to (tests and benchmarks).

    It starts far from zero because discord.py's cooldown treats a current time of 0 as "not given".
    """

    def __init__(self, start: float = 1_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        """Move time forward."""
        if seconds < 0:
            raise ValueError("time only moves forward")
        self.now += seconds
