"""The JSON contract: real answers validate against ``bot/data/answer.schema.json``; broken ones do not."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from bot.answer.types import SCHEMA_VERSION
from bot.core.essaybot import Essaybot
from bot.paths import package_data

SCHEMA: dict[str, Any] = json.loads(package_data("answer.schema.json").read_text(encoding="utf-8"))
VALIDATOR = Draft202012Validator(SCHEMA)

MASON = "mason-2022-marxist-position"
ICL = "icl-2025-wv1184-ukraine"


def def_validator(name: str) -> Draft202012Validator:
    """A validator for one ``$defs`` entry (refs still resolve inside the same document)."""
    return Draft202012Validator({**SCHEMA, "oneOf": [{"$ref": f"#/$defs/{name}"}]})


def errors(instance: Any, validator: Draft202012Validator = VALIDATOR) -> list[str]:
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(instance)]


# -- the schema itself --------------------------------------------------------------------------


def test_schema_is_a_valid_draft_2020_12_schema() -> None:
    Draft202012Validator.check_schema(SCHEMA)
    assert SCHEMA["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert {"who_said", "compare", "positions", "quote", "side", "batch_error"} <= set(SCHEMA["$defs"])
    kinds = {
        SCHEMA["$defs"][r["$ref"].split("/")[-1]]["properties"]["kind"]["const"] for r in SCHEMA["oneOf"]
    }
    assert kinds == {"who_said", "compare", "positions"}


def test_every_object_requires_schema_version() -> None:
    for name in ("who_said", "compare", "positions", "position", "quote", "side", "batch_error"):
        assert "schema_version" in SCHEMA["$defs"][name]["required"], name


def test_schema_version_pattern() -> None:
    pattern = def_validator("batch_error")
    assert not errors({"schema_version": SCHEMA_VERSION, "error": "x"}, pattern)
    assert not errors({"schema_version": "1.17", "error": "x"}, pattern)
    for bad in ("2.0", "1", "1.x", "v1.0", 1.0):
        assert errors({"schema_version": bad, "error": "x"}, pattern), bad


def test_batch_error_shape() -> None:
    v = def_validator("batch_error")
    assert not errors({"schema_version": "1.0", "error": "line 2: not valid JSON"}, v)
    assert errors({"schema_version": "1.0"}, v)
    assert errors({"schema_version": "1.0", "error": 3}, v)
    assert errors({"error": "x"}, v)


# -- real answers -------------------------------------------------------------------------------

WHO_SAID_CASES: list[tuple[str, str | None, str, str | None, str | None]] = [
    # query, author filter, verdict, quote_verdict, top match
    ("no truce in the class war", None, "found", "exact", "exact"),
    ("no peace in the class war", None, "found", "near", "near"),
    (
        "who said the EU wants to be self-sufficient in food, energy and weapons technology by 2027?",
        None,
        "found",
        None,
        "paraphrase",
    ),
    ("who said bananas are the best fruit for astronauts?", None, "not_found", None, None),
    ("bananas are the best fruit for astronauts", None, "not_found", "not_in_corpus", None),
    ("no truce in the class war", "Smith", "not_found", "not_in_corpus", None),  # filter misses
    ("no truce in the class war", "Mason", "found", "exact", "exact"),  # filter hits
]


@pytest.fixture(scope="module")
def who_said_outputs(seeded_app: Essaybot) -> list[dict[str, Any]]:
    return [seeded_app.who_said(q, author=a).to_json() for q, a, *_ in WHO_SAID_CASES]


@pytest.mark.model
@pytest.mark.parametrize("case", range(len(WHO_SAID_CASES)))
def test_who_said_outputs_validate(who_said_outputs: list[dict[str, Any]], case: int) -> None:
    _query, author, verdict, quote_verdict, match = WHO_SAID_CASES[case]
    out = who_said_outputs[case]
    assert errors(out) == []
    assert not errors(out, def_validator("who_said"))
    assert errors(out, def_validator("compare"))  # the discriminator keeps kinds apart
    # The answers really are the kinds this test claims to cover.
    assert out["verdict"] == verdict
    assert out["quote_verdict"] == quote_verdict
    if match is None:
        assert out["results"] == []
    else:
        assert out["results"][0]["match"] == match
        assert out["results"][0]["essay_id"] == MASON
    if author == "Smith":
        assert out["author_filter"] == "Ashley Smith"
        assert [q["essay_id"] for q in out["found_elsewhere"]][:1] == [MASON]


@pytest.mark.model
def test_near_answer_carries_a_valid_diff(who_said_outputs: list[dict[str, Any]]) -> None:
    near = who_said_outputs[1]
    assert near["diff"], "a near quote lists its differences"
    assert near["diff_summary"]
    for entry in near["diff"]:
        assert not errors(entry, def_validator("diff_entry"))
    assert {"op": "replace", "user": "peace", "original": "truce"} in near["diff"]


@pytest.mark.model
def test_compare_output_validates(seeded_app: Essaybot) -> None:
    out = seeded_app.compare("Mason", "ICL", "the Zelensky government").to_json()
    assert errors(out) == []
    assert out["kind"] == "compare"
    assert out["a"]["resolved"]["essay_ids"] == [MASON]
    assert out["b"]["resolved"]["essay_ids"] == [ICL]
    assert out["a"]["has_passages"] and out["a"]["passages"]
    side = def_validator("side")
    assert not errors(out["a"], side) and not errors(out["b"], side)


@pytest.mark.model
def test_positions_output_validates(seeded_app: Essaybot) -> None:
    out = seeded_app.positions("sanctions").to_json()
    assert errors(out) == []
    assert len(out["positions"]) == 5
    assert any(p["passage"] is None for p in out["positions"])  # null passages are valid too
    assert any(p["passage"] is not None for p in out["positions"])


@pytest.mark.model
def test_quotes_with_speakers_and_links_validate(seeded_app: Essaybot) -> None:
    # The ICL essay has a url (so links are filled in); RSM's opening is an editors' introduction.
    icl = seeded_app.who_said("it only remains to be decided how much of its territory").to_json()
    assert icl["results"][0]["link"].startswith("https://iclfi.org/")
    rsm = seeded_app.who_said(
        "Tempest marks the one-year anniversary of Russia's invasion of Ukraine", author="RSM"
    ).to_json()
    assert rsm["results"][0]["speaker_role"] == "editors_introduction"
    for out in (icl, rsm):
        assert errors(out) == []


# -- what must fail -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def exact_answer(seeded_app: Essaybot) -> dict[str, Any]:
    return seeded_app.who_said("no truce in the class war").to_json()


def _drop(obj: dict[str, Any], path: list[str | int]) -> dict[str, Any]:
    broken = copy.deepcopy(obj)
    target: Any = broken
    for key in path[:-1]:
        target = target[key]
    del target[path[-1]]
    return broken


@pytest.mark.model
@pytest.mark.parametrize(
    "path",
    [
        ["schema_version"],
        ["kind"],
        ["verdict"],
        ["quote_verdict"],
        ["found_elsewhere"],
        ["results", 0, "quote"],
        ["results", 0, "schema_version"],
        ["results", 0, "speaker_role"],
        ["results", 0, "highlight", "end"],
    ],
)
def test_missing_field_fails(exact_answer: dict[str, Any], path: list[str | int]) -> None:
    assert errors(exact_answer) == []
    assert errors(_drop(exact_answer, path))


@pytest.mark.model
@pytest.mark.parametrize(
    ("path", "value"),
    [
        (["verdict"], "maybe"),
        (["quote_verdict"], "misquote"),
        (["kind"], "whosaid"),
        (["confidence"], 1.5),
        (["results", 0, "match"], "fuzzy"),
        (["results", 0, "speaker_role"], "reported view"),  # enums are snake_case in JSON
        (["results", 0, "start"], -1),
        (["results", 0, "also_in"], "mason"),
    ],
)
def test_wrong_values_fail(exact_answer: dict[str, Any], path: list[str | int], value: Any) -> None:
    broken = copy.deepcopy(exact_answer)
    target: Any = broken
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    assert errors(broken)


@pytest.mark.model
def test_additional_fields_are_allowed(exact_answer: dict[str, Any]) -> None:
    extended = copy.deepcopy(exact_answer)
    extended["schema_version"] = "1.1"
    extended["new_field"] = {"anything": True}
    extended["results"][0]["another_new_field"] = 3
    assert errors(extended) == []


@pytest.mark.model
def test_missing_field_in_compare_and_positions_fails(seeded_app: Essaybot) -> None:
    comp = seeded_app.compare("Mason", "ICL", "the Zelensky government").to_json()
    assert errors(_drop(comp, ["b", "resolved", "essay_ids"]))
    assert errors(_drop(comp, ["a", "has_passages"]))
    pos = seeded_app.positions("sanctions").to_json()
    assert errors(_drop(pos, ["positions", 0, "passage"]))
    assert errors(_drop(pos, ["positions", 0, "schema_version"]))


@pytest.mark.model
def test_schema_requires_exactly_the_fields_answers_carry(seeded_app: Essaybot) -> None:
    """Every field of the current to_json output is required (and nothing the output lacks)."""
    defs = SCHEMA["$defs"]

    def required(name: str) -> set[str]:
        return set(defs[name]["required"])

    who = seeded_app.who_said("no peace in the class war").to_json()
    assert set(who) == required("who_said")
    assert set(who["results"][0]) == required("quote")
    assert set(who["results"][0]["highlight"]) == set(defs["quote"]["properties"]["highlight"]["required"])
    assert set(who["diff"][0]) == required("diff_entry")
    comp = seeded_app.compare("Mason", "ICL", "the Zelensky government").to_json()
    assert set(comp) == required("compare")
    assert set(comp["a"]) == required("side")
    assert set(comp["a"]["resolved"]) == set(defs["side"]["properties"]["resolved"]["required"])
    pos = seeded_app.positions("sanctions").to_json()
    assert set(pos) == required("positions")
    assert set(pos["positions"][0]) == required("position")
