"""Ingest: essays on disk -> cleaned, chunked, attributed passages in the database -> a new index.

The database change and the new index generation succeed or fail together: the index is written
aside first, the database transaction commits, and only then is the new generation published. Any
failure before that leaves the previous database and index exactly as they were.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from bot.corpus.chunker import chunk
from bot.corpus.cleaner import clean
from bot.corpus.loader import load_corpus
from bot.corpus.models import Essay, Passage, QuoteSpan
from bot.corpus.quotes import detect_quote_spans
from bot.search.dense import choose_kind
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
    # Batches of similar length waste little on padding: about 2x faster than document order.
    todo.sort(key=lambda i: len(snap.passages[i].text))
    batch = max(1, embedder.batch_size)
    for lo in range(0, len(todo), batch):
        rows = todo[lo : lo + batch]
        vectors[rows] = embedder.encode([snap.passages[i].text for i in rows])
        if progress:
            progress("embedding", min(lo + batch, len(todo)), len(todo))
    return vectors, len(todo)


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
) -> IngestReport:
    """Import essays into the database and publish a matching index, all or nothing.

    The slow part (embedding) runs before the database is written, on the corpus as it will be, so
    the write transaction stays short and never blocks other writers (a running bot's log) for long.
    """
    t0 = time.perf_counter()
    report = IngestReport()
    essays = load_corpus(paths)
    with store.lock():
        with session_scope(engine) as session:
            repo = CorpusRepository(session)
            changes = _plan(essays, repo, force=force, report=report, progress=progress)
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
                    repo.save_essay(c.essay, c.passages, c.spans)

        publish_after(manifest, store, save_changes)
        report.generation = manifest.generation
    report.seconds = time.perf_counter() - t0
    return report


def _plan(
    essays: Sequence[Essay],
    repo: CorpusRepository,
    *,
    force: bool,
    report: IngestReport,
    progress: Progress | None,
) -> list[PreparedEssay]:
    """Decide what each loaded essay needs (added, updated, unchanged, skipped) and prepare the changes."""
    changes: list[PreparedEssay] = []
    seen_hashes: dict[str, str] = {}
    for n, essay in enumerate(essays, 1):
        if progress:
            progress("reading", n, len(essays))
        status = repo.essay_status(essay.id)
        if status == "removed" and not force:
            report.skipped.append(essay.id)
            report.warnings.append(f"{essay.id}: removed earlier; not re-imported (use --force)")
            continue
        if status == "active" and repo.essay_hash(essay.id) == essay.content_hash and not force:
            report.unchanged.append(essay.id)
            continue
        twin = seen_hashes.get(essay.content_hash) or repo.find_by_hash(essay.content_hash)
        if twin is not None and twin != essay.id:
            report.skipped.append(essay.id)
            report.warnings.append(f"{essay.id}: same text as essay {twin!r}; skipped")
            continue
        seen_hashes[essay.content_hash] = essay.id
        changes.append(prepare(essay))
        (report.updated if status else report.added).append(essay.id)
    return changes


def _index_is_fresh(store: IndexStore, snap: CorpusSnapshot, embedder: Embedder, calibration: str) -> bool:
    try:
        store.load(model=embedder.model_name, corpus_hash=snap.corpus_hash, calibration=calibration)
    except StaleIndexError:
        return False
    return True
