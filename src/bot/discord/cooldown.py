"""Per-member cooldown for question commands, on discord.py's token bucket and our injectable clock."""

from __future__ import annotations

from discord.app_commands import Cooldown

from bot.discord.clock import Clock


class MemberCooldowns:
    """At most ``rate`` questions per ``per`` seconds for each member."""

    def __init__(self, rate: int, per: float, clock: Clock) -> None:
        self.rate, self.per, self.clock = rate, per, clock
        self._buckets: dict[int, Cooldown] = {}

    def hit(self, user_id: int) -> float | None:
        """Spend one question; the seconds to wait when the member is over the limit, else None."""
        now = self.clock()
        self._forget_idle(now)
        bucket = self._buckets.setdefault(user_id, Cooldown(self.rate, self.per))
        return bucket.update_rate_limit(now)

    def _forget_idle(self, now: float) -> None:
        # Buckets whose window has passed are full again: dropping them keeps memory bounded.
        if len(self._buckets) < 1024:
            return
        for user_id, bucket in list(self._buckets.items()):
            if bucket.get_tokens(now) == bucket.rate:
                del self._buckets[user_id]
