"""Turn retrieval hits into quotes: exact spans, the real speaker, highlights and deep links."""

from __future__ import annotations

from rapidfuzz import fuzz

from bot.answer.links import text_fragment_url
from bot.answer.types import Quote
from bot.corpus.models import QuoteSpan
from bot.corpus.speakers import speaker_for_span
from bot.search.hybrid import Hit
from bot.search.keyword import tokens_of
from bot.search.snapshot import CorpusSnapshot

# Two passages whose texts are more than this alike (rapidfuzz ``fuzz.ratio``, a normalised Indel
# similarity on 0-100, computed on lower-cased text) count as the same passage.
NEAR_DUPLICATE_RATIO = 90.0
# Share of the query terms found in a sentence that must fall inside a quotation for its speaker to
# be the one who said what the query describes.
EVIDENCE_SHARE = 2 / 3


def quote_from_hit(hit: Hit, snap: CorpusSnapshot, query: str | None = None) -> Quote:
    """Build the quote for a hit; the quoted text is always ``body[start:end]`` of its essay.

    For a paraphrase, ``query`` tells which part of the sentence the evidence lies in: when that is
    a quotation inside it, the quotation's speaker is the one who said it.
    """
    p = hit.passage
    essay = snap.essays[p.essay_id]
    start, end = hit.quote_start, hit.quote_end
    text = essay.body[start:end]
    para = snap.paragraphs[snap.paragraph_of[hit.row]]
    spans = snap.quote_spans.get(p.essay_id, [])
    span = speaker_for_span(spans, hit.match_start, hit.match_end)
    if span is None and hit.match == "paraphrase" and query:
        span = _span_holding_the_evidence(spans, essay.body, hit.match_start, hit.match_end, query)
    link = text_fragment_url(essay.meta.url, text) if essay.meta.url else None
    return Quote(
        passage_id=p.id,
        essay=essay.meta,
        quote=text,
        start=start,
        end=end,
        paragraph=p.paragraph,
        section=p.section,
        match=hit.match,
        score=hit.score,
        highlight_start=hit.match_start,
        highlight_end=hit.match_end,
        context=essay.body[para.start : para.end],
        context_start=para.start,
        speaker=span.speaker if span else None,
        speaker_role=span.role if span else None,
        link=link,
    )


def _span_holding_the_evidence(
    spans: list[QuoteSpan], body: str, start: int, end: int, query: str
) -> QuoteSpan | None:
    """The quote span inside ``[start, end)`` that holds most of the query's terms found there.

    It must hold at least ``EVIDENCE_SHARE`` of them (and two or more); otherwise the sentence as a
    whole answers, and the author does.
    """
    terms = set(tokens_of(query))
    in_sentence = terms & set(tokens_of(body[start:end]))
    if len(in_sentence) < 2:
        return None
    best: tuple[float, QuoteSpan] | None = None
    for sp in spans:
        if sp.end <= start or sp.start >= end:
            continue
        inside = in_sentence & set(tokens_of(body[max(start, sp.start) : min(end, sp.end)]))
        share = len(inside) / len(in_sentence)
        if len(inside) >= 2 and share >= EVIDENCE_SHARE and (best is None or share > best[0]):
            best = (share, sp)
    return best[1] if best else None


def near_duplicates(a: str, b: str) -> bool:
    """True when two passages are the same text for display purposes."""
    return fuzz.ratio(a.casefold(), b.casefold()) > NEAR_DUPLICATE_RATIO


def distinct(quotes: list[Quote]) -> list[Quote]:
    """Drop quotes that near-duplicate a better-ranked one from the same essay."""
    kept: list[Quote] = []
    for q in quotes:
        if not any(k.essay.id == q.essay.id and near_duplicates(k.quote, q.quote) for k in kept):
            kept.append(q)
    return kept


def order_sources(quotes: list[Quote]) -> list[Quote]:
    """When several essays carry near-identical passages, put the earliest dated first.

    The first of such a group is marked ``first_said`` and lists the others in ``also_in``.
    """
    out: list[Quote] = []
    used: set[int] = set()
    for i, q in enumerate(quotes):
        if i in used:
            continue
        group = [i] + [
            j
            for j in range(i + 1, len(quotes))
            if j not in used
            and quotes[j].essay.id != q.essay.id
            and near_duplicates(q.quote, quotes[j].quote)
        ]
        used.update(group)
        members = [quotes[j] for j in group]
        if len(members) > 1:
            # Undated essays sort last: we cannot claim they came first.
            members.sort(key=lambda m: m.essay.date or "9999")
            members[0].first_said = True
            members[0].also_in = [m.essay.id for m in members[1:]]
        out.extend(members)
    return out
