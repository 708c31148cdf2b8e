"""Ingest: essays on disk -> cleaned, chunked, attributed passages in the database -> a new index.

The database change and the new index generation succeed or fail together: the index is written
aside first, the database transaction commits, and only then is the new generation published. Any
failure before that leaves the previous database and index exactly as they were.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from bot.corpus.chunker import chunk
from bot.corpus.cleaner import clean
from bot.corpus.loader import clip, load_corpus
from bot.corpus.models import EDITABLE, Essay, EssayMeta, Passage, QuoteSpan
from bot.corpus.speakers import detect_quote_spans
from bot.errors import CorpusError
from bot.search.dense import choose_kind
from bot.search.embed_cache import cache_path, encode_cached
from bot.search.embedder import Embedder, Vectors
from bot.search.index_store import IndexStore, Manifest, StaleIndexError
from bot.search.snapshot import CorpusSnapshot
from bot.store.db import session_scope
from bot.store.repo import CorpusRepository

log = logging.getLogger(__name__)

Progress = Callable[[str, int, int], None]  # (stage, done, total)


@dataclass(frozen=True)
class PreparedEssay:
    """An essay with its passages and quote spans, ready to store."""

    essay: Essay
    passages: list[Passage]
    spans: list[QuoteSpan]


@dataclass
class IngestReport:
    """What an ingest did, for the summary line."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # tombstoned or duplicate content
    conflicts: list[str] = field(default_factory=list)  # file metadata differs from a moderator's edit
    warnings: list[str] = field(default_factory=list)
    passages: int = 0
    embedded: int = 0
    generation: int | None = None
    seconds: float = 0.0


def prepare(essay: Essay) -> PreparedEssay:
    """Clean, chunk and attribute one essay (pure: touches no storage)."""
    cleaned = clean(essay.body, essay.meta)
    passages = chunk(essay, cleaned)
    spans = detect_quote_spans(essay.body, cleaned.blocks, essay.meta)
    return PreparedEssay(essay, passages, spans)


def build_vectors(
    snap: CorpusSnapshot,
    embedder: Embedder,
    store: IndexStore,
    progress: Progress | None = None,
    *,
    reuse: bool = True,
) -> tuple[Vectors, int]:
    """Sentence vectors for a snapshot, reusing the current generation's for unchanged passages."""
    old = store.previous_vectors(embedder.model_name) if reuse else {}
    todo = [i for i, p in enumerate(snap.passages) if p.id not in old]
    dim = embedder.dimension
    vectors = np.zeros((len(snap), dim), dtype=np.float32)
    for i, p in enumerate(snap.passages):
        if p.id in old:
            vectors[i] = old[p.id]
    # The cache keeps each embedded batch, so an interrupted ingest resumes where it stopped.
    fresh, embedded = encode_cached(
        embedder, [snap.passages[i].text for i in todo], cache_path(store.root), progress=progress, read=reuse
    )
    vectors[todo] = fresh
    return vectors, embedded


def write_index(
    snap: CorpusSnapshot,
    embedder: Embedder,
    store: IndexStore,
    *,
    ann_threshold: int,
    calibration: str,
    progress: Progress | None = None,
    reuse: bool = True,
) -> tuple[Manifest, int]:
    """Embed what changed and save a new (unpublished) generation; returns it and the count embedded."""
    vectors, embedded = build_vectors(snap, embedder, store, progress, reuse=reuse)
    manifest = store.save(
        passage_ids=[p.id for p in snap.passages],
        sentence_vectors=vectors,
        model=embedder.model_name,
        corpus_hash=snap.corpus_hash,
        index_kind=choose_kind(len(snap), ann_threshold),
        calibration=calibration,
    )
    return manifest, embedded


