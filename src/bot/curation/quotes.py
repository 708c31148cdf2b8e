"""Curated quotes per guild: save a passage or a span of it, list, remove (soft), export and import
(the files themselves: ``quote_files``)."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.curation.audit import CurationError, undoable
from bot.curation.passages import author_line
from bot.curation.quote_files import EXPORT_FIELDS, check_item, parse_time, relocate
from bot.curation.repository import GuildRepository
from bot.store.models import AuditRow, CuratedQuoteRow, EssayRow, PassageRow, utcnow
from bot.textnorm import normalize, normalize_with_map

MAX_TAGS = 10
MAX_TAG_CHARS = 32
MAX_NOTE_CHARS = 1000


def clean_tags(tags: Iterable[str]) -> list[str]:
    """Lower-case, trimmed, unique tags, at most ``MAX_TAGS`` of ``MAX_TAG_CHARS`` characters."""
    out: list[str] = []
    for tag in tags:
        tag = " ".join(tag.strip().lower().split())[:MAX_TAG_CHARS]
        if tag and tag not in out:
            out.append(tag)
    return out[:MAX_TAGS]


def quote_json(row: CuratedQuoteRow) -> dict[str, Any]:
    """The export form of a curated quote (also what the audit log keeps)."""
    values = {name: getattr(row, name) for name in EXPORT_FIELDS}
    return {**values, "tags": list(row.tags), "saved_at": row.saved_at.isoformat()}


@dataclass(frozen=True)
class QuoteLine:
    """A curated quote as lists show it, with its essay's title and authors."""

    id: int
    text: str
    author_line: str
    title: str
    note: str | None
    tags: tuple[str, ...]
    saved_by: str
    saved_at: datetime


class CuratedQuotes(GuildRepository[str]):
    """One guild's curated quotes."""

    def save(
        self,
        passage_id: str,
        *,
        actor: str,
        span: tuple[int, int] | None = None,
        note: str | None = None,
        tags: Sequence[str] = (),
        now: datetime | None = None,
        saved_by: str | None = None,
        saved_at: datetime | None = None,
    ) -> CuratedQuoteRow:
        """Save a passage, or the sub-span ``span`` (body offsets inside it), as a curated quote."""
        passage = self.session.get(PassageRow, passage_id)
        if passage is None:
            raise CurationError(f"There is no passage {passage_id!r}.")
        start, end = span or (passage.start, passage.end)
        if not passage.start <= start < end <= passage.end:
            raise CurationError("The chosen words are not inside that passage.")
        essay = self.session.get(EssayRow, passage.essay_id)
        assert essay is not None  # passages cascade with their essay
        existing = self.find(passage_id, start, end)
        if existing is not None:
            raise CurationError(f"That quote is already curated (#{existing.id}).")
        row = CuratedQuoteRow(
            guild_id=self.guild_id,
            essay_id=essay.id,
            passage_id=passage_id,
            start=start,
            end=end,
            text=essay.body[start:end],
            note=(note or "").strip()[:MAX_NOTE_CHARS] or None,
            tags=clean_tags(tags),
            saved_by=saved_by or actor,
            saved_at=saved_at or now or utcnow(),
        )
        self.session.add(row)
        self.session.flush()
        self._audit(
            "quote.save", f"quote #{row.id}", actor=actor, before=None, after=quote_json(row), now=now
        )
        return row

    def find(self, passage_id: str, start: int, end: int) -> CuratedQuoteRow | None:
        """The live curated quote with exactly this span, if any."""
        return self.session.scalars(
            select(CuratedQuoteRow).where(
                CuratedQuoteRow.guild_id == self.guild_id,
                CuratedQuoteRow.passage_id == passage_id,
                CuratedQuoteRow.start == start,
                CuratedQuoteRow.end == end,
                CuratedQuoteRow.removed_at.is_(None),
            )
        ).first()

    def get(self, quote_id: int) -> CuratedQuoteRow:
        """A live curated quote of this guild."""
        row = self.session.get(CuratedQuoteRow, quote_id)
        if row is None or row.guild_id != self.guild_id or row.removed_at is not None:
            raise CurationError(f"There is no curated quote #{quote_id} in this server.")
        return row

    def remove(self, quote_id: int, *, actor: str, now: datetime | None = None) -> CuratedQuoteRow:
        """Soft-delete a curated quote (``/audit undo`` brings it back)."""
        row = self.get(quote_id)
        row.removed_at = now or utcnow()
        self._audit(
            "quote.remove", f"quote #{row.id}", actor=actor, before=quote_json(row), after=None, now=now
        )
        return row

    def listing(
        self, *, author_essays: set[str] | None = None, tag: str | None = None
    ) -> list[CuratedQuoteRow]:
        """Live curated quotes, newest first, optionally of some essays or with a tag."""
        rows = self.session.scalars(
            select(CuratedQuoteRow)
            .where(CuratedQuoteRow.guild_id == self.guild_id, CuratedQuoteRow.removed_at.is_(None))
            .order_by(CuratedQuoteRow.saved_at.desc(), CuratedQuoteRow.id.desc())
        )
        wanted = clean_tags([tag])[0] if tag and clean_tags([tag]) else None
        return [
            r
            for r in rows
            if (author_essays is None or r.essay_id in author_essays) and (wanted is None or wanted in r.tags)
        ]

    def tags(self) -> list[str]:
        """Every tag of the live curated quotes, sorted."""
        return sorted({t for q in self.listing() for t in q.tags})

    def saved_from(self, passage_ids: Sequence[str]) -> dict[str, list[int]]:
        """The live curated quotes saved from each of ``passage_ids``: passage id -> quote numbers."""
        rows = self.session.execute(
            select(CuratedQuoteRow.passage_id, CuratedQuoteRow.id).where(
                CuratedQuoteRow.guild_id == self.guild_id,
                CuratedQuoteRow.passage_id.in_(list(passage_ids)),
                CuratedQuoteRow.removed_at.is_(None),
            )
        )
        saved: dict[str, list[int]] = {}
        for passage_id, quote_id in rows:
            saved.setdefault(passage_id, []).append(quote_id)
        return saved

    def lines(self, *, author_essays: set[str] | None = None, tag: str | None = None) -> list[QuoteLine]:
        """``listing`` as lists show it: with each essay's title and authors, detached from the session."""
        return self._lines(self.listing(author_essays=author_essays, tag=tag))

    def line(self, quote_id: int) -> QuoteLine:
        """One live curated quote as lists show it."""
        return self._lines([self.get(quote_id)])[0]

    def _lines(self, rows: Sequence[CuratedQuoteRow]) -> list[QuoteLine]:
        ids = {r.essay_id for r in rows}
        essays = {e.id: e for e in self.session.scalars(select(EssayRow).where(EssayRow.id.in_(ids)))}
        out = []
        for r in rows:
            essay = essays.get(r.essay_id)
            out.append(
                QuoteLine(
                    id=r.id,
                    text=r.text,
                    author_line=author_line(essay.authors if essay else []),
                    title=essay.title if essay else r.essay_id,
                    note=r.note,
                    tags=tuple(r.tags),
                    saved_by=r.saved_by,
                    saved_at=r.saved_at,
                )
            )
        return out

    def export(self) -> list[dict[str, Any]]:
        """Every live curated quote in the export form, oldest first."""
        return [quote_json(r) for r in reversed(self.listing())]

    def import_(
        self, items: Sequence[dict[str, Any]], *, actor: str, now: datetime | None = None
    ) -> tuple[int, int]:
        """Save exported quotes; (saved, skipped as already present). Bad items raise before any write."""
        checked = [check_item(i, n) for n, i in enumerate(items, start=1)]
        saved = skipped = 0
        for item in checked:
            passage = self.session.get(PassageRow, item["passage_id"])
            if passage is None:
                raise CurationError(
                    f"Item for passage {item['passage_id']!r}: that passage is not in the corpus."
                )
            essay = self.session.get(EssayRow, passage.essay_id)
            assert essay is not None  # passages cascade with their essay
            span = relocate(essay.body, passage, item)
            if self.find(item["passage_id"], *span) is not None:
                skipped += 1
                continue
            self.save(
                item["passage_id"],
                actor=actor,
                span=span,
                note=item.get("note"),
                tags=item.get("tags") or (),
                now=now,
                saved_by=item.get("saved_by"),
                saved_at=parse_time(item.get("saved_at")),
            )
            saved += 1
        return saved, skipped


