"""The four indexes one question is answered from, built in memory or kept in an index generation.

- dense: FAISS over the sentence vectors (``sentences.faiss``, written by the index store);
- keyword: BM25 over sentences and over paragraphs (``keyword-sentences/``, ``keyword-paragraphs/``,
  bm25s's own files, read back memory-mapped);
- phrase: an FTS5 trigram table over each paragraph's normalised text (``phrases.sqlite``).

Row ``i`` of the dense and sentence indexes is passage ``i`` of the snapshot; row ``j`` of the paragraph
and phrase indexes is its paragraph ``j``. A start-up therefore opens files instead of re-tokenising
and re-normalising the whole library.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from bot.search.dense import DenseIndex, IndexKind
from bot.search.embedder import Vectors
from bot.search.keyword import KeywordIndex, KeywordStats
from bot.search.phrase import PhraseIndex, Span, open_phrase_file, write_phrase_file
from bot.search.snapshot import CorpusSnapshot

KEYWORD_SENTENCES = "keyword-sentences"
KEYWORD_PARAGRAPHS = "keyword-paragraphs"
PHRASES = "phrases.sqlite"


class IndexFileError(Exception):
    """A keyword or phrase file of a generation is missing or unreadable."""


@dataclass
class IntegrityCheck:
    """Outcome of checking a generation's files against their recorded checksums.

    Checked after start-up, in the background, so that hashing does not read every page of a
    memory-mapped index before the first answer. ``problem`` stays None until a check fails.
    """

    problem: str | None = None
    finished: bool = field(default=False)


@dataclass
class SearchIndexes:
    """Dense, keyword (sentence and paragraph) and phrase indexes over one snapshot."""

    dense: DenseIndex
    sentences: KeywordIndex
    paragraphs: KeywordIndex
    phrases: PhraseIndex
    integrity: IntegrityCheck = field(default_factory=IntegrityCheck)

    @classmethod
    def build(cls, snap: CorpusSnapshot, vectors: Vectors, kind: IndexKind = "flat") -> SearchIndexes:
        """Every index in memory, from the snapshot's text and its sentence vectors."""
        return cls(
            DenseIndex.build(vectors, kind),
            KeywordIndex([p.text for p in snap.passages]),
            KeywordIndex([snap.paragraph_text(i) for i in range(len(snap.paragraphs))]),
            PhraseIndex.in_memory(_spans(snap)),
        )

    @classmethod
    def open(cls, folder: Path, snap: CorpusSnapshot, dense: DenseIndex) -> SearchIndexes:
        """The keyword and phrase files of a generation, opened over ``snap`` (which they index).

        Raises :class:`IndexFileError` when a file is missing, unreadable or sized for another corpus.
        """
        try:
            if len(snap):
                sentences = KeywordIndex.load(folder / KEYWORD_SENTENCES, lambda row: snap.passages[row].text)
                paragraphs = KeywordIndex.load(folder / KEYWORD_PARAGRAPHS, snap.paragraph_text)
            else:
                sentences, paragraphs = KeywordIndex([]), KeywordIndex([])
            connection = open_phrase_file(folder / PHRASES)
        except (OSError, ValueError, sqlite3.DatabaseError) as exc:
            raise IndexFileError(f"keyword or phrase index unreadable: {exc}") from exc
        if len(sentences) != len(snap) or len(paragraphs) != len(snap.paragraphs):
            connection.close()
            raise IndexFileError("keyword index does not match the corpus")
        return cls(dense, sentences, paragraphs, PhraseIndex(connection, lambda key: _span(snap, key)))

    @staticmethod
    def write_text_indexes(
        folder: Path,
        snap: CorpusSnapshot,
        scale: tuple[KeywordIndex, KeywordIndex, dict[str, KeywordStats]] | None = None,
    ) -> dict[str, KeywordStats]:
        """Write the keyword and phrase files of ``snap`` into a generation folder being built.

        ``scale`` (a base segment's sentence and paragraph indexes and their sizes) scores the new
        keyword indexes on that base's scale (:meth:`KeywordIndex.scored_like`). Returns the sizes of
        the keyword indexes written, which BM25 scores on their scale need later.
        """
        stats = {KEYWORD_SENTENCES: KeywordStats(0, 0), KEYWORD_PARAGRAPHS: KeywordStats(0, 0)}
        if len(snap):
            texts = {
                KEYWORD_SENTENCES: [p.text for p in snap.passages],
                KEYWORD_PARAGRAPHS: [snap.paragraph_text(i) for i in range(len(snap.paragraphs))],
            }
            bases = dict(zip(texts, scale[:2], strict=True)) if scale is not None else {}
            for name, documents in texts.items():
                if scale is None:
                    index = KeywordIndex(documents)
                else:
                    index = KeywordIndex.scored_like(documents, bases[name], scale[2][name])
                index.save(folder / name)
                assert index.stats is not None  # built here, not loaded
                stats[name] = index.stats
        write_phrase_file(folder / PHRASES, ((s.key, s.text) for s in _spans(snap)))
        return stats


def _span(snap: CorpusSnapshot, key: int) -> Span:
    return Span(key, snap.paragraphs[key].start, snap.paragraph_text(key))


def _spans(snap: CorpusSnapshot) -> list[Span]:
    return [_span(snap, i) for i in range(len(snap.paragraphs))]
