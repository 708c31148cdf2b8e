"""Per-member cooldown for question commands, on discord.py's token bucket and our injectable clock.

Each guild sets its own rate in ``/settings``, so buckets are keyed by (guild, member) and carry the
rate they were made with: a bucket whose guild changed its rate is replaced by a fresh one at the
next question, which is how a new cooldown applies without a restart.
"""

from __future__ import annotations

from discord.app_commands import Cooldown

from bot.discord.clock import Clock

Key = tuple[int | None, int]  # (guild id or None in DMs, user id)


class MemberCooldowns:
    """At most ``rate`` questions per ``per`` seconds for each member of each guild."""

    def __init__(self, rate: int, per: float, clock: Clock) -> None:
        self.rate, self.per, self.clock = rate, per, clock
        self._buckets: dict[Key, Cooldown] = {}

    def hit(
        self,
        user_id: int,
        *,
        guild_id: int | None = None,
        rate: int | None = None,
        per: float | None = None,
    ) -> float | None:
        """Spend one question; the seconds to wait when the member is over the limit, else None.

        ``rate`` and ``per`` are the guild's effective settings (the defaults given at construction
        when None).
        """
        rate = self.rate if rate is None else rate
        per = self.per if per is None else per
        now = self.clock()
        self._forget_idle(now)
        key = (guild_id, user_id)
        bucket = self._buckets.get(key)
        if bucket is None or bucket.rate != rate or bucket.per != per:
            bucket = self._buckets[key] = Cooldown(rate, per)
        return bucket.update_rate_limit(now)

    def _forget_idle(self, now: float) -> None:
        # Buckets whose window has passed are full again: dropping them keeps memory bounded.
        if len(self._buckets) < 1024:
            return
        for key, bucket in list(self._buckets.items()):
            if bucket.get_tokens(now) == bucket.rate:
                del self._buckets[key]
