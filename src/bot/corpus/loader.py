"""Read essay files: YAML front matter (validated) followed by the body, kept byte-for-byte.

Every problem a user can cause is a one-line ``CorpusError`` naming the file and, for front matter, the
field, so an upload preview or the CLI can show it as it is.

The loader is fed untrusted files (uploads from any server's moderators in ``per_guild`` mode), so the
work it does is bounded: the file size is checked before the file is read, the front matter has a size
and nesting limit and may not use YAML anchors or aliases (a few hundred bytes of nested aliases expand
to gigabytes), and anything echoed from the input into a message is cut to about 200 characters.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
import reprlib
import unicodedata
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from bot.corpus.cleaner import clean
from bot.corpus.models import Essay, EssayMeta
from bot.errors import CorpusError
from bot.textnorm import collapse_spaces

log = logging.getLogger(__name__)

_SLUG = re.compile(r"^[a-z0-9][a-z0-9._-]{0,79}$")
_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")
_OPEN = re.compile(r"\A---[ \t]*\r?\n")
_CLOSE = re.compile(r"^---[ \t]*\r?$\n?", re.MULTILINE)
_TITLE_MAX = 120
ESSAY_SUFFIXES = (".md", ".txt")
FRONT_MATTER_MAX_CHARS = 16 * 1024  # the largest real front matter is well under 2 KB
_FRONT_MATTER_MAX_DEPTH = 8  # fields are scalars or lists of scalars: depth 2 is all a valid one needs
ECHO_MAX = 200  # characters of user input an error message may repeat
_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"

_echo_repr = reprlib.Repr()  # keyword arguments only from Python 3.12
_echo_repr.maxlevel = 3
_echo_repr.maxlist = _echo_repr.maxtuple = _echo_repr.maxdict = _echo_repr.maxset = 6
_echo_repr.maxstring = _echo_repr.maxother = ECHO_MAX


def clip(text: str, limit: int = ECHO_MAX) -> str:
    """``text`` cut to about ``limit`` characters (with an ellipsis), for echoing input in messages."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def echo(value: object) -> str:
    """A short ``repr`` of user input for an error message: bounded, even for nested or huge values."""
    return clip(_echo_repr.repr(value))


class _FrontMatterLimit(yaml.YAMLError):
    """Front matter that is valid YAML but not allowed here (anchors, aliases, deep nesting)."""

    def __init__(self, problem: str, mark: Any) -> None:
        super().__init__(problem)
        self.problem = problem
        self.problem_mark = mark


class _StrictLoader(yaml.SafeLoader):
    """``SafeLoader`` without anchors, aliases, deep nesting or implicit timestamps.

    Aliases are how a tiny document becomes a huge object graph (the "billion laughs"), and front
    matter has no use for them. Dates stay text so the ``date`` field's own check (and message)
    applies, instead of a ``ValueError`` from the YAML constructor for ``2024-13-01``.
    """

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        event: yaml.Event = self.peek_event()  # type: ignore[no-untyped-call]
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
            raise _FrontMatterLimit("anchors and aliases (& and *) are not allowed", event.start_mark)
        self._depth += 1
        try:
            if self._depth > _FRONT_MATTER_MAX_DEPTH:
                raise _FrontMatterLimit(
                    f"nested more than {_FRONT_MATTER_MAX_DEPTH} levels deep", event.start_mark
                )
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


_StrictLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != _TIMESTAMP_TAG]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


class _FrontMatter(BaseModel):
    # strict: a YAML number or date where text is expected is a mistake worth reporting, not coercing.
    model_config = ConfigDict(extra="forbid", strict=True)

    id: str | None = None
    title: str
    subtitle: str | None = None
    authors: list[str] = []
    aliases: list[str] = []
    publication: str | None = None
    date: str | None = None
    url: str | None = None
    notes: str | None = None

    @field_validator("id")
    @classmethod
    def _slug(cls, v: str | None) -> str | None:
        if v is not None and not _SLUG.match(v):
            raise ValueError(
                "expected a slug (lowercase letters, digits, '.', '_' or '-', starting with a letter or "
                f"digit, at most 80 characters), got {echo(v)}"
            )
        return v

    @field_validator("title", "subtitle", "publication", "notes")
    @classmethod
    def _text(cls, v: str | None) -> str | None:
        if v is not None and not v.strip():
            raise ValueError("must not be empty")
        return v.strip() if v is not None else None

    @field_validator("authors", "aliases")
    @classmethod
    def _names(cls, v: list[str]) -> list[str]:
        for n, name in enumerate(v, 1):
            if not name.strip():
                raise ValueError(f"item {n} is empty")
        return [name.strip() for name in v]

    @field_validator("date", mode="before")
    @classmethod
    def _date(cls, v: Any) -> Any:
        # An unquoted YAML date or year is unambiguous, so accept it rather than make people quote it.
        if isinstance(v, dt.datetime):  # only with an explicit !!timestamp tag
            v = v.date()
        if isinstance(v, dt.date):
            return v.isoformat()
        if isinstance(v, int) and not isinstance(v, bool) and 1000 <= v <= 9999:
            return str(v)
        if isinstance(v, str):
            m = _DATE.match(v.strip())
            if not m:
                raise ValueError(f"expected YYYY-MM-DD, YYYY-MM or YYYY, got {echo(v)}")
            try:
                dt.date(int(m[1]), int(m[2] or 1), int(m[3] or 1))
            except ValueError:
                raise ValueError(f"not a real date: {echo(v)}") from None
            return v.strip()
        return v

    @field_validator("url")
    @classmethod
    def _url(cls, v: str | None) -> str | None:
        if v is None:
            return v
        parts = urlsplit(v.strip())
        if parts.scheme not in ("http", "https") or not parts.netloc or any(c.isspace() for c in v.strip()):
            raise ValueError(f"expected an http(s) URL, got {echo(v)}")
        return v.strip()


