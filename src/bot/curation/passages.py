"""Passage moderation per guild: hide junk passages, and override who speaks in a passage."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from rapidfuzz import fuzz
from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from bot.curation.audit import CurationError, undoable
from bot.curation.repository import GuildRepository
from bot.store.models import (
    ESSAY_ACTIVE,
    SPEAKER_ROLES,
    AuditRow,
    EssayRow,
    PassageOverrideRow,
    PassageRow,
    utcnow,
)
from bot.textnorm import normalize, words


def _state(row: PassageOverrideRow | None) -> dict[str, Any]:
    if row is None:
        return {"hidden": False, "speaker": None, "role": None}
    return {"hidden": row.hidden, "speaker": row.speaker, "role": row.role}


class PassageOverrides(GuildRepository[str]):
    """Hide, unhide and attribute passages for one guild; each change is audited."""

    def get(self, passage_id: str) -> PassageOverrideRow | None:
        """This guild's override of a passage, if any."""
        return self.session.scalars(
            select(PassageOverrideRow).where(
                PassageOverrideRow.guild_id == self.guild_id, PassageOverrideRow.passage_id == passage_id
            )
        ).first()

    def _passage(self, passage_id: str) -> PassageRow:
        passage = self.session.get(PassageRow, passage_id)
        if passage is None:
            raise CurationError(f"There is no passage {passage_id!r}. Pick one from the autocomplete list.")
        return passage

    def _apply(
        self, passage_id: str, state: dict[str, Any], actor: str, now: datetime | None
    ) -> PassageOverrideRow:
        row = self.get(passage_id)
        if row is None:
            row = PassageOverrideRow(guild_id=self.guild_id, passage_id=passage_id)
            self.session.add(row)
        row.hidden, row.speaker, row.role = bool(state["hidden"]), state["speaker"], state["role"]
        row.updated_by, row.updated_at = actor, now or utcnow()
        self.session.flush()
        return row

    def _change(self, action: str, passage_id: str, actor: str, now: datetime | None, **changes: Any) -> bool:
        self._passage(passage_id)
        before = _state(self.get(passage_id))
        after = {**before, **changes}
        if after == before:
            return False
        self._apply(passage_id, after, actor, now)
        self._audit(action, passage_id, actor=actor, before=before, after=after, now=now)
        return True

    def hide(self, passage_id: str, *, actor: str, now: datetime | None = None) -> bool:
        """Never show this passage in this guild's answers; False when it already was hidden."""
        return self._change("passage.hide", passage_id, actor, now, hidden=True)

    def unhide(self, passage_id: str, *, actor: str, now: datetime | None = None) -> bool:
        """Show the passage again; False when it was not hidden."""
        return self._change("passage.unhide", passage_id, actor, now, hidden=False)

    def attribute(
        self,
        passage_id: str,
        speaker: str | None,
        role: str | None,
        *,
        actor: str,
        now: datetime | None = None,
    ) -> bool:
        """Say who speaks in a passage: ``role`` "own" gives it back to the essay's authors.

        ``role`` None clears the override, so the detector's attribution applies again.
        """
        if role is not None and role not in SPEAKER_ROLES:
            raise CurationError(f"Unknown role {role!r}: use one of {', '.join(SPEAKER_ROLES)}.")
        if role not in (None, "own") and not (speaker or "").strip() and role != "reported view":
            raise CurationError("Name the speaker for a quotation or an introduction.")
        speaker = speaker.strip()[:200] if speaker and speaker.strip() else None
        return self._change("passage.attribute", passage_id, actor, now, speaker=speaker, role=role)

    def hidden_ids(self) -> set[str]:
        """The passages this guild hides."""
        return set(
            self.session.scalars(
                select(PassageOverrideRow.passage_id).where(
                    PassageOverrideRow.guild_id == self.guild_id, PassageOverrideRow.hidden.is_(True)
                )
            )
        )


def _revert(session: Session, row: AuditRow, actor: str) -> None:
    if row.guild_id is None or row.before is None:
        raise CurationError(f"Audit entry #{row.id} has nothing to restore.")
    PassageOverrides(session, row.guild_id)._apply(row.target, row.before, actor, None)


for _action in ("passage.hide", "passage.unhide", "passage.attribute"):
    undoable(_action)(_revert)


# -- finding passages (autocomplete, the CLI): by id or by their words, no embedding model -------

MAX_CANDIDATES = 400  # passages ranked per lookup; a few words narrow the corpus far below this
_ID = re.compile(r"[0-9a-f]{8,16}")


@dataclass(frozen=True)
class PassageText:
    """A passage's words and the essay they are in, as moderators read them."""

    essay_id: str
    title: str
    authors: tuple[str, ...]
    text: str


