"""The application core behind every shell (CLI, Discord): settings, database, index and answers.

``Essaybot`` is the read path. It keeps the retriever in step with the newest index generation, so an
essay ingested from the CLI reaches a running bot without a restart. Every change to the corpus goes
through its ``library`` (``bot.core.library.Library``, the one write path), which owns the
long-lived pieces both paths share: database engine, index store, embedding model and calibration.
"""

from __future__ import annotations

import logging
import threading
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine

from bot.answer.calibration import Calibration
from bot.answer.compare import Search, build_positions, build_side, position_groups
from bot.answer.sides import Target, author_groups, resolve_side
from bot.answer.types import CompareAnswer, PositionsAnswer, WhoSaidAnswer
from bot.answer.verify import SupportModel, Verification, Verifier
from bot.answer.who_said import build_answer, claim_of
from bot.config import Settings
from bot.core.ingest import Progress
from bot.core.interactions import Entry, Recorder
from bot.core.library import Library
from bot.corpus.models import EssayMeta
from bot.cpus import available_cpus
from bot.curation.overlay import Curation, load_curation
from bot.errors import BadQueryError, UnknownSideError
from bot.paths import DataDir
from bot.search.candidates import FusionWeights
from bot.search.dense import set_threads
from bot.search.embedder import Embedder, Vectors
from bot.search.hybrid import Retriever, SearchResult
from bot.search.index_store import IndexStore, LoadedIndex, StaleIndexError
from bot.search.query import ParsedQuery, ParsedTopic, parse_query, parse_topic
from bot.search.snapshot import CorpusSnapshot
from bot.store.db import make_engine, session_scope, upgrade
from bot.store.repo import CorpusRepository
from bot.textnorm import normalize

log = logging.getLogger(__name__)

POSITION_HITS = 5  # per voice: enough for the best one to survive the quoting rules


@dataclass(frozen=True)
class NamedTarget:
    """A compare side: the name as the user typed it (shown in the answer) and what it resolved to."""

    name: str
    target: Target