@undoable("quote.save")
def _unsave(session: Session, row: AuditRow, actor: str) -> None:
    quote = session.get(CuratedQuoteRow, int(row.target.removeprefix("quote #")))
    if quote is not None:
        quote.removed_at = utcnow()


@undoable("quote.remove")
def _restore(session: Session, row: AuditRow, actor: str) -> None:
    quote = session.get(CuratedQuoteRow, int(row.target.removeprefix("quote #")))
    if quote is None:
        raise CurationError(f"Curated quote of audit entry #{row.id} no longer exists.")
    quote.removed_at = None


# -- choosing words -------------------------------------------------------------------------------


def span_of_words(text: str, offset: int, start_words: str | None, end_words: str | None) -> tuple[int, int]:
    """The body span inside a passage (``text`` at body ``offset``) from its start words to its end words.

    Either may be left out (the passage's own start or end). Matching ignores case, quote and dash
    styles and runs of whitespace, like every other match; the span is of the original text.
    """
    folded, to_original = normalize_with_map(text)
    begin, stop = 0, len(folded)
    if start_words and normalize(start_words):
        begin = folded.find(normalize(start_words))
        if begin < 0:
            raise CurationError(f"The start words {start_words.strip()[:80]!r} are not in that passage.")
    if end_words and normalize(end_words):
        wanted = normalize(end_words)
        at = folded.find(wanted, begin)
        if at < 0:
            raise CurationError(
                f"The end words {end_words.strip()[:80]!r} do not come after the start words in that passage."
            )
        stop = at + len(wanted)
    if stop <= begin:
        raise CurationError("The chosen words are empty.")
    start = to_original[begin]
    end = to_original[stop - 1] + 1
    while end < len(text) and unicodedata.combining(text[end]):
        end += 1  # keep accents that follow the last letter
    return offset + start, offset + end
