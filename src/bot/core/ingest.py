"""Planning an ingest: essays on disk -> what the database must store, and the corpus as it will be.

Only ``Library.ingest`` (``bot.core.library``) calls this: it embeds the planned corpus with no
transaction open, stores the plan and publishes the matching index generation, all or nothing.
An essay whose text and metadata are as stored is unchanged. New front matter updates the stored
metadata, except for fields a moderator has edited since (``/essays edit``): those are kept and the
essay is reported in ``conflicts``, unless ``force`` takes the file's metadata as it is.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace

from bot.corpus.loader import clip
from bot.corpus.models import EDITABLE, Essay, EssayMeta
from bot.corpus.prepare import PreparedEssay, prepare_all
from bot.errors import CorpusError
from bot.search.snapshot import CorpusSnapshot
from bot.search.snapshot_splice import splice
from bot.store.repo import CorpusRepository

Progress = Callable[[str, int, int], None]  # (stage, done, total)


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


@dataclass
class IngestPlan:
    """What an ingest will write, and the corpus (and index rows) before and after it."""

    changes: list[PreparedEssay] = field(default_factory=list)
    file_hashes: dict[str, str] = field(default_factory=dict)  # essay id -> its file's meta_hash
    before: Iterable[str] = field(default_factory=set)  # the index rows (passage ids) of the stored corpus
    after: CorpusSnapshot = field(default_factory=lambda: CorpusSnapshot([], []))
    # The database's corpus token the plan was read at (None when the corpus moved while it was).
    token: str | None = None

    def save(self, repo: CorpusRepository) -> None:
        """Store the changed essays and record every file's metadata digest."""
        changed = {c.essay.id for c in self.changes}
        for c in self.changes:
            repo.save_essay(c.essay, c.passages, c.spans, file_meta_hash=self.file_hashes.get(c.essay.id))
        for essay_id, digest in self.file_hashes.items():
            if essay_id not in changed:
                repo.set_file_meta_hash(essay_id, digest)


def plan_ingest(
    essays: Sequence[Essay],
    repo: CorpusRepository,
    *,
    force: bool,
    report: IngestReport,
    progress: Progress | None,
    base: CorpusSnapshot | None = None,
    token: str | None = None,
) -> IngestPlan:
    """What each loaded essay needs (added, updated, unchanged, skipped), and the corpus it will make.

    ``base`` is the stored corpus when the current index generation saved it, read at the database's
    corpus ``token``: the corpus after the ingest is then that one with the changed essays spliced
    in, instead of every passage read again. Without ``base``, the token is read here.
    """
    plan = IngestPlan(token=token if base is not None else repo.corpus_token())
    seen_hashes: dict[str, str] = {}
    todo: list[tuple[Essay, bool]] = []  # essays to prepare, and whether each is stored already
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
        todo.append((essay, status is not None))
    for (essay, known), prepared in zip(todo, _prepare([e for e, _ in todo], progress), strict=True):
        if not any(p.kind == "sentence" for p in prepared.passages):
            # Stored, it would be an essay no answer can ever quote: a PDF renamed .txt, a page of links.
            raise CorpusError(
                f"{clip(essay.source or essay.id)}: no sentence is left after removing page clutter; "
                "nothing to import"
            )
        plan.changes.append(prepared)
        (report.updated if known else report.added).append(essay.id)
    _read_corpus(plan, repo, base)
    if repo.corpus_token() != plan.token:  # another writer's commit during the reads above
        plan.token = None
    return plan


def _prepare(essays: list[Essay], progress: Progress | None) -> list[PreparedEssay]:
    def step(done: int, total: int) -> None:
        if progress:
            progress("preparing", done, total)

    return prepare_all(essays, progress=step)


def _read_corpus(plan: IngestPlan, repo: CorpusRepository, base: CorpusSnapshot | None) -> None:
    """Fill in the index rows of the stored corpus, and the corpus as the plan will leave it."""
    changed = {c.essay.id for c in plan.changes}
    if base is not None:
        plan.before = base.row_of
        corpus, spans = dict(base.essays), dict(base.quote_spans)
        passages = []
    else:
        plan.before = repo.searchable_passage_ids()
        corpus = {e.id: e for e in repo.active_essays()}
        spans = repo.quote_spans()
        passages = [p for p in repo.active_passages() if p.essay_id not in changed]
    for c in plan.changes:
        corpus[c.essay.id] = c.essay
        spans[c.essay.id] = c.spans
        passages += c.passages
    # The same order the repository returns, so the corpus hash matches what readers compute.
    passages.sort(key=lambda p: (p.essay_id, p.seq))
    essays = [corpus[k] for k in sorted(corpus)]
    if base is not None:
        plan.after = splice(base, essays, passages, spans, changed)
    else:
        plan.after = CorpusSnapshot(essays, passages, spans)


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
