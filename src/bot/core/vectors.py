"""Sentence vectors for the passages a new index generation holds: reused where they exist, else embedded.

A passage id hashes its essay and its text, so an equal id means an equal text and its vector can be
taken from the current generation. The rest go through the embedding cache
(:mod:`bot.search.embed_cache`), which keeps each embedded batch, so an interrupted ingest resumes
where it stopped.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from bot.core.ingest import Progress
from bot.search.embed_cache import encode_cached
from bot.search.embedder import Embedder, Vectors
from bot.search.snapshot import PassageTable


def reuse_or_embed(
    passages: PassageTable,
    old: dict[str, Vectors],
    embedder: Embedder,
    dimension: int,
    cache: Path,
    progress: Progress | None,
    *,
    read: bool = True,
) -> tuple[Vectors, int]:
    """Vectors for ``passages``: those in ``old`` reused, the rest embedded through the ``cache``.

    Returns them with the number of texts the model embedded; nothing left to embed never loads the
    model (``dimension`` is the vectors' width without it). ``read=False`` re-embeds texts the cache
    holds (a reindex after a model change).
    """
    vectors = np.zeros((len(passages), dimension), dtype=np.float32)
    todo = []
    # Ids as one column, not a Passage per row: a whole rebuild walks every row of the library.
    for i, pid in enumerate(passages.ids.astype(str).tolist()):
        found = old.get(pid)
        if found is not None:
            vectors[i] = found
        else:
            todo.append(i)
    if not todo:
        return vectors, 0
    fresh, embedded = encode_cached(
        embedder, [passages.text(i) for i in todo], cache, progress=progress, read=read
    )
    vectors[todo] = fresh
    return vectors, embedded