def commit_with_index(
    session: Session,
    snap: CorpusSnapshot,
    embedder: Embedder,
    store: IndexStore,
    *,
    ann_threshold: int,
    calibration: str,
    progress: Progress | None = None,
) -> tuple[Manifest, int]:
    """Write the index for ``snap`` (the corpus as ``session`` will leave it) aside, commit, publish.

    For small changes whose snapshot is read from the uncommitted session, such as removing an essay.
    Call inside ``store.lock()``.
    """
    manifest, embedded = write_index(
        snap, embedder, store, ann_threshold=ann_threshold, calibration=calibration, progress=progress
    )
    publish_after(manifest, store, session.commit)
    return manifest, embedded


def publish_after(manifest: Manifest, store: IndexStore, commit: Callable[[], None]) -> None:
    """Publish a saved generation once ``commit`` has stored the matching corpus; discard it if not.

    Every corpus change ends here, so every change bumps the index generation, which is how running
    processes notice it.
    """
    try:
        commit()
    except BaseException:
        store.discard(manifest)
        raise
    store.publish(manifest)


def ingest(
    paths: Sequence[Path],
    *,
    engine: Engine,
    embedder: Embedder,
    store: IndexStore,
    ann_threshold: int,
    calibration: str,
    force: bool = False,
    progress: Progress | None = None,
    max_bytes: int | None = None,
) -> IngestReport:
    """Import essays into the database and publish a matching index, all or nothing.

    The slow part (embedding) runs before the database is written, on the corpus as it will be, so
    the write transaction stays short and never blocks other writers (a running bot's log) for long.
    ``max_bytes`` (the ``max_upload_bytes`` setting) refuses a larger file before reading it.

    An essay whose text and metadata are as stored is unchanged. New front matter updates the stored
    metadata, except for fields a moderator has edited since (``/essays edit``): those are kept and the
    essay is reported in ``conflicts``, unless ``force`` takes the file's metadata as it is.
    """
    t0 = time.perf_counter()
    report = IngestReport()
    essays = load_corpus(paths, max_bytes=max_bytes)
    with store.lock():
        with session_scope(engine) as session:
            repo = CorpusRepository(session)
            plan = _plan(essays, repo, force=force, report=report, progress=progress)
            changes = plan.changes
            corpus = {e.id: e for e in repo.active_essays()}
            passages = repo.active_passages()
            spans = repo.quote_spans()
        changed = {c.essay.id for c in changes}
        for c in changes:
            corpus[c.essay.id] = c.essay
            spans[c.essay.id] = c.spans
        passages = [p for p in passages if p.essay_id not in changed] + [
            p for c in changes for p in c.passages
        ]
        # The same order the repository returns, so the corpus hash matches what readers compute.
        passages.sort(key=lambda p: (p.essay_id, p.seq))
        snap = CorpusSnapshot([corpus[k] for k in sorted(corpus)], passages, spans)
        report.passages = len(snap)
        if not changes and _index_is_fresh(store, snap, embedder, calibration):
            if plan.file_hashes:  # metadata digests only: no corpus change, no new generation
                with session_scope(engine) as session:
                    repo = CorpusRepository(session)
                    for essay_id, digest in plan.file_hashes.items():
                        repo.set_file_meta_hash(essay_id, digest)
            report.generation = store.current_generation()
            report.seconds = time.perf_counter() - t0
            return report
        manifest, report.embedded = write_index(
            snap, embedder, store, ann_threshold=ann_threshold, calibration=calibration, progress=progress
        )

        def save_changes() -> None:
            with session_scope(engine) as session:
                repo = CorpusRepository(session)
                for c in changes:
                    digest = plan.file_hashes.pop(c.essay.id, None)
                    repo.save_essay(c.essay, c.passages, c.spans, file_meta_hash=digest)
                for essay_id, digest in plan.file_hashes.items():
                    repo.set_file_meta_hash(essay_id, digest)

        publish_after(manifest, store, save_changes)
        report.generation = manifest.generation
    report.seconds = time.perf_counter() - t0
    return report


@dataclass
class _Plan:
    """What an ingest will write: prepared essays, and the file metadata digests to record."""

    changes: list[PreparedEssay] = field(default_factory=list)
    file_hashes: dict[str, str] = field(default_factory=dict)  # essay id -> its file's meta_hash


