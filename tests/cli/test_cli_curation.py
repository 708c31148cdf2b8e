"""``essaybot quotes …`` and ``essaybot passages …`` on a copy of the seeded data directory.

The commands run in-process (click's runner) with an embedding model name that cannot load, which
proves they never need the model.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import select

from bot.cli.main import main
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


# -- per-server libraries (corpus_scope = "per_guild") ---------------------------------------------


def give_guild_its_library(data_dir: Path, guild: str) -> Path:
    """What the bot does on a server's first question: its own database and index (here a copy)."""
    import shutil

    folder = data_dir / "guilds" / guild
    folder.mkdir(parents=True)
    src, dst = sqlite3.connect(data_dir / "essaybot.db"), sqlite3.connect(folder / "essaybot.db")
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()
    shutil.copytree(data_dir / "index", folder / "index", ignore=shutil.ignore_patterns(".lock"))
    return folder


def curation_rows(db: Path, guild: str) -> dict[str, list[tuple[object, ...]]]:
    with contextlib.closing(sqlite3.connect(db)) as conn:
        return {
            "quotes": conn.execute(
                "SELECT id, passage_id, text FROM curated_quotes WHERE guild_id = ? ORDER BY id", (guild,)
            ).fetchall(),
            "overrides": conn.execute(
                "SELECT passage_id, hidden FROM passage_overrides WHERE guild_id = ?", (guild,)
            ).fetchall(),
            "audit": conn.execute(
                "SELECT action, target, json_extract(after, '$.id') FROM audit_log"
                " WHERE guild_id = ? ORDER BY id",
                (guild,),
            ).fetchall(),
        }


def test_per_guild_curation_goes_to_the_servers_own_library(
    run: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    data_dir: Path = run.data_dir  # type: ignore[attr-defined]
    own = give_guild_its_library(data_dir, "42") / "essaybot.db"
    monkeypatch.setenv("ESSAYBOT_CORPUS_SCOPE", "per_guild")
    assert run("quotes", "save", CHICKENS, "--guild", "42").exit_code == 0
    assert run("passages", "hide", CONDEMN, "--guild", "42").exit_code == 0
    mine = curation_rows(own, "42")
    assert [q[1] for q in mine["quotes"]] == [CHICKENS] and mine["overrides"] == [(CONDEMN, 1)]
    assert curation_rows(data_dir / "essaybot.db", "42") == {"quotes": [], "overrides": [], "audit": []}
    listed = json.loads(run("quotes", "list", "--guild", "42", "--json").stdout)
    assert [q["passage_id"] for q in listed["quotes"]] == [CHICKENS]


def test_curation_written_to_the_main_database_moves_to_the_servers_library(
    run: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    data_dir: Path = run.data_dir  # type: ignore[attr-defined]
    main_db = data_dir / "essaybot.db"
    own = give_guild_its_library(data_dir, "42") / "essaybot.db"
    # What older versions did in per-guild mode: the curation landed in the main database.
    assert run("quotes", "save", CONDEMN, "--guild", "7").exit_code == 0
    assert run("quotes", "save", CHICKENS, "--guild", "42", "--note", "old").exit_code == 0
    assert run("passages", "hide", CHICKENS, "--guild", "42").exit_code == 0
    assert run("quotes", "save", CHICKENS, "--guild", "8").exit_code == 0  # a server with no library
    # The server's library already has a quote of its own, so the moved one is renumbered.
    monkeypatch.setenv("ESSAYBOT_CORPUS_SCOPE", "per_guild")
    with contextlib.closing(sqlite3.connect(own)) as conn:
        conn.execute(
            "INSERT INTO curated_quotes (id, guild_id, essay_id, passage_id, start_offset, end_offset,"
            " text, tags, saved_by, saved_at)"
            " VALUES (5, '42', 'e', ?, 0, 1, 'x', '[]', 'mod', '2026-01-01 00:00:00')",
            (INTRO,),
        )
        conn.commit()
    listed = json.loads(run("quotes", "list", "--guild", "42", "--json").stdout)
    assert sorted(q["passage_id"] for q in listed["quotes"]) == sorted([CHICKENS, INTRO])
    moved = curation_rows(own, "42")
    new_id = next(q[0] for q in moved["quotes"] if q[1] == CHICKENS)
    assert new_id == 6  # was #2 in the main database
    assert moved["overrides"] == [(CHICKENS, 1)]
    assert moved["audit"] == [("quote.save", f"quote #{new_id}", new_id), ("passage.hide", CHICKENS, None)]
    # Gone from the main database; other servers' curation stays where it was.
    assert curation_rows(main_db, "42") == {"quotes": [], "overrides": [], "audit": []}
    assert len(curation_rows(main_db, "7")["quotes"]) == 1
    assert len(curation_rows(main_db, "8")["quotes"]) == 1
    # Undo works on the renumbered entry: the audit target follows the quote.
    assert run("quotes", "remove", str(new_id), "--guild", "42", "--yes").exit_code == 0
    # Running again moves nothing twice.
    again = json.loads(run("quotes", "list", "--guild", "42", "--json").stdout)
    assert [q["passage_id"] for q in again["quotes"]] == [INTRO]
