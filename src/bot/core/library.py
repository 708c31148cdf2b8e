"""Changing the shared library of essays: add, remove, restore and edit, audited and undoable.

A mixin of ``Essaybot``: every change publishes the matching index generation without blocking
answers (the slow embedding runs with no transaction open and without the answer lock).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from bot.answer.calibration import Calibration
from bot.config import Settings
from bot.core.ingest import IngestReport, PreparedEssay, prepare, publish_after, write_index
from bot.corpus.models import Essay, EssayMeta
from bot.corpus.upload import Preview, check_new, preview
from bot.curation.essays import EssayCuration
from bot.search.embedder import Embedder
from bot.search.hybrid import Retriever
from bot.search.index_store import IndexStore, Manifest
from bot.search.snapshot import CorpusSnapshot, snapshot_of
from bot.store.db import session_scope
from bot.store.repo import CorpusRepository

T = TypeVar("T")


class LibraryMixin:
    """The library-changing half of ``Essaybot`` (which provides the attributes declared here)."""

    settings: Settings
    calibration: Calibration
    engine: Engine
    store: IndexStore
    embedder: Embedder

    def retriever(self) -> Retriever:
        """Provided by ``Essaybot``."""
        raise NotImplementedError

    def _db_snapshot(self) -> CorpusSnapshot:
        raise NotImplementedError

    def check_new_essay(self, essay: Essay) -> None:
        """CorpusError when the text of ``essay`` or its id is already stored (removed ones too)."""
        with session_scope(self.engine) as session:
            check_new(essay, CorpusRepository(session))

    def preview_essay(self, essay: Essay, warnings: Sequence[str] = ()) -> Preview:
        """What adding ``essay`` would store; CorpusError when its text or its id is already stored."""
        self.check_new_essay(essay)
        return preview(essay, warnings)

    def add_essays(self, essays: Sequence[Essay | PreparedEssay], *, actor: str) -> IngestReport:
        """Add new essays (one audit entry each) and publish an index with them, all or nothing."""
        t0 = time.perf_counter()
        prepared = [e if isinstance(e, PreparedEssay) else prepare(e) for e in essays]

        def add(session: Session) -> None:
            curation = EssayCuration(session)
            for p in prepared:
                curation.add(p, actor=actor)

        _, manifest, embedded = self._corpus_change(add)
        return IngestReport(
            added=[p.essay.id for p in prepared],
            passages=manifest.passage_count,
            embedded=embedded,
            generation=manifest.generation,
            seconds=time.perf_counter() - t0,
        )

    def remove_essay_by(self, essay_id: str, *, actor: str) -> EssayMeta:
        """Tombstone an essay (audited) and publish an index without it."""
        return self._corpus_change(lambda s: EssayCuration(s).remove(essay_id, actor=actor))[0]

    def restore_essay_by(self, essay_id: str, *, actor: str) -> EssayMeta:
        """Bring a removed essay back (audited) and publish an index with it."""
        return self._corpus_change(lambda s: EssayCuration(s).restore(essay_id, actor=actor))[0]

    def edit_essay(self, essay_id: str, *, actor: str, **metadata: Any) -> tuple[EssayMeta, EssayMeta]:
        """Change an essay's title, authors, date, url or publication (None clears); metas before, after."""
        return self._corpus_change(lambda s: EssayCuration(s).edit(essay_id, metadata, actor=actor))[0]

    def removed_essays(self) -> list[EssayMeta]:
        """Metadata of the removed essays, which ``restore_essay_by`` can bring back."""
        with session_scope(self.engine) as session:
            return CorpusRepository(session).removed_essays()

    def publish_corpus(self) -> Manifest:
        """Publish an index generation for the corpus as the database holds it (after an undo)."""
        with self.store.lock():  # read the corpus inside the lock: no other writer can change it
            manifest, _ = write_index(
                self._db_snapshot(),
                self.embedder,
                self.store,
                ann_threshold=self.settings.ann_threshold,
                calibration=self.calibration.id,
            )
            self.store.publish(manifest)
        self.retriever()
        return manifest

    def _corpus_change(self, change: Callable[[Session], T]) -> tuple[T, Manifest, int]:
        """Make a corpus change and publish the matching index generation, without blocking answers.

        The change is made once to read the corpus as it will be, then rolled back; the index for that
        corpus is embedded with no transaction open and without the answer lock; then the change is
        made again and committed, and the generation published. The index store's lock keeps other
        corpus writers (another process's ingest) out in between.
        """
        with self.store.lock():
            with session_scope(self.engine) as session:
                change(session)
                session.flush()
                snap = snapshot_of(CorpusRepository(session))
                session.rollback()
            manifest, embedded = write_index(
                snap,
                self.embedder,
                self.store,
                ann_threshold=self.settings.ann_threshold,
                calibration=self.calibration.id,
            )
            results: list[T] = []

            def commit() -> None:
                with session_scope(self.engine) as session:
                    results.append(change(session))

            publish_after(manifest, self.store, commit)
        self.retriever()  # load the new generation now, so that the next answer does not wait for it
        return results[0], manifest, embedded
