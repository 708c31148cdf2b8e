"""Read essay files: YAML front matter (validated) followed by the body, kept byte-for-byte.

Every problem a user can cause is a one-line ``CorpusError`` naming the file and, for front matter, the
field, so an upload preview or the CLI can show it as it is.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
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
                f"digit, at most 80 characters), got {v!r}"
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
        if isinstance(v, dt.date):
            return v.isoformat()
        if isinstance(v, int) and not isinstance(v, bool) and 1000 <= v <= 9999:
            return str(v)
        if isinstance(v, str):
            m = _DATE.match(v.strip())
            if not m:
                raise ValueError(f"expected YYYY-MM-DD, YYYY-MM or YYYY, got {v!r}")
            try:
                dt.date(int(m[1]), int(m[2] or 1), int(m[3] or 1))
            except ValueError:
                raise ValueError(f"not a real date: {v!r}") from None
            return v.strip()
        return v

    @field_validator("url")
    @classmethod
    def _url(cls, v: str | None) -> str | None:
        if v is None:
            return v
        parts = urlsplit(v.strip())
        if parts.scheme not in ("http", "https") or not parts.netloc or any(c.isspace() for c in v.strip()):
            raise ValueError(f"expected an http(s) URL, got {v!r}")
        return v.strip()


def slugify(name: str) -> str:
    """A clean essay id from a file stem: ASCII, lowercase, runs of other characters become '-'."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9._-]+", "-", ascii_name).strip("-._")[:80].rstrip("-._")


def _field_error(source: str, err: ValidationError) -> CorpusError:
    first = err.errors()[0]
    loc = first["loc"]
    field = str(loc[0]) if loc else "?"
    kind = first["type"]
    if kind == "extra_forbidden":
        allowed = ", ".join(_FrontMatter.model_fields)
        detail = f"unknown field (allowed: {allowed})"
    elif kind == "missing":
        detail = "required field is missing"
    elif kind == "value_error":
        detail = str(first.get("ctx", {}).get("error", first["msg"]))
    else:
        where = f"item {int(loc[1]) + 1}: " if len(loc) > 1 and isinstance(loc[1], int) else ""
        msg = first["msg"].replace("Input should be", "expected")
        detail = f"{where}{msg}, got {first['input']!r}"
    more = len(err.errors()) - 1
    suffix = f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
    return CorpusError(f"{source}: front matter field '{field}': {detail}{suffix}")


def _parse_front_matter(raw: str, source: str) -> _FrontMatter:
    try:
        data = yaml.safe_load(raw)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" at line {mark.line + 2}" if mark is not None else ""  # +1 for 0-based, +1 for '---'
        problem = getattr(e, "problem", None) or "syntax error"
        raise CorpusError(f"{source}: front matter is not valid YAML{where}: {problem}") from None
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
    text = text.removeprefix("\ufeff")
    if "\x00" in text:
        raise CorpusError(f"{source}: looks like a binary file (contains NUL bytes)")
    warnings: list[str] = []
    opening = _OPEN.match(text)
    if opening:
        closing = _CLOSE.search(text, opening.end())
        if closing is None:
            raise CorpusError(f"{source}: front matter is not closed (no '---' line after the opening '---')")
        fm = _parse_front_matter(text[opening.end() : closing.start()], source)
        body = text[closing.end() :]
    else:
        fm, body = None, text
    if not body.strip():
        raise CorpusError(f"{source}: essay body is empty")
    essay_id = fm.id if fm is not None and fm.id else default_id
    if not _SLUG.match(essay_id):
        raise CorpusError(f"{source}: cannot derive a valid essay id (got {essay_id!r}); add an 'id' field")
    if fm is None:
        meta = EssayMeta(id=essay_id, title=_fallback_title(body, source))
        warnings.append(f"{source}: no front matter; title taken from the first line, author unknown")
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


def load_essay(path: Path) -> Essay:
    """Load one essay file (``.md`` with front matter, or plain text); warnings go to the log."""
    source = str(path)
    try:
        data = path.read_bytes()
    except OSError as e:
        raise CorpusError(f"{source}: cannot read file ({e.strerror or e})") from None
    if b"\x00" in data:
        raise CorpusError(f"{source}: looks like a binary file (contains NUL bytes)")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise CorpusError(
            f"{source}: not UTF-8 text (invalid byte 0x{data[e.start]:02x} at offset {e.start})"
        ) from None
    essay, warnings = parse_essay_text(text, source=source, default_id=slugify(path.stem))
    for warning in warnings:
        log.warning("%s", warning)
    return essay


def _expand(paths: Iterable[Path]) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(
                sorted(
                    p
                    for p in path.iterdir()
                    if p.suffix in ESSAY_SUFFIXES and p.is_file() and not p.name.startswith(".")
                )
            )
        elif path.exists():
            files.append(path)
        else:
            raise CorpusError(f"{path}: no such file or directory")
    return files


def load_corpus(paths: Iterable[Path]) -> list[Essay]:
    """Load essays from files and directories (a directory contributes its ``*.md`` and ``*.txt``, sorted).

    Two essays with the same id are an error naming both files.
    """
    essays: list[Essay] = []
    seen: dict[str, str] = {}
    for file in _expand(paths):
        essay = load_essay(file)
        if essay.id in seen:
            raise CorpusError(f"duplicate essay id '{essay.id}' in {seen[essay.id]} and {essay.source}")
        seen[essay.id] = essay.source
        essays.append(essay)
    return essays
