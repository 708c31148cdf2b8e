"""Preparing an essay for storage: cleaned, chunked into passages, with its quoted speakers found.

Pure: touches no storage and no index. Ingests, uploads and metadata edits all prepare an essay
here, so the same text always gives the same passages (and passage ids, which curation keys on).
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.corpus.chunker import chunk
from bot.corpus.cleaner import clean
from bot.corpus.models import Essay, Passage, QuoteSpan
from bot.corpus.speakers import detect_quote_spans


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
