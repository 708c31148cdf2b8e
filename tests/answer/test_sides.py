"""Compare sides: authors, aliases, essay ids and titles, fuzzily and case-insensitively; errors otherwise."""

from __future__ import annotations

import pytest

from bot.answer.sides import Target, author_groups, resolve_side, targets
from bot.corpus.loader import load_corpus
from bot.corpus.models import EssayMeta
from bot.errors import AmbiguousSideError, EssaybotError, UnknownSideError
from bot.paths import seeds_dir

MASON = ("mason-2022-marxist-position",)
ICL = ("icl-2025-wv1184-ukraine",)
RSM = ("rsm-2023-war-on-war",)
SMITH = ("smith-2022-stop-putins-war",)
ANON = ("anon-2022-solidarity-with-ukraine",)


@pytest.fixture(scope="module")
def seeds() -> list[EssayMeta]:
    return [e.meta for e in load_corpus([seeds_dir()])]


@pytest.fixture(scope="module")
def smiths() -> list[EssayMeta]:
    """Two authors sharing a surname, a co-authored essay and an unsigned one."""
    return [
        EssayMeta("ann-2020-war", "Against the War", authors=("Ann Smith",), date="2020"),
        EssayMeta("ann-2021-peace", "Notes on Peace", authors=("Ann Smith",), date="2021"),
        EssayMeta("bob-2022-unions", "For the Unions", authors=("Bob Smith",), aliases=("BS",)),
        EssayMeta("leaflet", "An Untitled Leaflet"),
    ]


@pytest.mark.parametrize(
    ("query", "kind", "label", "ids"),
    [
        ("Paul Mason", "author", "Paul Mason", MASON),
        ("paul mason", "author", "Paul Mason", MASON),
        ("PAUL MASON", "author", "Paul Mason", MASON),
        ("Mason", "author", "Paul Mason", MASON),
        ("Pual Mason", "author", "Paul Mason", MASON),  # typo
        ("ICL", "author", "International Communist League", ICL),  # alias
        ("icl", "author", "International Communist League", ICL),
        ("Spartacists", "author", "International Communist League", ICL),
        ("International Communist League", "author", "International Communist League", ICL),
        ("RSM", "author", "Émigré Branch of the Russian Socialist Movement", RSM),
        ("Russian Socialist Movement", "author", "Émigré Branch of the Russian Socialist Movement", RSM),
        ("Smith", "author", "Ashley Smith", SMITH),
        ("icl-2025-wv1184-ukraine", "essay", "To Russia Supporters / To Ukraine Supporters", ICL),
        ("We Say: War on War!", "essay", "We Say: War on War!", RSM),  # title
        ("we say war on war", "essay", "We Say: War on War!", RSM),
        ("stop putin's war", "essay", "Stop Putin’s war!", SMITH),  # straight vs curly apostrophe
        (
            "Solidarity With Ukraine: Resistance Movements, The Masses, and Socialism",
            "essay",
            "Solidarity With Ukraine: Resistance Movements, The Masses, and Socialism",
            ANON,
        ),
    ],
)
def test_resolve_seed_sides(
    seeds: list[EssayMeta], query: str, kind: str, label: str, ids: tuple[str, ...]
) -> None:
    target = resolve_side(query, seeds)
    assert target.kind == kind
    assert target.essay_ids == ids
    assert target.label == label


def test_subtitle_resolves_to_its_essay(seeds: list[EssayMeta]) -> None:
    target = resolve_side("It’s time for the left to break with Stalinism for good", seeds)
    assert target == Target("essay", "Ukraine: Outlines of a Marxist position", MASON)


@pytest.mark.parametrize("query", ["Nobodyatall", "Leon Trotsky", "zzzz", "42"])
def test_unknown_side(seeds: list[EssayMeta], query: str) -> None:
    with pytest.raises(UnknownSideError, match="No author or essay matches") as info:
        resolve_side(query, seeds)
    assert query in str(info.value)
    assert isinstance(info.value, EssaybotError)
    assert info.value.exit_code == 2


@pytest.mark.parametrize("query", ["", "   ", "\u200b"])
def test_empty_side(seeds: list[EssayMeta], query: str) -> None:
    with pytest.raises(UnknownSideError, match="empty"):
        resolve_side(query, seeds)


def test_shared_surname_is_ambiguous_and_lists_candidates(smiths: list[EssayMeta]) -> None:
    with pytest.raises(AmbiguousSideError) as info:
        resolve_side("Smith", smiths)
    message = str(info.value)
    assert "Ann Smith" in message
    assert "Bob Smith" in message
    assert "'Smith'" in message
    assert "Be more specific" in message


def test_full_name_disambiguates(smiths: list[EssayMeta]) -> None:
    ann = resolve_side("ann smith", smiths)
    assert ann == Target("author", "Ann Smith", ("ann-2020-war", "ann-2021-peace"))  # all her essays
    assert resolve_side("Bob Smth", smiths).essay_ids == ("bob-2022-unions",)  # typo, still unique
    assert resolve_side("BS", smiths).label == "Bob Smith"  # alias
    assert resolve_side("ann-2021-peace", smiths) == Target("essay", "Notes on Peace", ("ann-2021-peace",))


def test_unsigned_essay_is_reachable_by_title_and_id_only(smiths: list[EssayMeta]) -> None:
    by_title = resolve_side("an untitled leaflet", smiths)
    assert by_title == Target("essay", "An Untitled Leaflet", ("leaflet",))
    assert resolve_side("leaflet", smiths) == by_title
    assert all(t.kind == "essay" for t in targets(smiths).values() if t.essay_ids == ("leaflet",))


def test_author_groups_put_unsigned_essays_on_their_own(smiths: list[EssayMeta]) -> None:
    groups = author_groups(smiths)
    assert sorted(groups) == ["Ann Smith", "Bob Smith", "Unsigned: An Untitled Leaflet"]
    assert [m.id for m in groups["Ann Smith"]] == ["ann-2020-war", "ann-2021-peace"]


def test_coauthor_name_resolves_independently_of_essay_order() -> None:
    metas = [
        EssayMeta("a-joint", "A Joint Statement", authors=("Ann Smith", "Carl Jones")),
        EssayMeta("b-solo", "Against the War", authors=("Ann Smith",)),
    ]
    assert resolve_side("Ann Smith", metas) == resolve_side("Ann Smith", metas[::-1])
    # A person's name covers every essay they signed, alone or jointly...
    assert resolve_side("Ann Smith", metas).essay_ids == ("a-joint", "b-solo")
    # ...while the joint byline means exactly the jointly signed essays.
    assert resolve_side("Ann Smith and Carl Jones", metas).essay_ids == ("a-joint",)
