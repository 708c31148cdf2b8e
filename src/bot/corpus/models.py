"""Plain data types shared by every stage of the pipeline.

Offsets are always character offsets into ``Essay.body`` (the exact text after the front matter),
so any span can be checked as ``body[start:end]``.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Literal

BlockKind = Literal["heading", "paragraph", "list_item"]
PassageKind = Literal["sentence", "heading"]
SpeakerRole = Literal["quoted", "reported view", "editors' introduction"]
# Metadata a moderator may change (/essays edit); the rest is only ever what the file says.
EDITABLE = ("title", "authors", "date", "url", "publication")


@dataclass(frozen=True)
class EssayMeta:
    """Front-matter metadata of one essay."""

    id: str
    title: str
    authors: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    subtitle: str | None = None
    publication: str | None = None
    date: str | None = None  # YYYY-MM-DD, YYYY-MM or YYYY
    url: str | None = None
    notes: str | None = None

    @property
    def meta_hash(self) -> str:
        """SHA-256 of every field but the id: whether an essay's front matter changed.

        Migration 0004 computes the same digest for rows stored before it: keep the two in step.
        """
        fields = {
            "title": self.title,
            "subtitle": self.subtitle,
            "authors": list(self.authors),
            "aliases": list(self.aliases),
            "publication": self.publication,
            "date": self.date,
            "url": self.url,
            "notes": self.notes,
        }
        canonical = json.dumps(fields, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()

    @property
    def author_line(self) -> str:
        """Authors joined for display; unsigned essays say so."""
        if not self.authors:
            return "Unsigned"
        if len(self.authors) == 1:
            return self.authors[0]
        return ", ".join(self.authors[:-1]) + " and " + self.authors[-1]


@dataclass(frozen=True)
class Essay:
    """One essay: metadata plus its original body text, unchanged."""

    meta: EssayMeta
    body: str
    source: str = ""  # file name it was loaded from, for messages

    @property
    def id(self) -> str:
        return self.meta.id

    @property
    def content_hash(self) -> str:
        """SHA-256 of the body: the identity used for incremental ingest and duplicate detection.

        The metadata has its own digest (``EssayMeta.meta_hash``), so a front-matter-only change is
        seen by ingest without making two copies of one text look different.
        """
        return hashlib.sha256(self.body.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Block:
    """A run of text the cleaner kept: a heading, a paragraph or a list item (``body[start:end]``)."""

    start: int
    end: int
    kind: BlockKind


@dataclass(frozen=True)
class Removed:
    """A run of text the cleaner dropped, with the rule that dropped it (shown in upload previews)."""

    start: int
    end: int
    reason: str


@dataclass(frozen=True)
class CleanResult:
    """What the cleaner kept and what it removed, in body order."""

    blocks: tuple[Block, ...]
    removed: tuple[Removed, ...] = ()


@dataclass(frozen=True)
class Passage:
    """The base retrieval unit: one sentence (or heading) with exact offsets and its context."""

    id: str
    essay_id: str
    seq: int  # position in the essay, 0-based
    paragraph: int  # index of the kept block it belongs to, 0-based
    section: str | None  # nearest heading above it, if any
    start: int
    end: int
    text: str  # always == essay.body[start:end]
    kind: PassageKind = "sentence"


@dataclass(frozen=True)
class QuoteSpan:
    """Words inside an essay that are not its authors' own claim: a quotation, a reported view, an intro."""

    start: int
    end: int
    speaker: str | None  # who speaks the words; None when unknown (falls back to "quoted in")
    role: SpeakerRole
    cue: str = field(default="", compare=False)  # the text that triggered detection, for debugging


def passage_id(essay_id: str, text: str, occurrence: int) -> str:
    """Stable id from the essay id and the passage content.

    ``occurrence`` disambiguates identical sentences within one essay, so re-ingesting an unchanged
    essay yields the same ids and curation keyed on them is never orphaned.
    """
    digest = hashlib.sha1(f"{essay_id}\x1f{text}\x1f{occurrence}".encode()).hexdigest()
    return digest[:12]