@dataclass(frozen=True)
class PassageInfo(PassageText):
    """A passage as moderators pick it: its words, its essay, and this guild's decision about it."""

    id: str
    start: int
    end: int
    hidden: bool = False
    speaker: str | None = None
    role: str | None = None

    @property
    def author_line(self) -> str:
        """The essay's authors for display."""
        return author_line(self.authors)


def author_line(authors: Sequence[str]) -> str:
    """Authors joined for display, as ``EssayMeta.author_line`` does; unsigned essays say so."""
    if not authors:
        return "Unsigned"
    if len(authors) == 1:
        return authors[0]
    return ", ".join(authors[:-1]) + " and " + authors[-1]


def _infos(session: Session, guild_id: str, rows: Sequence[tuple[PassageRow, EssayRow]]) -> list[PassageInfo]:
    ids = [p.id for p, _ in rows]
    overrides = {
        o.passage_id: o
        for o in session.scalars(
            select(PassageOverrideRow).where(
                PassageOverrideRow.guild_id == guild_id, PassageOverrideRow.passage_id.in_(ids)
            )
        )
    }
    out = []
    for p, e in rows:
        o = overrides.get(p.id)
        out.append(
            PassageInfo(
                id=p.id,
                essay_id=e.id,
                title=e.title,
                authors=tuple(e.authors),
                text=p.text,
                start=p.start,
                end=p.end,
                hidden=bool(o and o.hidden),
                speaker=o.speaker if o else None,
                role=o.role if o else None,
            )
        )
    return out


def passage_infos(session: Session, guild_id: str, passage_ids: Sequence[str]) -> list[PassageInfo]:
    """The passages with these ids, in that order; ids no longer in the corpus are left out."""
    query = (
        select(PassageRow, EssayRow)
        .join(EssayRow, EssayRow.id == PassageRow.essay_id)
        .where(PassageRow.id.in_(list(passage_ids)))
    )
    by_id = {info.id: info for info in _infos(session, guild_id, _pairs(session, query))}
    return [by_id[i] for i in dict.fromkeys(passage_ids) if i in by_id]


def find_passages(session: Session, guild_id: str, text: str, *, limit: int = 25) -> list[PassageInfo]:
    """Passages of active essays whose words match ``text`` best (a bare id finds its passage).

    Every word of three letters or more must occur in the passage (as a substring, so a word still
    being typed matches); when no passage has them all, passages with any of them are ranked.
    Ranking is fuzzy matching of the folded text, so quotes, dashes and case do not matter.
    """
    wanted = normalize(text)
    if not wanted:
        return []
    if _ID.fullmatch(wanted):
        exact = passage_infos(session, guild_id, [wanted])
        if exact:
            return exact
    terms = sorted({w for w in words(wanted) if len(w) >= 3 and "'" not in w}, key=len, reverse=True)[:6]
    base = (
        select(PassageRow, EssayRow)
        .join(EssayRow, EssayRow.id == PassageRow.essay_id)
        .where(EssayRow.status == ESSAY_ACTIVE, PassageRow.kind == "sentence")
    )
    likes = [PassageRow.text.ilike(f"%{_like(t)}%", escape="\\") for t in terms]
    rows = _pairs(session, base.where(*likes).limit(MAX_CANDIDATES)) if likes else []
    if not rows:
        query = base.where(or_(*likes)) if likes else base
        rows = _pairs(session, query.limit(MAX_CANDIDATES * 10))
    scored = []
    for passage, essay in rows:
        folded = normalize(passage.text)
        score = 100.0 if wanted in folded else fuzz.partial_ratio(wanted, folded)
        if score >= 60:
            scored.append((score, passage.essay_id, passage.seq, passage, essay))
    scored.sort(key=lambda s: (-s[0], s[1], s[2]))
    return _infos(session, guild_id, [(p, e) for *_, p, e in scored[:limit]])


def _pairs(session: Session, query: Select[PassageRow, EssayRow]) -> list[tuple[PassageRow, EssayRow]]:
    return [(p, e) for p, e in session.execute(query)]


def _like(term: str) -> str:
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def resolve_passage(session: Session, guild_id: str, ref: str) -> PassageInfo:
    """The passage a moderator means: its id, or words only one passage contains."""
    ref = ref.strip()
    exact = passage_infos(session, guild_id, [ref]) if ref else []
    if exact:
        return exact[0]
    found = find_passages(session, guild_id, ref, limit=5)
    wanted = normalize(ref)
    containing = [p for p in found if wanted and wanted in normalize(p.text)]
    if len(containing) == 1:
        return containing[0]
    if not found:
        raise CurationError(f"No passage matches {ref[:80]!r}: give its id, or a few of its words.")
    listed = "; ".join(f"{p.id} “{p.text[:60]}…”" for p in (containing or found)[:3])
    raise CurationError(f"Several passages could match: {listed}. Give its id, or pick it from the list.")
