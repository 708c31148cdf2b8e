"""Answer types: what who-said, compare and positions return, and their versioned JSON form.

The JSON form is a public contract (``bot/data/answer.schema.json``). Fields may be added; existing
fields keep their meaning. Every object carries ``schema_version`` and enums are snake_case.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from bot.corpus.models import EssayMeta, SpeakerRole

SCHEMA_VERSION = "1.1"  # 1.1: contradicted_by and support on who-said answers

MatchKind = Literal["exact", "near", "paraphrase"]
WhoSaidVerdict = Literal["found", "not_found"]
QuoteVerdict = Literal["exact", "near", "paraphrase", "not_in_corpus"]
# How sure a "found" can be stated: the words, or (paraphrase with little overlap) the meaning.
Support = Literal["says_this", "probably_means_this"]
SUPPORT_WORDS: dict[str, str] = {
    "says_this": "Says this",
    "probably_means_this": "Probably means this: the wording differs, check the context",
}

_ROLE_JSON: dict[str, str] = {
    "quoted": "quoted",
    "reported view": "reported_view",
    "editors' introduction": "editors_introduction",
}


@dataclass(frozen=True)
class DiffEntry:
    """One word-level difference between the user's words and the original."""

    op: Literal["replace", "insert", "delete"]
    user: str
    original: str


@dataclass(frozen=True)
class CuratedBadge:
    """Moderators saved this passage (or words in it) as a curated quote."""

    quote_id: int
    saved_by: str  # a Discord user id, or "cli"
    saved_at: str  # ISO 8601
    note: str | None = None
    tags: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """The ``curated`` object of the JSON contract."""
        return {
            "quote_id": self.quote_id,
            "saved_by": self.saved_by,
            "saved_at": self.saved_at,
            "note": self.note,
            "tags": list(self.tags),
        }


@dataclass
class Quote:
    """A passage quoted exactly, with everything needed to attribute and show it."""

    passage_id: str
    essay: EssayMeta
    quote: str  # == body[start:end], always
    start: int
    end: int
    paragraph: int
    section: str | None
    match: MatchKind
    score: float
    highlight_start: int  # body offsets of the words that matched (inside start..end)
    highlight_end: int
    context: str = ""  # the whole paragraph, for "show context"
    context_start: int = 0
    speaker: str | None = None  # who speaks the words, when not the essay's authors
    speaker_role: SpeakerRole | None = None
    link: str | None = None  # deep link to the sentence when the essay has a url
    also_in: list[str] = field(default_factory=list)  # other essays with near-identical passages
    first_said: bool = False  # earliest dated of several near-identical sources
    curated: CuratedBadge | None = None  # saved by this server's moderators
    attribution_fixed: bool = False  # the speaker comes from a moderator's override

    @property
    def attribution(self) -> str:
        """Who said it, in words a reader would sign off on."""
        meta = self.essay
        title = meta.title
        if self.speaker_role == "editors' introduction":
            return f"{self.speaker or 'the editors'}, introducing {meta.author_line}'s {title}"
        if self.speaker_role == "reported view":
            holder = f" ({self.speaker})" if self.speaker else ""
            return f"{meta.author_line}, describing a view they reject{holder}, in {title}"
        if self.speaker_role == "quoted":
            if self.speaker is None:
                # The words stand in quotation marks but the essay names no speaker: say only that.
                return f"quoted in {meta.author_line}, {title}"
            return f"{self.speaker}, quoted by {meta.author_line} in {title}"
        return f"{meta.author_line}, {title}"

    def to_json(self) -> dict[str, Any]:
        """The result object of the JSON contract."""
        m = self.essay
        return {
            "schema_version": SCHEMA_VERSION,
            "passage_id": self.passage_id,
            "essay_id": m.id,
            "authors": list(m.authors),
            "title": m.title,
            "publication": m.publication,
            "date": m.date,
            "url": m.url,
            "link": self.link,
            "quote": self.quote,
            "start": self.start,
            "end": self.end,
            "paragraph": self.paragraph,
            "section": self.section,
            "match": self.match,
            "score": round(self.score, 4),
            "highlight": {"start": self.highlight_start, "end": self.highlight_end},
            "speaker": self.speaker,
            "speaker_role": _ROLE_JSON[self.speaker_role] if self.speaker_role else None,
            "attribution": self.attribution,
            "also_in": self.also_in,
            "first_said": self.first_said,
            "curated": self.curated.to_json() if self.curated else None,
            "attribution_fixed": self.attribution_fixed,
        }