def slugify(name: str) -> str:
    """A clean essay id from a file stem: ASCII, lowercase, runs of other characters become '-'."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9._-]+", "-", ascii_name).strip("-._")[:80].rstrip("-._")


def _field_error(source: str, err: ValidationError) -> CorpusError:
    first = err.errors()[0]
    loc = first["loc"]
    field = clip(str(loc[0]), 80) if loc else "?"
    kind = first["type"]
    if kind == "extra_forbidden":
        allowed = ", ".join(_FrontMatter.model_fields)
        detail = f"unknown field (allowed: {allowed})"
    elif kind == "missing":
        detail = "required field is missing"
    elif kind == "value_error":
        detail = clip(str(first.get("ctx", {}).get("error", first["msg"])))
    else:
        where = f"item {int(loc[1]) + 1}: " if len(loc) > 1 and isinstance(loc[1], int) else ""
        msg = first["msg"].replace("Input should be", "expected")
        # The input can be anything YAML builds; ``echo`` keeps the message short whatever it is.
        detail = f"{where}{clip(msg)}, got {echo(first['input'])}"
    more = len(err.errors()) - 1
    suffix = f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
    return CorpusError(f"{source}: front matter field '{field}': {detail}{suffix}")


def _parse_front_matter(raw: str, source: str) -> _FrontMatter:
    if len(raw) > FRONT_MATTER_MAX_CHARS:
        raise CorpusError(
            f"{source}: front matter is {len(raw)} characters long; the limit is {FRONT_MATTER_MAX_CHARS}"
        )
    try:
        data = yaml.load(raw, Loader=_StrictLoader)  # a SafeLoader subclass: safe
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" at line {mark.line + 2}" if mark is not None else ""  # +1 for 0-based, +1 for '---'
        problem = clip(str(getattr(e, "problem", None) or "syntax error"))
        raise CorpusError(f"{source}: front matter is not valid YAML{where}: {problem}") from None
    except (ValueError, OverflowError, RecursionError) as e:
        # Constructors of explicitly tagged or oversized values (a 5,000-digit number, !!timestamp).
        raise CorpusError(f"{source}: front matter has a value that cannot be read: {clip(str(e))}") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise CorpusError(f"{source}: front matter must be a mapping of fields, got {type(data).__name__}")
    try:
        return _FrontMatter.model_validate(data)
    except ValidationError as e:
        raise _field_error(source, e) from None


def _fallback_title(body: str, source: str) -> str:
    result = clean(body)
    if not result.blocks:
        raise CorpusError(f"{source}: no text left after removing page clutter")
    first = result.blocks[0]
    title = collapse_spaces(body[first.start : first.end])
    if len(title) > _TITLE_MAX:
        title = title[:_TITLE_MAX].rsplit(" ", 1)[0] + "…"
    return title


def parse_essay_text(text: str, *, source: str, default_id: str) -> tuple[Essay, list[str]]:
    """Parse one essay from decoded text; return it with warnings worth showing the user.

    ``source`` names the input in messages; ``default_id`` is used when the front matter has no id or
    there is no front matter at all (then the title is the first line that survives cleaning).
    """
    label = clip(source)  # a name is input too: every message below starts with it
    text = text.removeprefix("\ufeff")
    if "\x00" in text:
        raise CorpusError(f"{label}: looks like a binary file (contains NUL bytes)")
    warnings: list[str] = []
    opening = _OPEN.match(text)
    if opening:
        closing = _CLOSE.search(text, opening.end())
        if closing is None:
            raise CorpusError(f"{label}: front matter is not closed (no '---' line after the opening '---')")
        fm = _parse_front_matter(text[opening.end() : closing.start()], label)
        body = text[closing.end() :]
    else:
        fm, body = None, text
    if not body.strip():
        raise CorpusError(f"{label}: essay body is empty")
    essay_id = fm.id if fm is not None and fm.id else default_id
    if not _SLUG.match(essay_id):
        raise CorpusError(
            f"{label}: cannot derive a valid essay id (got {echo(essay_id)}); add an 'id' field"
        )
    if fm is None:
        meta = EssayMeta(id=essay_id, title=_fallback_title(body, label))
        warnings.append(f"{label}: no front matter; title taken from the first line, author unknown")
    else:
        meta = EssayMeta(
            id=essay_id,
            title=fm.title,
            authors=tuple(fm.authors),
            aliases=tuple(fm.aliases),
            subtitle=fm.subtitle,
            publication=fm.publication,
            date=fm.date,
            url=fm.url,
            notes=fm.notes,
        )
    return Essay(meta=meta, body=body, source=source), warnings


def human_size(size: int) -> str:
    """``1048576`` → ``1 MB``, ``1100000`` → ``1.05 MB`` (binary units, as Discord counts them)."""
    for unit, scale in (("MB", 1 << 20), ("KB", 1 << 10)):
        if size >= scale:
            return f"{size / scale:.2f}".rstrip("0").rstrip(".") + f" {unit}"
    return f"{size} bytes"


def too_large(name: str, size: int, max_bytes: int) -> CorpusError:
    """The one message for an essay over the size limit, the same in the CLI and in Discord."""
    return CorpusError(
        f"{clip(name)}: {human_size(size)} is over the {human_size(max_bytes)} limit for essays "
        "(setting max_upload_bytes)"
    )


def read_limited(path: Path, max_bytes: int | None) -> bytes:
    """The bytes of ``path``, refusing a file over ``max_bytes`` before reading it.

    The size is checked on the open file, and at most ``max_bytes + 1`` bytes are ever read, so a file
    that grows meanwhile or reports no size (a FIFO, ``/dev/zero``) is refused too, without reading it all.
    """
    source = clip(str(path))
    try:
        with path.open("rb") as f:
            if max_bytes is None:
                return f.read()
            size = os.fstat(f.fileno()).st_size
            if size > max_bytes:
                raise too_large(str(path), size, max_bytes)
            data = f.read(max_bytes + 1)
    except OSError as e:
        raise CorpusError(f"{source}: cannot read file ({e.strerror or e})") from None
    if len(data) > max_bytes:
        raise too_large(str(path), len(data), max_bytes)
    return data


def decode_essay_bytes(data: bytes, source: str) -> str:
    """UTF-8 text from an essay file's bytes; binary files and other encodings are refused."""
    label = clip(source)
    if b"\x00" in data:
        raise CorpusError(f"{label}: looks like a binary file (contains NUL bytes), not text")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise CorpusError(
            f"{label}: not UTF-8 text (invalid byte 0x{data[e.start]:02x} at offset {e.start})"
        ) from None


