"""Cut the kept blocks of an essay into passages: one per sentence, one per heading.

pysbd decides where sentences end, but its character spans are unreliable, so offsets are derived here
by finding each sentence in the body in order. Whatever pysbd returns, every non-space character of a
kept block ends up in exactly one passage and no passage crosses a block boundary.

``Passage.paragraph`` is the index of the block in ``CleanResult.blocks`` (headings and list items
count), and a heading's own ``section`` is its text.

pysbd's time grows much faster than the length of its input (a single 400 KB paragraph took about a
minute), so a long block is segmented a piece of at most ``PIECE_MAX`` characters at a time, each
ending at the safest boundary in reach (a line break, else a sentence end, else a space). The work is
then linear in the essay's length, and offsets stay exact: pieces are slices of the block.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Protocol

import pysbd

from bot.corpus.models import CleanResult, Essay, Passage, passage_id
from bot.errors import CorpusError

_MIN_LETTERS = 3  # fewer letters than this is a stray token ("1.", "—"), not a sentence
_CLOSERS = "”’\"')]»"
PIECE_MAX = 4000  # characters pysbd sees at once; ordinary paragraphs are shorter and go whole
_SENTENCE_END = re.compile(r"[.!?…][\"'”’»)\]]*\s+")


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


def _cut(text: str, lo: int, hi: int) -> int:
    """Where to end the piece that starts at ``lo`` and may reach ``hi``: after a line break, else a
    sentence end, else a space, in the window's second half (so pieces stay long); else at ``hi``."""
    floor = lo + (hi - lo) // 2
    newline = text.rfind("\n", floor, hi)
    if newline >= 0:
        return newline + 1
    last = None
    for last in _SENTENCE_END.finditer(text, floor, hi):  # noqa: B007 - the last match is wanted
        pass
    if last is not None:
        return last.end()
    for k in range(hi - 1, floor - 1, -1):
        if text[k].isspace():
            return k + 1
    return hi  # one unbroken run of characters: any cut is as good as another


def _locate_long(text: str, segmenter: Segmenter, limit: int) -> list[list[int]]:
    """``_locate`` for a text of any length, giving pysbd at most ``limit`` characters at a time.

    Each piece ends at a safe boundary (see ``_cut``), yet its last sentence is still the one most
    likely to be judged without enough context, so it is dropped and segmented again at the start of
    the next piece. Unless that sentence starts in the piece's first half: then the piece's sentences
    are all kept, so every step advances by at least a quarter of ``limit`` and the work stays linear.
    """
    spans: list[list[int]] = []
    lo = 0
    while len(text) - lo > limit:
        cut = _cut(text, lo, lo + limit)
        found = _locate(text[lo:cut], segmenter)
        if len(found) > 1 and found[-1][0] >= (cut - lo) // 2:
            spans += [[lo + s, lo + e] for s, e in found[:-1]]
            lo += found[-1][0]
        else:
            spans += [[lo + s, lo + e] for s, e in found]
            lo = cut
    spans += [[lo + s, lo + e] for s, e in _locate(text[lo:], segmenter)]
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
    located = _locate_long(text, segmenter or new_segmenter(), PIECE_MAX)
    # Closers and fragments are fixed on the whole block, so a cut between pieces leaves no trace.
    spans = _merge_fragments(text, _reattach_closers(text, located))
    return [(start + s, start + e) for s, e in spans]


def chunk(essay: Essay, clean: CleanResult, segmenter: Segmenter | None = None) -> list[Passage]:
    """Passages for every kept block of ``essay``, in body order, with stable ids.

    Ids come from ``passage_id(essay_id, text, occurrence)``, where ``occurrence`` counts earlier
    passages of the essay with the same text, so re-chunking an unchanged essay gives the same ids.
    ``segmenter`` defaults to a new pysbd one.
    """
    body = essay.body
    segmenter = segmenter or new_segmenter()
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
