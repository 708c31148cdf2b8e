"""The one write path of the core: every change to the library of essays, and its index generation.

``Library`` ingests essays from disk, adds, removes, restores and edits them (audited), undoes audit
entries, and reindexes. Every change ends in :meth:`Library._publish`: the index for the corpus as
the change leaves it is written aside, the change is committed, and only then is the new generation
published. Any failure before that leaves the previous database and index as they were, and every
change bumps the generation, which is how running processes (a bot beside a CLI) notice it.

The slow part, embedding, runs with no transaction open and without blocking answers; the index
store's lock keeps other writers (another process's ingest) out meanwhile.

A small change does not rebuild the index: the new generation links the current one's files and adds
a delta segment for the essays added or changed, and tombstones for the rows removed
(:mod:`bot.search.segments`). Once the delta and tombstones pass ``COMPACT_SHARE`` of the rows, the
next change rebuilds the whole index (compaction); ``reindex`` and the rebuild of a stale or damaged
index always do.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from bot.answer.calibration import Calibration
from bot.config import Settings
from bot.core.ingest import IngestPlan, IngestReport, Progress, plan_ingest
from bot.core.snapshots import after_change, current_snapshot, saved_snapshot
from bot.core.vectors import reuse_or_embed
from bot.corpus.loader import load_corpus
from bot.corpus.models import Essay, EssayMeta
from bot.corpus.prepare import PreparedEssay, prepare
from bot.corpus.upload import Preview, check_new, preview
from bot.curation import audit
from bot.curation.essays import ACTIONS as ESSAY_ACTIONS
from bot.curation.essays import CORPUS_WRITE, EssayCuration
from bot.ops.build_status import BuildProgress
from bot.paths import DataDir, seeds_dir
from bot.search.dense import choose_kind
from bot.search.embed_cache import cache_path
from bot.search.embedder import Embedder, Vectors
from bot.search.index_store import IndexStore, Manifest, StaleIndexError
from bot.search.segments import COMPACT_SHARE, plan_delta
from bot.search.snapshot import CorpusSnapshot
from bot.store.db import session_scope
from bot.store.models import AuditRow
from bot.store.repo import CorpusRepository

log = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass(frozen=True)
class Change:
    """What a corpus change does to the index: the passage ids (index rows) it adds and removes.

    ``full`` rebuilds the index for the whole corpus, re-embedding every passage (``essaybot
    reindex``, e.g. after a model change); otherwise unchanged passages keep their vectors.
    """

    added: frozenset[str] = frozenset()
    removed: frozenset[str] = frozenset()
    full: bool = False

    @classmethod
    def between(cls, before: Iterable[str], after: CorpusSnapshot) -> Change:
        """The change from the rows ``before`` to the corpus ``after``."""
        old, new = set(before), set(after.row_of)
        return cls(frozenset(new - old), frozenset(old - new))


class Library:
    """Changes the library of essays, each with its matching index generation, all or nothing."""

    def __init__(
        self,
        settings: Settings,
        *,
        engine: Engine,
        index_store: IndexStore,
        embedder: Embedder,
        calibration: Calibration,
        on_publish: Callable[[], object] = lambda: None,
    ) -> None:
        self.settings = settings
        self.engine = engine
        self.index_store = index_store
        self.embedder = embedder
        self.calibration = calibration
        # Called after an audited change: a running bot loads the new generation at once, so that
        # the next answer does not wait for it.
        self.on_publish = on_publish
        # The corpus of the generation this library last published from an audited change, which
        # the reload after it reads instead of the database (see :meth:`snapshot`).
        self._published: tuple[int, CorpusSnapshot] | None = None

    # -- checks before a change -----------------------------------------------------------------

    def check_new_essay(self, essay: Essay) -> None:
        """CorpusError when the text of ``essay`` or its id is already stored (removed ones too)."""
        with session_scope(self.engine) as session:
            check_new(essay, CorpusRepository(session))

    def preview_essay(self, essay: Essay, warnings: Sequence[str] = ()) -> Preview:
        """What adding ``essay`` would store; CorpusError when its text or its id is already stored."""
        self.check_new_essay(essay)
        return preview(essay, warnings)

    def removed_essays(self) -> list[EssayMeta]:
        """Metadata of the removed essays, which ``restore_essay_by`` can bring back."""
        with session_scope(self.engine) as session:
            return CorpusRepository(session).removed_essays()

    # -- changes ------------------------------------------------------------------------------

    def ingest(
        self, paths: Sequence[Path] | None = None, *, force: bool = False, progress: Progress | None = None
    ) -> IngestReport:
        """Import essays from files (the configured or bundled seeds by default), all or nothing.

        The slow part (embedding) runs before the database is written, on the corpus as it will be,
        so the write transaction stays short and never blocks other writers (a running bot's log)
        for long. The ``max_upload_bytes`` setting refuses a larger file before reading it.
        """
        t0 = time.perf_counter()
        report = IngestReport()
        essays = load_corpus(
            list(paths) if paths else [self.settings.seeds_dir or seeds_dir()],
            max_bytes=self.settings.max_upload_bytes,  # the same limit as uploads
        )
        with self.index_store.lock():
            with session_scope(self.engine) as session:
                repo = CorpusRepository(session)
                token = repo.corpus_token()
                base = saved_snapshot(repo, self.index_store, token)
                plan = plan_ingest(
                    essays, repo, force=force, report=report, progress=progress, base=base, token=token
                )
            report.passages = len(plan.after)
            if plan.changes or not self._is_fresh(plan.after):
                manifest, report.embedded = self._publish(
                    plan.after, Change.between(plan.before, plan.after), self._saver(plan), progress
                )
                report.generation = manifest.generation
            else:  # file metadata digests at most: no corpus change, no new generation
                self._saver(plan)()
                report.generation = self.index_store.current_generation()
        report.seconds = time.perf_counter() - t0
        return report

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

    def undo(
        self,
        entry_id: int,
        *,
        actor: str,
        guild_id: str | None,
        allowed: Callable[[AuditRow | None], None] = lambda row: None,
    ) -> AuditRow:
        """Revert an audit entry (``audit.undo``); an essay action's undo publishes its index too.

        ``allowed`` sees the entry (None when there is no such entry) before anything changes and
        raises to refuse (the caller's permission rules).
        """

        def revert(session: Session) -> AuditRow:
            allowed(session.get(AuditRow, entry_id))
            return audit.undo(session, entry_id, actor=actor, guild_id=guild_id)

        with session_scope(self.engine) as session:
            row = session.get(AuditRow, entry_id)
            if row is None or row.action not in ESSAY_ACTIONS:
                return revert(session)  # curation of a server: the corpus and its index stay as they are
        return self._corpus_change(revert)[0]

    def reindex(self, progress: Progress | None = None, *, reembed: bool = True) -> Manifest:
        """Build the whole index again and publish it.

        ``reembed`` embeds every passage from scratch (after a model change); without it the vectors
        the index already has are reused, and only its files are written anew (a release that writes
        them differently, such as the phrase table's trigram counts, takes effect this way).
        """
        with self.index_store.lock():  # read the corpus inside the lock: no other writer can change it
            snap = self.snapshot()
            change = Change(frozenset(snap.row_of), full=reembed)
            return self._publish(snap, change, progress=progress, whole=True)[0]

    def rebuild(self, snap: CorpusSnapshot, progress: Progress | None = None) -> Manifest:
        """Publish an index for ``snap``, the corpus as stored, when the current one is stale or damaged.

        Always a whole build: a delta would link the current generation's files, damage included.
        """
        with self.index_store.lock():
            return self._publish(snap, Change(frozenset(snap.row_of)), progress=progress, whole=True)[0]

    # -- the one publish step -------------------------------------------------------------------

    def _publish(
        self,
        snap: CorpusSnapshot,
        change: Change,
        commit: Callable[[], str | None] | None = None,
        progress: Progress | None = None,
        *,
        whole: bool = False,
    ) -> tuple[Manifest, int]:
        """Write the index for ``snap`` aside, let ``commit`` store that corpus, then publish it.

        ``snap`` is the corpus as ``commit`` leaves it and ``change`` what that does to the index.
        ``commit`` returns the database's corpus token as it committed it (without a commit, the
        snapshot's own token); the generation is stamped with it before it is published, so that a
        start can take the corpus from the generation (:mod:`bot.search.snapshot_files`).
        A small change writes a delta generation over the current one (:meth:`_save_delta`);
        ``whole``, a full change, or a delta grown past ``COMPACT_SHARE`` write the whole index,
        reusing the vectors of unchanged passages. A failed commit discards the unpublished
        generation. Returns the published generation and the number of passages embedded. Call it
        inside the index store's lock.
        """
        log.debug("index: +%d -%d passages, full: %s", len(change.added), len(change.removed), change.full)
        saved = None if whole or change.full else self._save_delta(snap, progress)
        manifest, embedded = saved if saved is not None else self._save_whole(snap, change, progress)
        try:
            token = commit() if commit is not None else snap.token
        except BaseException:
            self.index_store.discard(manifest)
            raise
        self.index_store.stamp(manifest, token)
        self.index_store.publish(manifest)
        return manifest, embedded

    def _save_delta(self, snap: CorpusSnapshot, progress: Progress | None) -> tuple[Manifest, int] | None:
        """A delta generation over the current one for ``snap``, or None when a whole build is due."""
        base = self.index_store.base_of_current(self.embedder.model_name, self.calibration.id)
        if base is None or base.index_kind != choose_kind(len(snap), self.settings.ann_threshold):
            return None
        layout = self.index_store.layout(base)
        if layout is None:
            return None
        plan = plan_delta(snap, layout)
        base_rows = base.segments["base_passages"] if base.segments else base.passage_count
        if plan.share(base_rows) > COMPACT_SHARE:
            log.info("index: delta at %.0f%% of the rows: rebuilding it whole", 100 * plan.share(base_rows))
            return None
        old = self.index_store.delta_vectors(base)
        # The base's dimension: a removal or a restore embeds nothing and never loads the model.
        cache = cache_path(self.index_store.root)
        vectors, embedded = reuse_or_embed(
            plan.delta.passages, old, self.embedder, base.dimension, cache, progress
        )
        return self.index_store.save_delta(base, snap, plan, vectors), embedded

    def _save_whole(
        self, snap: CorpusSnapshot, change: Change, progress: Progress | None
    ) -> tuple[Manifest, int]:
        # A whole build of a large library takes minutes: `essaybot health` reads how far it is.
        with BuildProgress(self.index_store.root / DataDir.INDEX_BUILD, progress).running() as status:
            vectors, embedded = self._vectors(snap, status, reuse=not change.full)
            status("writing", 0, 1)
            return self._save_vectors(snap, vectors), embedded

    def _save_vectors(self, snap: CorpusSnapshot, vectors: Vectors) -> Manifest:
        return self.index_store.save(
            passage_ids=[p.id for p in snap.passages],
            sentence_vectors=vectors,
            model=self.embedder.model_name,
            corpus_hash=snap.corpus_hash,
            index_kind=choose_kind(len(snap), self.settings.ann_threshold),
            calibration=self.calibration.id,
            snapshot=snap,  # the keyword and phrase indexes go into the same generation
        )

    def _vectors(
        self, snap: CorpusSnapshot, progress: Progress | None, *, reuse: bool
    ) -> tuple[Vectors, int]:
        """Sentence vectors for a snapshot, reusing the current generation's for unchanged passages."""
        old = self.index_store.previous_vectors(self.embedder.model_name) if reuse else {}
        cache = cache_path(self.index_store.root)
        return reuse_or_embed(
            snap.passages, old, self.embedder, self.embedder.dimension, cache, progress, read=reuse
        )

    def _corpus_change(self, change: Callable[[Session], T]) -> tuple[T, Manifest, int]:
        """Make an audited corpus change and publish the matching index generation.

        The change is made once to read the corpus as it will be, then rolled back; the index for
        that corpus is embedded with no transaction open; then the change is made again, committed,
        and the generation published. Sessions that may change the corpus are marked
        (``CORPUS_WRITE``): an undo of an essay action refuses to run outside this path.
        """
        with self.index_store.lock():
            with session_scope(self.engine) as session:
                session.info[CORPUS_WRITE] = True
                repo = CorpusRepository(session)
                held = repo.hold_corpus()
                base = saved_snapshot(repo, self.index_store, held)
                before: Iterable[str] = base.row_of if base is not None else repo.searchable_passage_ids()
                change(session)
                session.flush()
                snap = after_change(repo, base)
                session.rollback()
            results: list[T] = []

            def commit() -> str | None:
                with session_scope(self.engine) as session:
                    session.info[CORPUS_WRITE] = True
                    repo = CorpusRepository(session)
                    unchanged = repo.hold_corpus() == held  # no other writer since ``snap`` was read
                    results.append(change(session))
                    session.flush()
                    # The token as committed, not the rolled-back read's: a rebuild from this
                    # snapshot (which the reload after the change reuses) is stamped with it.
                    snap.token = repo.corpus_token() if unchanged else None
                    return snap.token

            manifest, embedded = self._publish(snap, Change.between(before, snap), commit)
            self._published = (manifest.generation, snap)
        self.on_publish()
        return results[0], manifest, embedded

    def _saver(self, plan: IngestPlan) -> Callable[[], str | None]:
        def save() -> str | None:
            with session_scope(self.engine) as session:
                repo = CorpusRepository(session)
                # The corpus the plan was read from, unless another writer changed it since.
                unchanged = plan.token is not None and repo.hold_corpus() == plan.token
                plan.save(repo)
                session.flush()
                return repo.corpus_token() if unchanged else None

        return save

    def snapshot(self) -> CorpusSnapshot:
        """The corpus as the database holds it now.

        Right after an audited change, while ``CURRENT`` is still the generation it published, that
        is the corpus the change was indexed from (read in its own transaction, then committed
        under the same lock): the reload after a change does not read the whole library again.
        """
        published = self._published
        if published is not None and self.index_store.current_generation() == published[0]:
            return published[1]
        with session_scope(self.engine) as session:
            return current_snapshot(CorpusRepository(session), self.index_store)

    def save_corpus(self, snap: CorpusSnapshot) -> Manifest | None:
        """Publish the current index again with ``snap`` saved in it, so that the next start is quick.

        For a start that had to read the corpus in full although the index matched it (a generation
        written before corpora were saved, or a database write that left the corpus as indexed).
        Like a metadata edit, the new generation links the current one's files and embeds nothing;
        it is skipped when that is not possible, when ``snap`` has no token, or when another writer
        holds the lock (its own publication will be stamped). Returns the published generation.
        """
        if snap.token is None:
            return None
        with self.index_store.lock(wait=False) as held:
            if not held:
                return None
            essays = list(snap.essays.values())
            if self.index_store.saved_snapshot(snap.token, essays, snap.quote_spans) is not None:
                return None  # another process saved it meanwhile
            saved = self._save_delta(snap, None)
            if saved is None:
                return None
            with session_scope(self.engine) as session:
                token = CorpusRepository(session).corpus_token()
            # No writer can commit without the lock, but one may have before it was taken.
            if token != snap.token:
                self.index_store.discard(saved[0])
                return None
            self.index_store.stamp(saved[0], token)
            self.index_store.publish(saved[0])
            return saved[0]

    def _is_fresh(self, snap: CorpusSnapshot) -> bool:
        try:
            self.index_store.load(
                model=self.embedder.model_name, corpus_hash=snap.corpus_hash, calibration=self.calibration.id
            )
        except StaleIndexError:
            return False
        return True
