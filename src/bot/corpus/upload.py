"""Checks on an essay file that one of the bot's owners uploads (``/essays add``, ``essaybot essays add``).

Bytes in, an ``Essay`` out, or a one-line ``CorpusError`` fit to show as it is. The front matter and
text rules are the loader's (``parse_essay_text``); this module adds what only uploads need: a size
limit, the file type, metadata typed into a form (validated by the same front matter rules), the checks
against the stored corpus (no duplicate text, a free id), and the preview shown before anything is
stored. Nothing here writes anywhere.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import Any, Protocol

import yaml

from bot.corpus.cleaner import clean
from bot.corpus.loader import (
    clip,
    decode_essay_bytes,
    is_essay_file,
    not_an_essay,
    parse_essay_text,
    slugify,
    too_large,
)
from bot.corpus.models import EDITABLE as EDITABLE  # re-exported: forms and curation import it from here
from bot.corpus.models import Essay, EssayMeta
from bot.corpus.prepare import PreparedEssay, prepare
from bot.errors import CorpusError

_FRONT_MATTER_ORDER = ("id", "title", "subtitle", "authors", "aliases", "publication", "date", "url", "notes")
SNIPPET_CHARS = 80
CLEAR = "-"  # typed for a field: clear it
_NO_SPEAKER = {"reported view": "a view the author reports", "editors' introduction": "the editors"}


@dataclass(frozen=True)
class Upload:
    """A decoded, parsed essay file, not yet checked against the corpus."""

    essay: Essay
    warnings: tuple[str, ...]
    front_matter: bool

    @property
    def missing(self) -> tuple[str, ...]:
        """Metadata worth asking for: a title guessed from the first line, no authors, no date or URL."""
        meta = self.essay.meta
        wanted = {
            "title": not self.front_matter,
            "authors": not meta.authors,
            "date": meta.date is None,
            "url": meta.url is None,
        }
        return tuple(name for name, missing in wanted.items() if missing)


@dataclass(frozen=True)
class Preview:
    """What storing an essay would keep, shown before the owner confirms."""

    prepared: PreparedEssay
    removed: tuple[tuple[str, str], ...]  # (the cleaner's reason, the text it dropped), body order
    removed_chars: int
    paragraphs: int
    speakers: tuple[tuple[str, int], ...]  # quoted speakers with how often they speak, most first
    reported: tuple[tuple[str, str], ...]  # (who, the words) of reported views and editors' intros
    warnings: tuple[str, ...]

    @property
    def essay(self) -> Essay:
        """The essay as it would be stored."""
        return self.prepared.essay

    @property
    def passages(self) -> int:
        """Sentences that answers can quote (headings excluded)."""
        return sum(1 for p in self.prepared.passages if p.kind == "sentence")


def check_file(filename: str, size: int, *, max_bytes: int) -> None:
    """Refuse a file by its name and size alone, before downloading (or reading) it."""
    name = PurePath(filename).name or filename
    if not is_essay_file(Path(name)):
        raise not_an_essay(name)
    if size == 0:
        raise CorpusError(f"{clip(name)}: the file is empty")
    if size > max_bytes:
        raise too_large(name, size, max_bytes)


def read_upload(data: bytes, filename: str, *, max_bytes: int) -> Upload:
    """Decode and parse an uploaded essay: UTF-8 text only, front matter validated, a clean id."""
    name = PurePath(filename).name or filename
    check_file(name, len(data), max_bytes=max_bytes)
    text = decode_essay_bytes(data, name)
    if not text.removeprefix("\ufeff").strip():
        raise CorpusError(f"{clip(name)}: the file is empty")
    essay, warnings = parse_essay_text(text, source=name, default_id=slugify(PurePath(name).stem))
    # Without front matter the loader keeps the whole text as the body.
    front_matter = len(essay.body) < len(text.removeprefix("\ufeff"))
    return Upload(essay, tuple(warnings), front_matter)


def split_authors(text: str) -> list[str]:
    """Authors typed in one line: separated by semicolons or new lines if there are any, else commas."""
    separator = ";" if ";" in text or "\n" in text else ","
    return [name.strip() for name in text.replace("\n", ";").split(separator) if name.strip()]


def parse_changes(given: Mapping[str, str | None]) -> dict[str, Any]:
    """Metadata changes typed as text (/essays edit, the CLI): ``-`` clears a field; at least one."""
    changes: dict[str, Any] = {}
    for name, value in given.items():
        if value is None:
            continue
        value = value.strip()
        if value == CLEAR:
            if name == "title":
                raise CorpusError("an essay needs a title: give the new one instead of -")
            changes[name] = [] if name == "authors" else None
        else:
            changes[name] = split_authors(value) if name == "authors" else value
    if not changes:
        raise CorpusError(f"give at least one of {', '.join(EDITABLE)} to change")
    return changes


def with_metadata(essay: Essay, changes: Mapping[str, Any]) -> Essay:
    """``essay`` with some of its ``EDITABLE`` metadata changed (None clears a field), validated as
    front matter is, so a form can never store what a file could not."""
    unknown = sorted(set(changes) - set(EDITABLE))
    if unknown:
        raise CorpusError(f"cannot edit {', '.join(unknown)}: only {', '.join(EDITABLE)}")
    fields = _front_matter_fields(essay.meta)
    for name, value in changes.items():
        if value is None:
            fields.pop(name, None)
        else:
            fields[name] = list(value) if name == "authors" else value
    # Double-quoted one-line scalars: no value can contain a line that would close the front matter.
    front = yaml.safe_dump(fields, allow_unicode=True, sort_keys=False, default_style='"', width=1 << 30)
    parsed, _ = parse_essay_text(f"---\n{front}---\n{essay.body}", source=essay.id, default_id=essay.id)
    if parsed.body != essay.body:  # pragma: no cover - the front matter above always closes cleanly
        raise CorpusError(f"{essay.id}: the metadata could not be applied")
    return Essay(meta=parsed.meta, body=essay.body, source=essay.source)


def _front_matter_fields(meta: EssayMeta) -> dict[str, Any]:
    values: dict[str, Any] = {
        "id": meta.id,
        "title": meta.title,
        "subtitle": meta.subtitle,
        "authors": list(meta.authors),
        "aliases": list(meta.aliases),
        "publication": meta.publication,
        "date": meta.date,
        "url": meta.url,
        "notes": meta.notes,
    }
    return {k: values[k] for k in _FRONT_MATTER_ORDER if values[k] is not None}


class StoredEssays(Protocol):
    """What the duplicate check reads from the store (``store.repo.CorpusRepository``, a layer above)."""

    def find_by_hash(self, content_hash: str) -> str | None: ...
    def essay_status(self, essay_id: str) -> str | None: ...


def check_new(essay: Essay, repo: StoredEssays) -> None:
    """Refuse an essay whose text is already stored (any status) or whose id is taken."""
    source = clip(essay.source or essay.id)
    twin = repo.find_by_hash(essay.content_hash)
    if twin is not None:
        removed = " (removed earlier: restore it instead)" if repo.essay_status(twin) == "removed" else ""
        raise CorpusError(f"{source}: the library already has this text, as essay {twin!r}{removed}")
    status = repo.essay_status(essay.id)
    if status == "removed":
        raise CorpusError(
            f"{source}: essay id {essay.id!r} belongs to a removed essay; restore that one, or give the "
            "upload another id in its front matter"
        )
    if status is not None:
        raise CorpusError(
            f"{source}: essay id {essay.id!r} is already in the library; give the upload another id in its "
            "front matter"
        )


def preview(essay: Essay, warnings: Sequence[str] = ()) -> Preview:
    """Clean, chunk and attribute ``essay`` as ingest would, and summarise what it found."""
    prepared = prepare(essay)
    if not any(p.kind == "sentence" for p in prepared.passages):
        raise CorpusError(
            f"{clip(essay.source or essay.id)}: no sentence is left after removing page clutter"
        )
    body = essay.body
    cleaned = clean(body, essay.meta)
    removed = tuple((r.reason, _snippet(body[r.start : r.end])) for r in cleaned.removed)
    speakers = Counter(s.speaker or "an unnamed speaker" for s in prepared.spans if s.role == "quoted")
    reported = tuple(
        (s.speaker or _NO_SPEAKER.get(s.role, "someone"), _snippet(body[s.start : s.end]))
        for s in prepared.spans
        if s.role != "quoted"
    )
    return Preview(
        prepared=prepared,
        removed=removed,
        removed_chars=sum(r.end - r.start for r in cleaned.removed),
        paragraphs=len({p.paragraph for p in prepared.passages}),
        speakers=tuple(speakers.most_common()),
        reported=reported,
        warnings=tuple(warnings),
    )


def _snippet(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= SNIPPET_CHARS else flat[: SNIPPET_CHARS - 1].rstrip() + "…"
