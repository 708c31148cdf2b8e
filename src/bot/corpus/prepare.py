"""Preparing an essay for storage: cleaned, chunked into passages, with its quoted speakers found.

Pure: touches no storage and no index. Ingests, uploads and metadata edits all prepare an essay
here, so the same text always gives the same passages (and passage ids, which curation keys on).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from multiprocessing import get_context

from bot.corpus.chunker import chunk
from bot.corpus.cleaner import clean
from bot.corpus.models import Essay, Passage, QuoteSpan
from bot.corpus.speakers import detect_quote_spans
from bot.cpus import available_cpus

log = logging.getLogger(__name__)

# Below this much text, starting worker processes (about 0.3 s) costs more than it saves.
PARALLEL_CHARS = 1_000_000


@dataclass(frozen=True)
class PreparedEssay:
    """An essay with its passages and quote spans, ready to store."""

    essay: Essay
    passages: list[Passage]
    spans: list[QuoteSpan]


def prepare(essay: Essay) -> PreparedEssay:
    """Clean, chunk and attribute one essay (pure: touches no storage)."""
    cleaned = clean(essay.body, essay.meta)
    passages = chunk(essay, cleaned)
    spans = detect_quote_spans(essay.body, cleaned.blocks, essay.meta)
    return PreparedEssay(essay, passages, spans)


def prepare_all(
    essays: Sequence[Essay],
    *,
    workers: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[PreparedEssay]:
    """:func:`prepare` every essay, in order; a large batch in one worker process per CPU.

    Preparing is pure Python (pysbd's sentence splitter above all), so threads would share one core:
    an import of a thousand essays would otherwise leave the other cores idle for a minute before
    embedding starts. ``progress`` gets (essays done, total).
    """
    workers = available_cpus() if workers is None else workers
    if workers > 1 and len(essays) > 1 and sum(len(e.body) for e in essays) >= PARALLEL_CHARS:
        try:
            return _in_workers(essays, min(workers, len(essays)), progress)
        except BrokenProcessPool:  # a worker killed (out of memory): one process may still manage
            log.warning("a preparing process died; preparing the essays in this one instead")
    done = []
    for n, essay in enumerate(essays, 1):
        done.append(prepare(essay))
        if progress:
            progress(n, len(essays))
    return done


def _in_workers(
    essays: Sequence[Essay], workers: int, progress: Callable[[int, int], None] | None
) -> list[PreparedEssay]:
    # "spawn": the caller may hold threads (a database pool, torch) that a forked child would copy.
    with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool:
        done = []
        for prepared in pool.map(prepare, essays, chunksize=max(1, min(16, len(essays) // (4 * workers)))):
            done.append(prepared)
            if progress:
                progress(len(done), len(essays))
        return done
