"""Reading the corpus for the write path: from the index generation that saved it, or the database.

A snapshot of a large library read from the database costs a second per 85,000 passages. The
current index generation keeps its corpus as columns (:mod:`bot.search.snapshot_files`), valid while
the database's corpus token is the one it was stamped with; a change then reads only the essays it
touched and splices them in (:mod:`bot.search.snapshot_splice`). Anything that does not fit falls
back to reading the whole corpus.
"""

from __future__ import annotations

import logging

from bot.search.index_store import IndexStore
from bot.search.snapshot import CorpusSnapshot, snapshot_of
from bot.search.snapshot_splice import splice
from bot.store.repo import CorpusRepository

log = logging.getLogger(__name__)


def saved_snapshot(repo: CorpusRepository, store: IndexStore, token: str | None) -> CorpusSnapshot | None:
    """The current generation's own copy of the corpus, when the database's token is still ``token``.

    It costs per essay, not per passage: the bodies, metadata and quote spans are still read from
    the database, only the passage rows and the corpus hash are not.
    """
    if token is None:
        return None
    essays, spans = repo.active_essays(), repo.quote_spans()
    saved = store.saved_snapshot(token, essays, spans)
    # The reads above may straddle another process's commit: then the token has moved.
    return saved if saved is not None and repo.corpus_token() == token else None


def current_snapshot(repo: CorpusRepository, store: IndexStore) -> CorpusSnapshot:
    """The corpus as the database holds it: from the current generation when it saved that corpus."""
    saved = saved_snapshot(repo, store, repo.corpus_token())
    return saved if saved is not None else snapshot_of(repo)


def after_change(repo: CorpusRepository, base: CorpusSnapshot | None) -> CorpusSnapshot:
    """The corpus as a change made in ``repo``'s session leaves it.

    ``base`` is the corpus before the change (when the current generation saved it): the essays the
    change touched are read again and spliced in. Without it, or when the splice does not fit the
    database, every passage is read.
    """
    if base is not None:
        touched = repo.touched()
        try:
            essays, passages = repo.active_essays(), repo.passages_of(touched)
            snap = splice(base, essays, passages, repo.quote_spans(), touched)
        except ValueError as exc:
            log.warning("reading the whole corpus after the change: %s", exc)
        else:
            if len(snap) == repo.searchable_count():  # a cheap check that nothing was missed
                return snap
            log.warning("reading the whole corpus after the change: the passage counts differ")
    return snapshot_of(repo)
