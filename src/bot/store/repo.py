"""Repositories: the corpus (essays, passages, quote spans) and the interaction log.

They never commit: the caller owns the transaction (``bot.store.db.session_scope``), so an ingest
of many essays is all-or-nothing. The interaction log lives in ``bot.store.interactions`` and is
re-exported here for existing imports.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Sequence
from typing import Any, Literal, TypeVar, cast

from sqlalchemy import Select, delete, func, insert, select, update
from sqlalchemy.orm import Session

from bot.corpus.models import Essay, EssayMeta, Passage, QuoteSpan, SpeakerRole
from bot.store.interactions import Interaction, InteractionLog
from bot.store.models import (
    ESSAY_ACTIVE,
    ESSAY_REMOVED,
    CorpusStateRow,
    EssayRow,
    PassageRow,
    QuoteSpanRow,
    from_row,
    utcnow,
)

__all__ = ["CorpusRepository", "EssayStatus", "Interaction", "InteractionLog"]

EssayStatus = Literal["active", "removed"]
T = TypeVar("T")
_BATCH = 2000  # passages fetched per round trip when a whole library is read
# Session.info key: the ids of the essays whose passages or status this session wrote.
TOUCHED = "essaybot.corpus_touched"


class CorpusRepository:
    """Essays with their passages and quote spans; removed essays are kept as tombstones."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def essay_status(self, essay_id: str) -> EssayStatus | None:
        """The essay's status, or None for an essay never stored."""
        status = self.session.scalar(select(EssayRow.status).where(EssayRow.id == essay_id))
        return cast(EssayStatus | None, status)

    def essay_hash(self, essay_id: str) -> str | None:
        """The stored body hash of an essay (any status), or None if unknown."""
        return self.session.scalar(select(EssayRow.content_hash).where(EssayRow.id == essay_id))

    def file_meta_hash(self, essay_id: str) -> str | None:
        """The digest of the metadata the essay's file gave when last imported (see ``save_essay``)."""
        return self.session.scalar(select(EssayRow.meta_hash).where(EssayRow.id == essay_id))

    def set_file_meta_hash(self, essay_id: str, meta_hash: str) -> None:
        """Record that the essay's file now gives metadata with this digest (nothing else changes)."""
        row = self.session.get(EssayRow, essay_id)
        if row is not None:
            row.meta_hash = meta_hash

    def find_by_hash(self, content_hash: str) -> str | None:
        """The id of an essay with this body hash, any status; an active one if there is one."""
        # "active" sorts before "removed", so a live duplicate wins over a tombstone.
        query = (
            select(EssayRow.id)
            .where(EssayRow.content_hash == content_hash)
            .order_by(EssayRow.status, EssayRow.id)
            .limit(1)
        )
        return self.session.scalar(query)

    def save_essay(
        self,
        essay: Essay,
        passages: Sequence[Passage],
        spans: Sequence[QuoteSpan],
        *,
        file_meta_hash: str | None = None,
    ) -> None:
        """Insert or replace an essay (making it active) together with all its passages and spans.

        ``file_meta_hash`` is the digest of the metadata its file gave (ingest passes it). Without it
        (an edit, an undo) the recorded one stays, so the stored metadata now differing from it is what
        marks a moderator's edit; a new essay, or one stored before digests were kept, records the
        digest of the metadata it had before this call.
        """
        _check_offsets(essay, passages, spans)
        self._touch(essay.id)
        now = utcnow()
        row = self.session.get(EssayRow, essay.id)
        if row is None:
            row = EssayRow(id=essay.id, created_at=now, meta_hash=essay.meta.meta_hash)
            self.session.add(row)
        elif row.meta_hash is None:
            row.meta_hash = essay_meta(row).meta_hash
        if file_meta_hash is not None:
            row.meta_hash = file_meta_hash
        meta = essay.meta
        row.title = meta.title
        row.subtitle = meta.subtitle
        row.authors = list(meta.authors)
        row.aliases = list(meta.aliases)
        row.publication = meta.publication
        row.date = meta.date
        row.url = meta.url
        row.notes = meta.notes
        row.body = essay.body
        row.content_hash = essay.content_hash
        row.source = essay.source
        row.status = ESSAY_ACTIVE
        row.updated_at = now
        row.removed_at = None
        self.session.flush()  # the essay row must exist before children reference it

        # Children are replaced wholesale: passage ids are content-derived, so unchanged sentences
        # come back with the same ids and nothing keyed on them is orphaned.
        self.session.execute(delete(PassageRow).where(PassageRow.essay_id == essay.id))
        self.session.execute(delete(QuoteSpanRow).where(QuoteSpanRow.essay_id == essay.id))
        if passages:
            self.session.execute(insert(PassageRow), [_passage_values(p) for p in passages])
        if spans:
            self.session.execute(insert(QuoteSpanRow), [_span_values(essay.id, s) for s in spans])

    def remove_essay(self, essay_id: str) -> bool:
        """Tombstone an essay (kept, no longer answered); False if it is unknown."""
        row = self.session.get(EssayRow, essay_id)
        if row is None:
            return False
        self._touch(essay_id)
        if row.status != ESSAY_REMOVED:  # keep the first removal time on repeats
            row.status = ESSAY_REMOVED
            row.removed_at = utcnow()
        return True

    def restore_essay(self, essay_id: str) -> bool:
        """Make a removed essay active again; False if it is unknown."""
        row = self.session.get(EssayRow, essay_id)
        if row is None:
            return False
        self._touch(essay_id)
        row.status = ESSAY_ACTIVE
        row.removed_at = None
        return True

    def _touch(self, essay_id: str) -> None:
        # Every write of passages or of an essay's status passes here: what a change touched is
        # what the library re-reads after it (``touched``), instead of the whole corpus.
        self.session.info.setdefault(TOUCHED, set()).add(essay_id)

    def touched(self) -> set[str]:
        """Ids of the essays whose passages or status this session has written."""
        return set(self.session.info.get(TOUCHED, ()))

    def get_essay(self, essay_id: str) -> Essay | None:
        """An active essay, or None if it is unknown or removed."""
        row = self.session.get(EssayRow, essay_id)
        return _to_essay(row) if row is not None and row.status == ESSAY_ACTIVE else None

    def active_essays(self) -> list[Essay]:
        """All active essays, ordered by id."""
        rows = self.session.scalars(
            select(EssayRow).where(EssayRow.status == ESSAY_ACTIVE).order_by(EssayRow.id)
        )
        return [_to_essay(row) for row in rows]

    def active_passages(self) -> list[Passage]:
        """Passages of active essays, ordered by essay id then position."""
        return list(self.iter_active_passages())

    def iter_active_passages(self) -> Iterator[Passage]:
        """:meth:`active_passages` one at a time, read in batches (a snapshot of a large library).

        Plain column rows, not ORM objects: the session's identity map would otherwise keep every
        row of a large library alive at once while a snapshot is built from them.
        """
        query = _active_passages().execution_options(yield_per=_BATCH)
        for row in self.session.execute(query):
            yield Passage(*row)

    def passages_of(self, essay_ids: set[str]) -> list[Passage]:
        """The passages of those of ``essay_ids`` that are active, ordered by essay id then position."""
        if not essay_ids:
            return []
        query = _active_passages().where(PassageRow.essay_id.in_(sorted(essay_ids)))
        return [Passage(*row) for row in self.session.execute(query)]

    def searchable_count(self) -> int:
        """How many sentence passages the active essays have: the rows an index holds."""
        return int(self.session.scalar(_searchable(select(func.count()).select_from(PassageRow))) or 0)

    def searchable_passage_ids(self) -> set[str]:
        """Ids of the active essays' sentence passages: the rows an index holds (``CorpusSnapshot``)."""
        return set(self.session.scalars(_searchable(select(PassageRow.id))))

    def quote_spans(self) -> dict[str, list[QuoteSpan]]:
        """Quote spans of active essays by essay id, in body order; essays without spans are absent."""
        query = (
            select(QuoteSpanRow)
            .join(EssayRow, EssayRow.id == QuoteSpanRow.essay_id)
            .where(EssayRow.status == ESSAY_ACTIVE)
            .order_by(QuoteSpanRow.essay_id, QuoteSpanRow.start, QuoteSpanRow.end, QuoteSpanRow.id)
        )
        spans: dict[str, list[QuoteSpan]] = {}
        for row in self.session.scalars(query):
            role = cast(SpeakerRole, row.role)
            spans.setdefault(row.essay_id, []).append(QuoteSpan(row.start, row.end, row.speaker, role))
        return spans

    def any_essay(self) -> bool:
        """Whether any essay is stored, removed ones included (cheap at any library size)."""
        return self.session.scalar(select(EssayRow.id).limit(1)) is not None

    def corpus_token(self) -> str | None:
        """The corpus token (``CorpusStateRow``): it changes whenever the searchable corpus may have.

        Read after a change has been flushed, it is the token that change will commit.
        """
        return self.session.scalar(select(CorpusStateRow.token).where(CorpusStateRow.id == 1))

    def hold_corpus(self) -> str | None:
        """The corpus token, with the corpus held until this transaction ends.

        A write to the token's row: any other corpus write (whose trigger writes that row too) waits
        for this transaction, so what it reads next is the corpus of that token. None before
        migration 0006.
        """
        held = update(CorpusStateRow).where(CorpusStateRow.id == 1).values(token=CorpusStateRow.token)
        return self.session.scalar(held.returning(CorpusStateRow.token))

    def counts(self) -> dict[str, int]:
        """``essays`` and ``passages`` (active only) and ``removed`` essays."""
        rows = self.session.execute(select(EssayRow.status, func.count()).group_by(EssayRow.status))
        by_status: dict[str, int] = dict(rows.all())  # Result itself looks like a mapping to dict()
        passages = self.session.scalar(
            select(func.count())
            .select_from(PassageRow)
            .join(EssayRow, EssayRow.id == PassageRow.essay_id)
            .where(EssayRow.status == ESSAY_ACTIVE)
        )
        return {
            "essays": by_status.get(ESSAY_ACTIVE, 0),
            "passages": passages or 0,
            "removed": by_status.get(ESSAY_REMOVED, 0),
        }

    def essay_and_status(self, essay_id: str) -> tuple[Essay, EssayStatus] | None:
        """An essay whatever its status (removed ones too), with that status; None if never stored."""
        row = self.session.get(EssayRow, essay_id)
        return None if row is None else (_to_essay(row), cast(EssayStatus, row.status))

    def removed_essays(self) -> list[EssayMeta]:
        """Metadata of the removed essays (tombstones), ordered by id."""
        rows = self.session.scalars(
            select(EssayRow).where(EssayRow.status == ESSAY_REMOVED).order_by(EssayRow.id)
        )
        return [_to_essay(row).meta for row in rows]


