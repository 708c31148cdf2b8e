"""``essaybot quotes …`` and ``essaybot passages …`` on a copy of the seeded data directory.

The commands run in-process (click's runner) with an embedding model name that cannot load, which
proves they never need the model.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import select

from bot.cli import main
from bot.store.db import make_engine, session_scope
from bot.store.models import AuditRow

pytestmark = pytest.mark.model

CHICKENS = "14d6d3057428"
INTRO = "77c54efa69c6"
CONDEMN = "3fdce89fc962"


@pytest.fixture
def run(clone_seeded: Callable[[str], Path], monkeypatch: pytest.MonkeyPatch) -> Callable[..., Result]:
    data_dir = clone_seeded("curation-cli")
    monkeypatch.setenv("ESSAYBOT_EMBEDDING_MODEL", "/no/such/model")
    monkeypatch.delenv("ESSAYBOT_CONFIG", raising=False)

    def invoke(*args: str, input: str | None = None) -> Result:
        return CliRunner().invoke(main, ["--data-dir", str(data_dir), *args], input=input)

    invoke.data_dir = data_dir  # type: ignore[attr-defined]
    return invoke


def audit(data_dir: Path) -> list[tuple[str | None, str, str]]:
    engine = make_engine(f"sqlite:///{data_dir / 'essaybot.db'}")
    try:
        with session_scope(engine) as session:
            return [
                (a.guild_id, a.actor, a.action)
                for a in session.scalars(select(AuditRow).order_by(AuditRow.id))
            ]
    finally:
        engine.dispose()


def test_passages_find_hide_attribute_unhide(run: Callable[..., Result]) -> None:
    found = run("passages", "find", "chickens have come home", "--guild", "1", "--json")
    assert found.exit_code == 0, found.output
    first = json.loads(found.stdout)["passages"][0]
    assert (first["id"], first["hidden"], first["authors"]) == (
        CHICKENS,
        False,
        ["International Communist League"],
    )
    hidden = run("passages", "hide", "the chickens have come home to roost", "--guild", "1")
    assert hidden.exit_code == 0 and hidden.stdout.startswith(f"hidden: {CHICKENS} [hidden]")
    assert run("passages", "hide", CHICKENS, "--guild", "1").stdout.startswith("nothing changed")
    listed = run("passages", "find", "chickens have come home", "--guild", "1")
    assert listed.stdout.startswith(f"{CHICKENS} [hidden]")
    assert "[hidden]" not in run("passages", "find", "chickens have come home", "--guild", "2").stdout
    attributed = run(
        "passages", "attribute", INTRO, "Tempest editors", "--role", "editors' introduction", "--guild", "1"
    )
    assert "[speaker: Tempest editors (editors' introduction)]" in attributed.stdout
    reset = run("passages", "attribute", INTRO, "-", "--role", "reset", "--guild", "1")
    assert "[speaker" not in reset.stdout
    assert run("passages", "unhide", CHICKENS, "--guild", "1").stdout.startswith("unhidden")
    assert audit(run.data_dir) == [  # type: ignore[attr-defined]
        ("1", "cli", "passage.hide"),
        ("1", "cli", "passage.attribute"),
        ("1", "cli", "passage.attribute"),
        ("1", "cli", "passage.unhide"),
    ]


def test_quotes_save_list_export_import_remove(run: Callable[..., Result], tmp_path: Path) -> None:
    saved = run(
        "quotes", "save", CHICKENS, "--guild", "1", "--start", "the chickens", "--end", "roost",
        "--note", "Malcolm X", "--tag", "History", "--tag", "race",
    )  # fmt: skip
    assert saved.exit_code == 0, saved.output
    assert saved.stdout.startswith("saved curated quote #1: “the chickens have come home to roost”")
    assert run("quotes", "save", CONDEMN, "--guild", "1").exit_code == 0
    listed = json.loads(run("quotes", "list", "--guild", "1", "--tag", "history", "--json").stdout)
    assert [q["text"] for q in listed["quotes"]] == ["the chickens have come home to roost"]
    by_author = run("quotes", "list", "--guild", "1", "--author", "Ashley Smith")
    assert by_author.stdout.count("#") == 1 and "smith-2022" in by_author.stdout
    exported = tmp_path / "quotes.json"
    assert run("quotes", "export", "--guild", "1", "--output", str(exported)).exit_code == 0
    csv_out = run("quotes", "export", "--guild", "1", "--format", "csv").stdout
    assert csv_out.splitlines()[0].startswith("id,essay_id,passage_id") and len(csv_out.splitlines()) == 3
    imported = run("quotes", "import", str(exported), "--guild", "2")
    assert imported.stdout.strip() == "imported 2 curated quotes; 0 already present, skipped"
    again = run("quotes", "import", "-", "--guild", "2", input=exported.read_text(encoding="utf-8"))
    assert again.stdout.strip() == "imported 0 curated quotes; 2 already present, skipped"
    one = json.loads(exported.read_text(encoding="utf-8"))["quotes"]
    two = json.loads(run("quotes", "export", "--guild", "2").stdout)["quotes"]
    assert [{**q, "id": 0} for q in one] == [{**q, "id": 0} for q in two]
    refused = run("quotes", "remove", "1", "--guild", "1", input="n\n")
    assert "cancelled" in refused.output
    assert run("quotes", "remove", "1", "--guild", "1", "--yes").stdout.strip() == "removed curated quote #1"
    assert "#1" not in run("quotes", "list", "--guild", "1").stdout
    actions = [a for a in audit(run.data_dir) if a[0] == "1"]  # type: ignore[attr-defined]
    assert actions == [("1", "cli", "quote.save"), ("1", "cli", "quote.save"), ("1", "cli", "quote.remove")]


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (("passages", "hide", "zzqx wvvy", "--guild", "1"), "No passage matches"),
        (("passages", "hide", "Putin", "--guild", "1"), "Several passages could match"),
        (("passages", "hide", CHICKENS, "--guild", "abc"), "not a Discord server id"),
        (("quotes", "remove", "99", "--guild", "1", "--yes"), "no curated quote #99"),
        (("quotes", "save", CHICKENS, "--guild", "1", "--start", "no such words"), "not in that passage"),
        (("quotes", "import", "/no/such/file.json", "--guild", "1"), "cannot read"),
    ],
)
def test_user_errors_are_one_line_and_exit_2(
    run: Callable[..., Result], args: tuple[str, ...], fragment: str
) -> None:
    result = run(*args)
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and fragment in lines[0]


def test_guild_is_required(run: Callable[..., Result]) -> None:
    result = run("quotes", "list")
    assert result.exit_code == 2 and "--guild" in result.output
