"""The corpus after a change, from the corpus before it and the few essays the change wrote.

Adding, removing, restoring or editing one essay of a large library used to read every passage
row again. :func:`splice` keeps the rows of every essay the change did not touch, as columns, and
puts in the touched essays' passages as the database now holds them, in the database's own order
(essay id, then position), so that the result is row for row what reading the whole corpus gives.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from bot.corpus.models import Essay, Passage, QuoteSpan
from bot.search.snapshot import CorpusSnapshot, PassageColumns


def splice(
    base: CorpusSnapshot,
    essays: Sequence[Essay],
    passages: Sequence[Passage],
    quote_spans: dict[str, list[QuoteSpan]],
    touched: set[str],
) -> CorpusSnapshot:
    """``base`` with the essays in ``touched`` replaced by what the database holds for them now.

    ``essays`` are every active essay now, ordered by id; ``passages`` are the touched ones' (of
    those still active), ordered by essay id then position; ``quote_spans`` are every active
    essay's. An untouched essay keeps its rows from ``base``. Raises ``ValueError`` when an
    untouched active essay is not in ``base`` (then the caller reads the corpus in full).
    """
    old = base.passages.columns
    now = {e.id: i for i, e in enumerate(essays)}
    unknown = [e.id for e in essays if e.id not in touched and e.id not in base.essays]
    if unknown:
        raise ValueError(f"essays neither touched nor in the corpus before: {unknown[:3]}")
    # Old essay index -> new one (-1: touched or no longer active, so its old rows go).
    remap = np.array([-1 if e in touched else now.get(e, -1) for e in old.essay_ids], dtype=np.int64)
    alive = remap[old.essay] >= 0 if len(old.essay) else np.zeros(0, dtype=bool)  # old rows that stay
    kept = np.flatnonzero(alive)
    fresh = PassageColumns.of({e.id: e for e in essays if e.id in touched}, passages)
    sections = list(old.sections)
    section_index = {s: i for i, s in enumerate(sections)}
    for s in fresh.sections:
        if s not in section_index:
            section_index[s] = len(sections)
            sections.append(s)
    fresh_essay = _lookup([now[e] for e in fresh.essay_ids], fresh.essay)
    fresh_section = _lookup([section_index[s] for s in fresh.sections], fresh.section)
    columns = {
        "ids": np.concatenate([np.asarray(old.ids)[kept], fresh.ids]),
        "essay": np.concatenate([remap[old.essay[kept]], fresh_essay]),
        "seq": np.concatenate([old.seq[kept], fresh.seq]),
        "paragraph": np.concatenate([old.paragraph[kept], fresh.paragraph]),
        "section": np.concatenate([old.section[kept], fresh_section]),
        "start": np.concatenate([old.start[kept], fresh.start]),
        "end": np.concatenate([old.end[kept], fresh.end]),
    }
    order = np.lexsort((columns["seq"], columns["essay"]))  # the database's order: essay, position
    position = np.empty(len(order), dtype=np.int64)
    position[order] = np.arange(len(order))
    # Rows whose stored text differs from their body slice, at their new row numbers.
    rank = np.cumsum(alive) - 1  # an old row that stays -> its place among ``kept``
    texts = {int(position[rank[row]]): text for row, text in old.texts.items() if alive[row]}
    texts.update((int(position[len(kept) + row]), text) for row, text in fresh.texts.items())
    return CorpusSnapshot(
        essays,
        PassageColumns(
            essay_ids=[e.id for e in essays],
            sections=sections,
            texts=texts,
            **{name: np.ascontiguousarray(values[order]) for name, values in columns.items()},
        ),
        quote_spans,
    )


def _lookup(table: list[int], index: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    return np.asarray(table, dtype=np.int64)[index] if len(index) else np.zeros(0, dtype=np.int64)
