"""The application core behind every shell (CLI, Discord): settings, database, index and answers.

``Essaybot`` owns the long-lived pieces (database engine, embedding model, retriever) and keeps the
retriever in step with the newest index generation, so an essay ingested from the CLI reaches a
running bot without a restart.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from pathlib import Path

from bot.answer.calibration import Calibration
from bot.answer.compare import Search, build_positions, build_side
from bot.answer.sides import author_groups, resolve_side
from bot.answer.types import CompareAnswer, PositionsAnswer, WhoSaidAnswer
from bot.answer.verify import SupportModel, Verification, Verifier
from bot.answer.who_said import build_answer, claim_of
from bot.config import Settings
from bot.core.ingest import (
    IngestReport,
    Progress,
    commit_with_index,
    ingest,
    write_index,
)
from bot.core.library import LibraryMixin
from bot.corpus.models import EssayMeta
from bot.cpus import available_cpus
from bot.curation.essays import register_publisher
from bot.curation.overlay import Curation, load_curation
from bot.errors import BadQueryError, UnknownSideError
from bot.paths import seeds_dir
from bot.search.dense import set_threads
from bot.search.embedder import Embedder, Vectors
from bot.search.hybrid import Retriever, SearchResult
from bot.search.index_store import IndexStore, LoadedIndex, Manifest, StaleIndexError
from bot.search.query import clean_input, parse_query
from bot.search.snapshot import CorpusSnapshot, snapshot_of
from bot.store.db import make_engine, session_scope, upgrade
from bot.store.interactions import ANSWER_VERDICTS, failure_summary
from bot.store.repo import CorpusRepository, InteractionLog
from bot.textnorm import normalize

log = logging.getLogger(__name__)


class Essaybot(LibraryMixin):
    """Answers who-said, compare and positions questions over the stored corpus."""

    def __init__(
        self, settings: Settings, *, calibration: Calibration | None = None, embedder: Embedder | None = None
    ):
        self.settings = settings
        self.calibration = calibration or Calibration.load()
        self.engine = make_engine(settings.resolved_database_url)
        self.store = IndexStore(settings.data_dir / "index")
        # Per-guild corpora pass the main instance's embedder: one model in memory for every corpus.
        self.embedder = embedder or Embedder(
            settings.embedding_model, batch_size=settings.embed_batch_size, threads=settings.threads
        )
        self._retriever: Retriever | None = None
        self._verifier: Verifier | None = None
        self._generation: int | None = None
        self._lock = threading.RLock()
        set_threads(settings.threads or available_cpus())
        upgrade(self.engine)
        register_publisher(self.engine, self.publish_corpus)  # an undo of an essay action publishes

    # -- corpus -------------------------------------------------------------------------------

    def ingest(
        self, paths: Sequence[Path] | None = None, *, force: bool = False, progress: Progress | None = None
    ) -> IngestReport:
        """Import essays (the configured or bundled seeds by default) and publish a fresh index."""
        with self._lock:
            report = ingest(
                list(paths) if paths else [self.settings.seeds_dir or seeds_dir()],
                engine=self.engine,
                embedder=self.embedder,
                store=self.store,
                ann_threshold=self.settings.ann_threshold,
                calibration=self.calibration.id,
                force=force,
                progress=progress,
                max_bytes=self.settings.max_upload_bytes,  # the same limit as uploads
            )
            self._retriever = None
            return report

    def ensure_ready(self, progress: Progress | None = None) -> None:
        """Import the seeds on first start, and make sure the index matches the database."""
        with session_scope(self.engine) as session:
            counts = CorpusRepository(session).counts()
        # Tombstones count as history: a corpus whose essays were all removed is not re-seeded.
        if counts["essays"] == 0 and counts["removed"] == 0:
            log.info("empty database: importing the bundled seeds")
            self.ingest(progress=progress)
        self.retriever()

    def retriever(self) -> Retriever:
        """The retriever for the newest index generation, rebuilding a stale or corrupt index."""
        with self._lock:
            current = self.store.current_generation()
            if self._retriever is not None and current == self._generation and not self._retriever.damaged:
                return self._retriever
            snap = self._db_snapshot()
            loaded = self._load_or_rebuild(snap)
            self._retriever = Retriever(
                snap, self.embedder, None, self.calibration.fusion, indexes=loaded.search
            )
            self._verifier = Verifier(snap, self._retriever.sentence_vectors, self.calibration.support)
            self._generation = self.store.current_generation()
            return self._retriever

    def verifier(self) -> Verifier:
        """The verifier over the same snapshot and vectors as :meth:`retriever`."""
        with self._lock:
            self.retriever()
            assert self._verifier is not None
            return self._verifier

    def _load_or_rebuild(self, snap: CorpusSnapshot) -> LoadedIndex:
        model, corpus_hash = self.embedder.model_name, snap.corpus_hash
        try:
            return self.store.load(
                model=model,
                corpus_hash=corpus_hash,
                calibration=self.calibration.id,
                snapshot=snap,
                verify="background",  # hashing every file first would defeat memory-mapping
            )
        except StaleIndexError as why:
            log.warning("rebuilding the index: %s", why)
            self._publish_index(snap)
            return self.store.load(model=model, corpus_hash=corpus_hash, snapshot=snap, verify="background")

    def _publish_index(
        self, snap: CorpusSnapshot, *, reuse: bool = True, progress: Progress | None = None
    ) -> Manifest:
        """Build and publish an index generation for a snapshot that already matches the database."""
        with self.store.lock():
            manifest, _ = write_index(
                snap,
                self.embedder,
                self.store,
                ann_threshold=self.settings.ann_threshold,
                calibration=self.calibration.id,
                progress=progress,
                reuse=reuse,
            )
            self.store.publish(manifest)
        return manifest

    def _db_snapshot(self) -> CorpusSnapshot:
        with session_scope(self.engine) as session:
            return snapshot_of(CorpusRepository(session))

    def reindex(self, progress: Progress | None = None) -> Manifest:
        """Re-embed every passage from scratch and publish the result (e.g. after a model change)."""
        with self._lock:
            manifest = self._publish_index(self._db_snapshot(), reuse=False, progress=progress)
            self._retriever = None
            return manifest

    def remove_essay(self, essay_id: str) -> bool:
        """Tombstone an essay and publish an index without it; False when there is no such essay."""
        return self._change_status(essay_id, remove=True)

    def restore_essay(self, essay_id: str) -> bool:
        """Bring a removed essay back into answers."""
        return self._change_status(essay_id, remove=False)

    def _change_status(self, essay_id: str, *, remove: bool) -> bool:
        # Every corpus change publishes a new index generation: that is how running processes notice.
        with self._lock, self.store.lock(), session_scope(self.engine) as session:
            repo = CorpusRepository(session)
            changed = repo.remove_essay(essay_id) if remove else repo.restore_essay(essay_id)
            if not changed:
                return False
            session.flush()
            commit_with_index(
                session,
                snapshot_of(repo),
                self.embedder,
                self.store,
                ann_threshold=self.settings.ann_threshold,
                calibration=self.calibration.id,
            )
            self._retriever = None
            return True

    def counts(self) -> dict[str, int]:
        """Active essays, their passages, and removed essays."""
        with session_scope(self.engine) as session:
            return CorpusRepository(session).counts()

    def essays(self) -> list[EssayMeta]:
        """Metadata of the active essays."""
        return [e.meta for e in self.retriever().snapshot.essays.values()]

    # -- answers ------------------------------------------------------------------------------

    def curation(self, guild_id: str | None) -> Curation:
        """A guild's hidden passages, speaker overrides and curated quotes (nothing outside guilds)."""
        if guild_id is None:
            return Curation()
        with session_scope(self.engine) as session:
            return load_curation(session, guild_id)

    def who_said(
        self,
        raw: str,
        *,
        author: str | None = None,
        top_k: int | None = None,
        query_vector: Vectors | None = None,
        guild_id: str | None = None,
        support: SupportModel | None = None,
    ) -> WhoSaidAnswer:
        """Who in the corpus said this? Honest about "nobody". ``guild_id`` applies its curation.

        ``support`` replaces the shipped support model: cross-validation measures each fold's fit
        through this very path.
        """
        query = parse_query(raw, max_chars=self.settings.max_query_chars)
        k = top_k or self.settings.top_k
        with self._lock:
            r, verifier = self.retriever(), self.verifier()
        if support is not None:
            verifier = Verifier(verifier.snapshot, verifier.vectors, support)
        cur = self.curation(guild_id)
        qv = query_vector if query_vector is not None else r.embed([query.text])
        depth = k * 3 + len(cur.hidden)  # hidden passages are dropped before the verdict

        def answer_from(essay_ids: set[str] | None = None, label: str | None = None) -> WhoSaidAnswer:
            found = cur.visible(r.search(query.text, k=depth, essay_ids=essay_ids, query_vector=qv).hits)
            return build_answer(
                query,
                found,
                r.snapshot,
                self.calibration,
                top_k=k,
                verifier=verifier,
                query_vector=qv,
                author_filter=label,
                overrides=cur.overrides(normalize(claim_of(query))),
            )

        if author:
            target = resolve_side(author, (e.meta for e in r.snapshot.essays.values()))
            answer = answer_from(set(target.essay_ids), target.label)
            if answer.verdict == "found" and answer.results[0].match != "paraphrase":
                return cur.apply_answer(answer)  # the author's very words: nothing elsewhere can outrank them
            overall = answer_from()
            elsewhere = [q for q in overall.results if q.essay.id not in target.essay_ids]
            # The author's closest paraphrase is no answer when another essay has the very words.
            if answer.verdict == "found" and elsewhere and elsewhere[0].match in ("exact", "near"):
                answer.verdict, answer.closest, answer.results = "not_found", answer.results, []
                answer.support = None
                answer.quote_verdict = "not_in_corpus" if query.quote_like else None
            if answer.verdict == "not_found":
                # Never a bare "not found" when someone else said it: say who did.
                answer.found_elsewhere = elsewhere
            return cur.apply_answer(answer)
        return cur.apply_answer(answer_from())

    def verification(self, raw: str) -> Verification:
        """The verifier's reading of a question's candidates, as ``who_said`` makes it (for tuning)."""
        query = parse_query(raw, max_chars=self.settings.max_query_chars)
        with self._lock:
            r, verifier = self.retriever(), self.verifier()
        qv = r.embed([query.text])
        hits = r.search(query.text, k=self.settings.top_k * 3, query_vector=qv).hits
        if hits and hits[0].match != "paraphrase":
            return Verification()  # phrase matches never reach the verifier
        return verifier.check(claim_of(query), hits, qv)

    def compare(
        self, a: str, b: str, topic: str, *, top_k: int = 3, guild_id: str | None = None
    ) -> CompareAnswer:
        """Both sides' best distinct passages on a topic."""
        r = self.retriever()
        metas = [e.meta for e in r.snapshot.essays.values()]
        side_a, side_b = resolve_side(a, metas), resolve_side(b, metas)
        if side_a.essay_ids == side_b.essay_ids:
            raise UnknownSideError(
                f"{a!r} and {b!r} are the same author or essay: compare two different ones."
            )
        topic = clean_input(topic, max_chars=self.settings.max_query_chars)
        cur = self.curation(guild_id)
        search = self._topic_search(r, topic, cur)
        answer = CompareAnswer(
            topic=topic,
            a=build_side(a, side_a, search, r.snapshot, self.calibration, top_k),
            b=build_side(b, side_b, search, r.snapshot, self.calibration, top_k),
        )
        answer.a.passages, answer.b.passages = cur.apply(answer.a.passages), cur.apply(answer.b.passages)
        return answer

    def positions(self, topic: str, *, guild_id: str | None = None) -> PositionsAnswer:
        """Each author's best passage on a topic."""
        r = self.retriever()
        topic = clean_input(topic, max_chars=self.settings.max_query_chars)
        if not author_groups(e.meta for e in r.snapshot.essays.values()):
            raise BadQueryError("The corpus is empty: ingest some essays first.")
        cur = self.curation(guild_id)
        answer = build_positions(topic, self._topic_search(r, topic, cur), r.snapshot, self.calibration)
        for position in answer.positions:
            if position.passage is not None:
                kept = cur.apply([position.passage])
                position.passage = kept[0] if kept else None
        return answer

    def _topic_search(self, r: Retriever, topic: str, cur: Curation) -> Search:
        """Search restricted to given essays, embedding the topic once for every side."""
        qv = r.embed([topic])

        def search(ids: set[str], k: int) -> SearchResult:
            result = r.search(
                topic,
                k=k + len(cur.hidden),
                essay_ids=ids,
                query_vector=qv,
                weights=self.calibration.topic_fusion,
            )
            if cur.hidden:
                result.hits = cur.visible(result.hits)[:k]
            return result

        return search

    # -- interaction log ----------------------------------------------------------------------

    def log_interaction(
        self,
        *,
        command: str,
        options: dict[str, object],
        verdict: str | None,
        passage_ids: Sequence[str],
        started: float,
        error: str | None = None,
        source: str = "cli",
    ) -> None:
        """Record one interaction; a logging failure never breaks an answer.

        ``verdict`` of a who-said answer is ``store.interactions.logged_verdict(answer)``.
        """
        try:
            with session_scope(self.engine) as session:
                InteractionLog(session).record(
                    source=source,
                    command=command,
                    options=options,
                    verdict=verdict,
                    passage_ids=list(passage_ids),
                    latency_ms=int((time.perf_counter() - started) * 1000),
                    error=error,
                    # Which fit produced a verdict, so answers can be compared across calibrations.
                    calibration=self.calibration.id if verdict in ANSWER_VERDICTS else None,
                )
        except Exception as exc:
            # One line, without the SQL parameters (they hold the user's question).
            log.warning("could not record the %s interaction: %s", command, failure_summary(exc))