def load_essay(path: Path, *, max_bytes: int | None = None) -> Essay:
    """Load one essay file (``.md`` with front matter, or plain text); warnings go to the log.

    ``max_bytes`` (the ``max_upload_bytes`` setting) refuses a larger file before it is read.
    """
    source = str(path)
    text = decode_essay_bytes(read_limited(path, max_bytes), source)
    essay, warnings = parse_essay_text(text, source=source, default_id=slugify(path.stem))
    for warning in warnings:
        log.warning("%s", warning)
    return essay


def is_essay_file(path: Path) -> bool:
    """Whether ``path`` has an essay suffix (``.md`` or ``.txt``, any case)."""
    return path.suffix.lower() in ESSAY_SUFFIXES


def not_an_essay(name: str) -> CorpusError:
    """The one message for a file of the wrong type (a PDF, an image), named explicitly."""
    return CorpusError(
        f"{clip(name)}: not an essay file; give a .md file with front matter, or a .txt file "
        "(convert PDFs and Word files to text first)"
    )


def _expand(paths: Iterable[Path]) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(
                sorted(
                    p
                    for p in path.iterdir()
                    if is_essay_file(p) and p.is_file() and not p.name.startswith(".")
                )
            )
        elif path.exists():
            # A file named explicitly is meant to be an essay: a PDF would otherwise load as an essay
            # with no passages (or as mojibake), so refuse what is not text by its suffix.
            if not is_essay_file(path):
                raise not_an_essay(str(path))
            files.append(path)
        else:
            raise CorpusError(f"{clip(str(path))}: no such file or directory")
    return files


def load_corpus(paths: Iterable[Path], *, max_bytes: int | None = None) -> list[Essay]:
    """Load essays from files and directories (a directory contributes its ``*.md`` and ``*.txt``, sorted).

    Two essays with the same id are an error naming both files. ``max_bytes`` bounds each file's size.
    """
    essays: list[Essay] = []
    seen: dict[str, str] = {}
    for file in _expand(paths):
        essay = load_essay(file, max_bytes=max_bytes)
        if essay.id in seen:
            raise CorpusError(
                f"duplicate essay id '{essay.id}' in {clip(seen[essay.id])} and {clip(essay.source)}"
            )
        seen[essay.id] = essay.source
        essays.append(essay)
    return essays
