"""Resolve what a member typed ("Mason", "ICL", "war on war") to an author or an essay."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from rapidfuzz import fuzz, process

from bot.corpus.models import EssayMeta
from bot.errors import AmbiguousSideError, UnknownSideError
from bot.textnorm import normalize

# Fuzzy score (rapidfuzz WRatio, 0-100) a name must reach to count as a match at all...
MIN_SCORE = 82.0
# ...and candidates within this many points of the best are indistinguishable: ambiguous.
AMBIGUITY_MARGIN = 4.0


@dataclass(frozen=True)
class Target:
    """Something a side can resolve to: an author (all their essays) or one essay."""

    kind: Literal["author", "essay"]
    label: str
    essay_ids: tuple[str, ...]


def author_groups(metas: Iterable[EssayMeta]) -> dict[str, list[EssayMeta]]:
    """Essays grouped by author line; each unsigned essay stands alone under its title."""
    groups: dict[str, list[EssayMeta]] = {}
    for m in metas:
        key = m.author_line if m.authors else f"Unsigned: {m.title}"
        groups.setdefault(key, []).append(m)
    return groups


def targets(metas: Iterable[EssayMeta]) -> dict[str, Target]:
    """Every name a side may be given, mapped to what it means.

    A person's name means every essay they signed, alone or with others; a joint byline ("A and B")
    means the essays signed by exactly those people; an alias means the essays that list it.
    """
    metas = sorted(metas, key=lambda m: m.id)
    people: dict[str, set[str]] = {}
    aliases: dict[str, set[str]] = {}
    for m in metas:
        for name in m.authors:
            people.setdefault(name, set()).add(m.id)
        for alias in m.aliases:
            aliases.setdefault(alias, set()).add(m.id)
    by_id = {m.id: m for m in metas}
    names: dict[str, Target] = {}

    def label_for(ids: set[str], fallback: str) -> str:
        lines = {by_id[i].author_line for i in ids}
        return lines.pop() if len(lines) == 1 else fallback

    for name, ids in people.items():
        names[normalize(name)] = Target("author", name, tuple(sorted(ids)))
    for label, group in author_groups(metas).items():
        if group[0].authors and len(group[0].authors) > 1:
            names.setdefault(normalize(label), Target("author", label, tuple(sorted(m.id for m in group))))
    for alias, ids in aliases.items():
        names.setdefault(normalize(alias), Target("author", label_for(ids, alias), tuple(sorted(ids))))
    for m in metas:
        essay = Target("essay", m.title, (m.id,))
        for name in (m.id, m.title, *([m.subtitle] if m.subtitle else [])):
            names.setdefault(normalize(name), essay)
    return names


def resolve_side(query: str, metas: Iterable[EssayMeta]) -> Target:
    """Resolve ``query`` case-insensitively and fuzzily; unknown or ambiguous sides are errors."""
    table = targets(metas)
    key = normalize(query)
    if not key:
        raise UnknownSideError("A compare side is empty: name an author or an essay.")
    if key in table:
        return table[key]
    scored = process.extract(key, list(table), scorer=fuzz.WRatio, limit=None, score_cutoff=MIN_SCORE)
    if not scored:
        raise UnknownSideError(f"No author or essay matches {query!r}. Try `essaybot essays` to list them.")
    best = scored[0][1]
    close: dict[tuple[str, ...], Target] = {}
    for name, score, _ in scored:
        if score >= best - AMBIGUITY_MARGIN:
            t = table[name]
            close.setdefault(t.essay_ids, t)
    if len(close) > 1:
        labels = "; ".join(sorted(t.label for t in close.values()))
        raise AmbiguousSideError(
            f"{query!r} could mean several authors or essays: {labels}. Be more specific."
        )
    return next(iter(close.values()))
