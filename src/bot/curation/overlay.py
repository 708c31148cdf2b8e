"""What a guild's curation changes in answers: hidden passages, fixed speakers, curated badges.

Pure functions over a ``Curation`` snapshot loaded once per question. Hidden passages are dropped
from the retrieved hits *before* the verdict is computed, so they can neither be shown nor vouch for
a "found". Curated quotes rank first only within their match class: a curated paraphrase never
outranks an exact quote from another essay.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TypeVar, cast

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.answer.types import CuratedBadge, Quote, WhoSaidAnswer
from bot.answer.verify import Overrides
from bot.corpus.models import SpeakerRole
from bot.curation.verdicts import load_verdicts, overrides_for
from bot.store.models import CuratedQuoteRow, PassageOverrideRow

MATCH_ORDER = {"exact": 0, "near": 1, "paraphrase": 2}
H = TypeVar("H")


@dataclass(frozen=True)
class Curation:
    """One guild's curation, as answers need it."""

    hidden: frozenset[str] = frozenset()
    speakers: Mapping[str, tuple[str | None, str]] = field(default_factory=dict)  # passage -> (speaker, role)
    curated: Mapping[str, CuratedBadge] = field(default_factory=dict)  # passage -> its oldest live badge
    # The moderators' verdicts: claim hash -> passage -> supports | contradicts | unrelated.
    verdicts: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        """Nothing to apply."""
        return not (self.hidden or self.speakers or self.curated)

    def overrides(self, claim: str) -> Overrides | None:
        """The moderators' verdicts on passages for this folded claim (``curation.verdicts.claim_key``)."""
        return overrides_for(self.verdicts, claim)

    def visible(self, hits: Iterable[H], passage_id: str = "passage") -> list[H]:
        """Hits whose passage is not hidden (``hit.passage.id``)."""
        return [h for h in hits if getattr(h, passage_id).id not in self.hidden]

    def apply(self, quotes: list[Quote]) -> list[Quote]:
        """Fix speakers, attach badges, and move curated quotes first within their match class."""
        out = [q for q in quotes if q.passage_id not in self.hidden]
        for q in out:
            override = self.speakers.get(q.passage_id)
            if override is not None:
                speaker, role = override
                q.speaker = None if role == "own" else speaker
                q.speaker_role = None if role == "own" else cast(SpeakerRole, role)
                q.attribution_fixed = True
            q.curated = self.curated.get(q.passage_id)
        order = {id(q): i for i, q in enumerate(out)}
        return sorted(out, key=lambda q: (MATCH_ORDER[q.match], q.curated is None, order[id(q)]))

    def apply_answer(self, answer: WhoSaidAnswer) -> WhoSaidAnswer:
        """Apply to every list of quotes in a who-said answer."""
        if not self.empty:
            answer.results = self.apply(answer.results)
            answer.closest = self.apply(answer.closest)
            answer.found_elsewhere = self.apply(answer.found_elsewhere)
            # A hidden passage is never shown as the opposite either; overrides rename its speaker.
            kept = {id(q) for q in self.apply([c.quote for c in answer.contradicted_by])}
            answer.contradicted_by = [c for c in answer.contradicted_by if id(c.quote) in kept]
        return answer


def load_curation(session: Session, guild_id: str | None) -> Curation:
    """A guild's curation; the empty curation outside guilds (DMs, the CLI without --guild)."""
    if guild_id is None:
        return Curation()
    overrides = session.scalars(select(PassageOverrideRow).where(PassageOverrideRow.guild_id == guild_id))
    hidden, speakers = set(), {}
    for row in overrides:
        if row.hidden:
            hidden.add(row.passage_id)
        if row.role is not None:
            speakers[row.passage_id] = (row.speaker, row.role)
    curated: dict[str, CuratedBadge] = {}
    rows = session.scalars(
        select(CuratedQuoteRow)
        .where(CuratedQuoteRow.guild_id == guild_id, CuratedQuoteRow.removed_at.is_(None))
        .order_by(CuratedQuoteRow.saved_at, CuratedQuoteRow.id)
    )
    for q in rows:
        curated.setdefault(
            q.passage_id,
            CuratedBadge(q.id, q.saved_by, q.saved_at.isoformat(), q.note, tuple(q.tags)),
        )
    return Curation(frozenset(hidden), speakers, curated, load_verdicts(session, guild_id))