def _plan(
    essays: Sequence[Essay],
    repo: CorpusRepository,
    *,
    force: bool,
    report: IngestReport,
    progress: Progress | None,
) -> _Plan:
    """Decide what each loaded essay needs (added, updated, unchanged, skipped) and prepare the changes."""
    plan = _Plan()
    seen_hashes: dict[str, str] = {}
    for n, essay in enumerate(essays, 1):
        if progress:
            progress("reading", n, len(essays))
        status = repo.essay_status(essay.id)
        if status == "removed" and not force:
            report.skipped.append(essay.id)
            report.warnings.append(f"{essay.id}: removed earlier; not re-imported (use --force)")
            continue
        found = repo.essay_and_status(essay.id) if status == "active" and not force else None
        if found is not None:
            stored, recorded = found[0], repo.file_meta_hash(essay.id)
            essay, digest = _keep_edits(essay, stored.meta, recorded, report)
            if digest is not None and digest != recorded:
                plan.file_hashes[essay.id] = digest
            if stored.content_hash == essay.content_hash and stored.meta == essay.meta:
                report.unchanged.append(essay.id)
                continue
        else:
            plan.file_hashes[essay.id] = essay.meta.meta_hash
        twin = seen_hashes.get(essay.content_hash) or repo.find_by_hash(essay.content_hash)
        if twin is not None and twin != essay.id:
            report.skipped.append(essay.id)
            report.warnings.append(f"{essay.id}: same text as essay {twin!r}; skipped")
            plan.file_hashes.pop(essay.id, None)
            continue
        seen_hashes[essay.content_hash] = essay.id
        prepared = prepare(essay)
        if not any(p.kind == "sentence" for p in prepared.passages):
            # Stored, it would be an essay no answer can ever quote: a PDF renamed .txt, a page of links.
            raise CorpusError(
                f"{clip(essay.source or essay.id)}: no sentence is left after removing page clutter; "
                "nothing to import"
            )
        plan.changes.append(prepared)
        (report.updated if status else report.added).append(essay.id)
    return plan


def _keep_edits(
    essay: Essay, stored: EssayMeta, recorded: str | None, report: IngestReport
) -> tuple[Essay, str | None]:
    """``essay`` as it should be stored, keeping a moderator's edits, and the file digest to record.

    ``recorded`` is the digest of the metadata the essay's file gave at the last import. Stored
    metadata that differs from that digest was edited by a moderator: the edited fields stay, and if
    the file's own metadata changed too, that is a conflict to report (``--force`` takes the file's).
    The digest to record is None when the recorded one must stay (an unresolved conflict is reported
    again at the next ingest rather than forgotten).
    """
    file_hash = essay.meta.meta_hash
    if stored == essay.meta:
        return essay, file_hash
    base = recorded or stored.meta_hash
    if stored.meta_hash == base:  # no edit since the last import: the file's new metadata wins
        return essay, file_hash
    kept = replace(essay.meta, **{name: getattr(stored, name) for name in EDITABLE})
    if file_hash == base:  # the file did not change: the edit simply stands
        return replace(essay, meta=kept), None
    fields = [name for name in EDITABLE if getattr(essay.meta, name) != getattr(stored, name)]
    if fields:
        report.conflicts.append(essay.id)
        report.warnings.append(
            f"{essay.id}: the file's {', '.join(fields)} differ from metadata a moderator edited "
            "(/essays edit); kept the edit (ingest --force takes the file's)"
        )
        return replace(essay, meta=kept), None
    return replace(essay, meta=kept), file_hash


def _index_is_fresh(store: IndexStore, snap: CorpusSnapshot, embedder: Embedder, calibration: str) -> bool:
    try:
        store.load(model=embedder.model_name, corpus_hash=snap.corpus_hash, calibration=calibration)
    except StaleIndexError:
        return False
    return True