class Essaybot:
    """Answers who-said, compare and positions questions over the stored corpus."""

    def __init__(
        self, settings: Settings, *, calibration: Calibration | None = None, embedder: Embedder | None = None
    ):
        self.settings = settings
        engine = make_engine(settings.resolved_database_url)
        self.library = Library(
            settings,
            engine=engine,
            index_store=IndexStore(DataDir(settings.data_dir).index),
            # Per-guild corpora pass the main instance's embedder: one model in memory for every corpus.
            embedder=embedder
            or Embedder(
                settings.embedding_model, batch_size=settings.embed_batch_size, threads=settings.threads
            ),
            calibration=calibration or Calibration.load(),
            on_publish=self.retriever,
        )
        self._retriever: Retriever | None = None
        self._verifier: Verifier | None = None
        self._generation: int | None = None
        self._lock = threading.RLock()
        # The Discord bot answers from an outdated (but right) index while a new one is built; a
        # one-shot CLI command rebuilds first, since its process would end before a background build.
        self.rebuild_in_background = False
        self._rebuilding: threading.Thread | None = None
        set_threads(settings.threads or available_cpus())
        upgrade(engine)

    # -- what the read path shares with the library ------------------------------------------

    @property
    def engine(self) -> Engine:
        """The database engine."""
        return self.library.engine

    @property
    def store(self) -> IndexStore:
        """The index store (generations of the search index), not the ``bot.store`` package."""
        return self.library.index_store

    @property
    def embedder(self) -> Embedder:
        """The embedding model (shared by every per-guild corpus)."""
        return self.library.embedder

    @embedder.setter
    def embedder(self, embedder: Embedder) -> None:
        self.library.embedder = embedder

    @property
    def calibration(self) -> Calibration:
        """The fitted weights and thresholds answers use; their id is written into every index."""
        return self.library.calibration

    @calibration.setter
    def calibration(self, calibration: Calibration) -> None:
        self.library.calibration = calibration

    # -- corpus -------------------------------------------------------------------------------

    def ensure_ready(self, progress: Progress | None = None) -> None:
        """Import the seeds on first start, and make sure the index matches the database."""
        with session_scope(self.engine) as session:
            # Tombstones count as history: a corpus whose essays were all removed is not re-seeded.
            seeded = CorpusRepository(session).any_essay()
        if not seeded:
            log.info("empty database: importing the bundled seeds")
            self.library.ingest(progress=progress)
        self._current(progress)

    def retriever(self) -> Retriever:
        """The retriever for the newest index generation, rebuilding a stale or corrupt index."""
        return self._current(None)

    def _current(self, progress: Progress | None) -> Retriever:
        with self._lock:
            current = self.store.current_generation()
            if self._retriever is not None and current == self._generation and not self._retriever.damaged:
                return self._retriever
            snap = self.library.snapshot()
            loaded = self._load_or_rebuild(snap, progress)
            self._retriever = Retriever(
                snap, self.embedder, None, self.calibration.fusion, indexes=loaded.search
            )
            self._verifier = Verifier(
                snap,
                self._retriever.sentence_vectors,
                self.calibration.support,
                self._retriever.indexes.sentences,
            )
            self._generation = loaded.manifest.generation
            if not snap.from_generation and loaded.manifest.corpus_hash == snap.corpus_hash:
                # Read in full, yet indexed as it is: save it in the index for the next start. The
                # new generation links these same files, so what was loaded answers for it too.
                saved = self.library.save_corpus(snap)
                if saved is not None:
                    self._generation = saved.generation
            return self._retriever

    def verifier(self) -> Verifier:
        """The verifier over the same snapshot and vectors as :meth:`retriever`."""
        with self._lock:
            self.retriever()
            assert self._verifier is not None
            return self._verifier

    def _load_or_rebuild(self, snap: CorpusSnapshot, progress: Progress | None) -> LoadedIndex:
        def load(outdated: bool = False) -> LoadedIndex:
            return self.store.load(
                model=self.embedder.model_name,
                corpus_hash=snap.corpus_hash,
                calibration=self.calibration.id,
                snapshot=snap,
                verify="background",  # hashing every file first would defeat memory-mapping
                outdated=outdated,
            )

        try:
            return load()
        except StaleIndexError as why:
            if self.rebuild_in_background:
                try:
                    # An upgrade's new format or calibration: the old generation still answers
                    # rightly, so members keep their answers while the new one is built beside it.
                    loaded = load(outdated=True)
                except StaleIndexError:
                    pass
                else:
                    self._rebuild_later(snap, str(why))
                    return loaded
            log.warning("rebuilding the index: %s", why)
            self.library.rebuild(snap, progress=progress)
            return load()

    def _rebuild_later(self, snap: CorpusSnapshot, why: str) -> None:
        if self._rebuilding is not None and self._rebuilding.is_alive():
            return
        log.warning("answering from the current index while it is rebuilt: %s", why)

        def rebuild() -> None:
            try:
                self.library.rebuild(snap)
            except Exception:
                # The old generation keeps answering; the next start tries again.
                log.exception("the background index rebuild failed")

        self._rebuilding = threading.Thread(target=rebuild, name="index-rebuild", daemon=True)
        self._rebuilding.start()

    def wait_for_rebuild(self, timeout: float | None = None) -> bool:
        """Wait for a background rebuild to finish; True when none is running any more."""
        thread = self._rebuilding
        if thread is not None:
            thread.join(timeout)
        return thread is None or not thread.is_alive()

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

    def parse(self, raw: str) -> ParsedQuery:
        """Validate and parse a who-said question (BadQueryError with the user's message)."""
        return parse_query(raw, max_chars=self.settings.max_query_chars)

    def parse_topic(self, raw: str) -> ParsedTopic:
        """Validate a compare or positions topic (BadQueryError with the user's message)."""
        return parse_topic(raw, max_chars=self.settings.max_query_chars)

    def resolve(self, name: str) -> Target:
        """An author or essay name as this corpus knows it (UnknownSideError / AmbiguousSideError)."""
        return resolve_side(name, self.essays())

    def named(self, name: str) -> NamedTarget:
        """A compare side: the name as typed, and what it resolves to in this corpus."""
        return NamedTarget(name, self.resolve(name))

    def who_said(
        self,
        query: ParsedQuery | str,
        author: Target | str | None = None,
        *,
        top_k: int | None = None,
        query_vector: Vectors | None = None,
        guild_id: str | None = None,
        support: SupportModel | None = None,
    ) -> WhoSaidAnswer:
        """Who in the corpus said this? Honest about "nobody". ``guild_id`` applies its curation.

        A shell parses the question and resolves the author (or essay) filter once and passes them on;
        a raw string (the CLI, evaluation, benchmarks) is parsed or resolved here. ``support`` replaces the
        shipped support model: cross-validation measures each fold's fit through this very path.
        """
        query = self.parse(query) if isinstance(query, str) else query
        k = top_k or self.settings.top_k
        with self._lock:
            r, verifier = self.retriever(), self.verifier()
        target = author
        if isinstance(target, str):  # an empty author filter is no filter, as it always was
            target = resolve_side(target, (e.meta for e in r.snapshot.essays.values())) if target else None
        if support is not None:
            verifier = Verifier(verifier.snapshot, verifier.vectors, support, verifier.keywords)
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

        if target is not None:
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

    def verification(self, query: ParsedQuery | str) -> Verification:
        """The verifier's reading of a question's candidates, as ``who_said`` makes it (for tuning)."""
        query = self.parse(query) if isinstance(query, str) else query
        with self._lock:
            r, verifier = self.retriever(), self.verifier()
        qv = r.embed([query.text])
        hits = r.search(query.text, k=self.settings.top_k * 3, query_vector=qv).hits
        if hits and hits[0].match != "paraphrase":
            return Verification()  # phrase matches never reach the verifier
        return verifier.check(claim_of(query), hits, qv)

    def compare(
        self,
        a: NamedTarget | str,
        b: NamedTarget | str,
        topic: ParsedTopic | str,
        *,
        top_k: int = 3,
        guild_id: str | None = None,
        weights: FusionWeights | None = None,
    ) -> CompareAnswer:
        """Both sides' best distinct passages on a topic.

        ``weights`` replaces the calibrated topic fusion (``essaybot eval --tune`` fits it this way).
        """
        r = self.retriever()
        metas = [e.meta for e in r.snapshot.essays.values()]
        side_a = NamedTarget(a, resolve_side(a, metas)) if isinstance(a, str) else a
        side_b = NamedTarget(b, resolve_side(b, metas)) if isinstance(b, str) else b
        if side_a.target.essay_ids == side_b.target.essay_ids:
            raise UnknownSideError(
                f"{side_a.name!r} and {side_b.name!r} are the same author or essay: "
                "compare two different ones."
            )
        topic = self.parse_topic(topic) if isinstance(topic, str) else topic
        cur = self.curation(guild_id)
        search = self._topic_search(r, topic.text, cur, weights or self.calibration.topic_fusion)
        answer = CompareAnswer(
            topic=topic.text,
            a=build_side(side_a.name, side_a.target, search, r.snapshot, self.calibration, top_k),
            b=build_side(side_b.name, side_b.target, search, r.snapshot, self.calibration, top_k),
        )
        answer.a.passages, answer.b.passages = cur.apply(answer.a.passages), cur.apply(answer.b.passages)
        return answer

    def positions(self, topic: ParsedTopic | str, *, guild_id: str | None = None) -> PositionsAnswer:
        """Each author's best passage on a topic."""
        r = self.retriever()
        topic = self.parse_topic(topic) if isinstance(topic, str) else topic
        if not author_groups(e.meta for e in r.snapshot.essays.values()):
            raise BadQueryError("The corpus is empty: ingest some essays first.")
        cur = self.curation(guild_id)
        # Every voice's best passages from one candidate pass, however many authors the library has.
        results = r.search_groups(
            topic.text,
            position_groups(r.snapshot),
            k=POSITION_HITS + len(cur.hidden),
            weights=self.calibration.topic_fusion,
        )
        for result in results.values():
            result.hits = cur.visible(result.hits)[:POSITION_HITS]
        answer = build_positions(topic.text, results, r.snapshot, self.calibration)
        for position in answer.positions:
            if position.passage is not None:
                kept = cur.apply([position.passage])
                position.passage = kept[0] if kept else None
        return answer

    def _topic_search(self, r: Retriever, topic: str, cur: Curation, weights: FusionWeights) -> Search:
        """Search restricted to given essays, embedding the topic once for every side."""
        qv = r.embed([topic])

        def search(ids: set[str], k: int) -> SearchResult:
            result = r.search(
                topic,
                k=k + len(cur.hidden),
                essay_ids=ids,
                query_vector=qv,
                weights=weights,
            )
            if cur.hidden:
                result.hits = cur.visible(result.hits)[:k]
            return result

        return search

    # -- interaction log ----------------------------------------------------------------------

    def recorded(self, command: str, options: dict[str, Any]) -> AbstractContextManager[Entry]:
        """Time a command of the CLI and log it in this instance's database, failures included.

        The body describes its answer on the entry (``entry.describe_answer`` and the like); a failure
        is logged with its error and raised again. A logging failure never breaks an answer.
        """
        return Recorder(self.engine, source="cli").entry(command, options)
