"""Cut the kept blocks of an essay into passages: one per sentence, one per heading.

pysbd decides where sentences end, but its character spans are unreliable, so offsets are derived here
by finding each sentence in the body in order. Whatever pysbd returns, every non-space character of a
kept block ends up in exactly one passage and no passage crosses a block boundary.

``Passage.paragraph`` is the index of the block in ``CleanResult.blocks`` (headings and list items
count), and a heading's own ``section`` is its text.
"""

from __future__ import annotations

from collections import Counter
from typing import Protocol

import pysbd

from bot.corpus.models import CleanResult, Essay, Passage, passage_id
from bot.errors import CorpusError

_MIN_LETTERS = 3  # fewer letters than this is a stray token ("1.", "—"), not a sentence
_CLOSERS = "”’\"')]»"


class Segmenter(Protocol):
    """What the chunker needs from pysbd (tests substitute their own)."""

    def segment(self, text: str) -> list[str]: ...


def new_segmenter() -> Segmenter:
    """A pysbd segmenter; one per ``chunk`` call, because pysbd keeps per-call state on the instance."""
    segmenter: Segmenter = pysbd.Segmenter(language="en", clean=False)
    return segmenter


def _locate(text: str, segmenter: Segmenter) -> list[list[int]]:
    """Sentence spans within ``text``, relative to it, stripped of surrounding whitespace."""
    spans: list[list[int]] = []
    cursor = 0
    for piece in segmenter.segment(text):
        sentence = piece.strip()
        if not sentence:
            continue
        pos = text.find(sentence, cursor)
        # Text pysbd skipped or changed means its output can no longer be trusted for this block.
        if pos < 0 or text[cursor:pos].strip():
            break
        spans.append([pos, pos + len(sentence)])
        cursor = pos + len(sentence)
    rest = text[cursor:]
    if rest.strip():
        lead = len(rest) - len(rest.lstrip())
        spans.append([cursor + lead, cursor + len(rest.rstrip())])
    return spans


def _reattach_closers(text: str, spans: list[list[int]]) -> list[list[int]]:
    # A closing quote split off after the full stop belongs to the sentence it closes.
    out: list[list[int]] = []
    for start, end in spans:
        k = start
        while k < end and text[k] in _CLOSERS:
            k += 1
        if out and k > start and (k == end or text[k].isspace()):
            out[-1][1] = k
            start = k + (len(text[k:end]) - len(text[k:end].lstrip()))
        if start < end:
            out.append([start, end])
    return out


def _merge_fragments(text: str, spans: list[list[int]]) -> list[list[int]]:
    # A stray "1." or dash is folded into the next sentence (the last one into the previous), so a
    # passage always reads as text; spans stay contiguous because both ends come from real spans.
    out: list[list[int]] = []
    carry: int | None = None
    for start, end in spans:
        if carry is not None:
            start, carry = carry, None
        if sum(c.isalpha() for c in text[start:end]) < _MIN_LETTERS:
            carry = start
            continue
        out.append([start, end])
    if carry is not None:
        if out:
            out[-1][1] = spans[-1][1]
        else:
            out.append([carry, spans[-1][1]])
    return out


def sentence_spans(
    body: str, start: int, end: int, segmenter: Segmenter | None = None
) -> list[tuple[int, int]]:
    """Absolute ``(start, end)`` spans of the sentences in ``body[start:end]``, in order."""
    text = body[start:end]
    spans = _merge_fragments(text, _reattach_closers(text, _locate(text, segmenter or new_segmenter())))
    return [(start + s, start + e) for s, e in spans]


def chunk(essay: Essay, clean: CleanResult) -> list[Passage]:
    """Passages for every kept block of ``essay``, in body order, with stable ids.

    Ids come from ``passage_id(essay_id, text, occurrence)``, where ``occurrence`` counts earlier
    passages of the essay with the same text, so re-chunking an unchanged essay gives the same ids.
    """
    body = essay.body
    segmenter = new_segmenter()
    passages: list[Passage] = []
    seen: Counter[str] = Counter()
    section: str | None = None
    last_end = 0
    for index, block in enumerate(clean.blocks):
        if not 0 <= block.start <= block.end <= len(body) or block.start < last_end:
            raise CorpusError(
                f"{essay.source or essay.id}: cleaner returned a block outside the body or out of order"
            )
        last_end = block.end
        if block.kind == "heading":
            stripped = body[block.start : block.end].strip()
            lead = body.find(stripped, block.start) if stripped else block.start
            spans = [(lead, lead + len(stripped))] if stripped else []
            section = stripped or section
        else:
            spans = sentence_spans(body, block.start, block.end, segmenter)
        for start, end in spans:
            text = body[start:end]
            assert text and text == text.strip(), (start, end)
            passages.append(
                Passage(
                    id=passage_id(essay.id, text, seen[text]),
                    essay_id=essay.id,
                    seq=len(passages),
                    paragraph=index,
                    section=section,
                    start=start,
                    end=end,
                    text=text,
                    kind="heading" if block.kind == "heading" else "sentence",
                )
            )
            seen[text] += 1
    return passages