@dataclass
class Contradiction:
    """A passage that says something other than the claim, and what differs."""

    quote: Quote
    differs: str  # "says 1990, not 2004"; "says “excellent”, not “damaging”"
    cue: str  # number | negation | opposite | role_swap | mix: the verifier's reason ("Why?")

    def to_json(self) -> dict[str, Any]:
        """A result object with ``differs`` and ``cue``."""
        return {**self.quote.to_json(), "differs": self.differs, "cue": self.cue}


@dataclass
class WhoSaidAnswer:
    """The answer to a who-said question."""

    query: str
    searched: str
    verdict: WhoSaidVerdict
    confidence: float
    results: list[Quote]
    quote_verdict: QuoteVerdict | None = None  # misquote verdict, for quote-like queries
    diff: list[DiffEntry] = field(default_factory=list)
    diff_summary: str | None = None
    closest: list[Quote] = field(default_factory=list)  # shown on not_found, labelled "not a match"
    author_filter: str | None = None
    found_elsewhere: list[Quote] = field(default_factory=list)  # filter missed, another author matched
    contradicted_by: list[Contradiction] = field(default_factory=list)  # on not_found: says otherwise
    support: Support | None = None  # on found: how plainly the passage says it

    @property
    def contradicted(self) -> bool:
        """An essay says something other than the claim (always with verdict ``not_found``)."""
        return bool(self.contradicted_by)

    def to_json(self) -> dict[str, Any]:
        """The who-said object of the JSON contract."""
        return {
            "schema_version": SCHEMA_VERSION,
            "kind": "who_said",
            "query": self.query,
            "searched": self.searched,
            "verdict": self.verdict,
            "confidence": round(self.confidence, 4),
            "quote_verdict": self.quote_verdict,
            "diff": [{"op": d.op, "user": d.user, "original": d.original} for d in self.diff],
            "diff_summary": self.diff_summary,
            "author_filter": self.author_filter,
            "results": [q.to_json() for q in self.results],
            "closest": [q.to_json() for q in self.closest],
            "found_elsewhere": [q.to_json() for q in self.found_elsewhere],
            "contradicted_by": [c.to_json() for c in self.contradicted_by],
            "support": self.support,
        }


@dataclass
class Side:
    """One side of a comparison: what it resolved to and its passages on the topic."""

    query: str
    kind: Literal["author", "essay"]
    label: str
    essay_ids: list[str]
    passages: list[Quote]

    def to_json(self) -> dict[str, Any]:
        return {
            "schema_version": SCHEMA_VERSION,
            "query": self.query,
            "resolved": {"kind": self.kind, "label": self.label, "essay_ids": self.essay_ids},
            "has_passages": bool(self.passages),
            "passages": [q.to_json() for q in self.passages],
        }


@dataclass
class CompareAnswer:
    """Two sides' passages on one topic."""

    topic: str
    a: Side
    b: Side

    def to_json(self) -> dict[str, Any]:
        """The compare object of the JSON contract."""
        return {
            "schema_version": SCHEMA_VERSION,
            "kind": "compare",
            "topic": self.topic,
            "a": self.a.to_json(),
            "b": self.b.to_json(),
        }


@dataclass
class Position:
    """An author's best passage on a topic (None when nothing of theirs is on topic)."""

    author: str
    essay_ids: list[str]
    passage: Quote | None


@dataclass
class PositionsAnswer:
    """The best passage of every author on a topic: a map of the debate."""

    topic: str
    positions: list[Position]

    def to_json(self) -> dict[str, Any]:
        """The positions object of the JSON contract."""
        return {
            "schema_version": SCHEMA_VERSION,
            "kind": "positions",
            "topic": self.topic,
            "positions": [
                {
                    "schema_version": SCHEMA_VERSION,
                    "author": p.author,
                    "essay_ids": p.essay_ids,
                    "passage": p.passage.to_json() if p.passage else None,
                }
                for p in self.positions
            ],
        }