def _active_passages() -> Select[Any]:
    """Every column of the active essays' passages, ordered by essay id then position."""
    return (
        select(*(getattr(PassageRow, name) for name in _PASSAGE_FIELDS))
        .join(EssayRow, EssayRow.id == PassageRow.essay_id)
        .where(EssayRow.status == ESSAY_ACTIVE)
        .order_by(PassageRow.essay_id, PassageRow.seq)
    )


def _searchable(query: Select[T]) -> Select[T]:
    """``query`` over the passages restricted to the rows an index holds: active essays' sentences."""
    return query.join(EssayRow, EssayRow.id == PassageRow.essay_id).where(
        EssayRow.status == ESSAY_ACTIVE, PassageRow.kind == "sentence"
    )


def _check_offsets(essay: Essay, passages: Sequence[Passage], spans: Sequence[QuoteSpan]) -> None:
    # Every answer quotes body[start:end]; storing a passage that breaks this would misquote later.
    for p in passages:
        if p.essay_id != essay.id:
            raise ValueError(f"passage {p.id} belongs to {p.essay_id!r}, not {essay.id!r}")
        if essay.body[p.start : p.end] != p.text:
            raise ValueError(f"passage {p.id} text does not match {essay.id} body[{p.start}:{p.end}]")
    for s in spans:
        if not 0 <= s.start <= s.end <= len(essay.body):
            raise ValueError(f"quote span {s.start}:{s.end} is outside essay {essay.id}")


def _passage_values(p: Passage) -> dict[str, Any]:
    return dataclasses.asdict(p)


def _span_values(essay_id: str, s: QuoteSpan) -> dict[str, Any]:
    return {"essay_id": essay_id, "start": s.start, "end": s.end, "speaker": s.speaker, "role": s.role}


def essay_meta(row: EssayRow) -> EssayMeta:
    """The metadata of a stored essay."""
    return from_row(EssayMeta, row, authors=tuple(row.authors), aliases=tuple(row.aliases))


def _to_essay(row: EssayRow) -> Essay:
    return Essay(meta=essay_meta(row), body=row.body, source=row.source)


# Passage's fields in order, each named like its PassageRow column.
_PASSAGE_FIELDS = tuple(f.name for f in dataclasses.fields(Passage))
