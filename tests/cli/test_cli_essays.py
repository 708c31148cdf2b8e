"""``essaybot essays``: listing by default, and add, remove, restore and edit for the server's admins.

Run in-process with click's runner on a private copy of the seeded data directory; the application
the command builds gets the session's already loaded model instead of loading it again.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import select

from bot.cli.main import main
from bot.core.essaybot import Essaybot
from bot.paths import seeds_dir
from bot.store.db import make_engine, session_scope
from bot.store.models import AuditRow

pytestmark = pytest.mark.model

ESSAY_FILE = Path(__file__).resolve().parents[1] / "data" / "upload_essay.md"
ESSAY_ID = "okafor-2024-lighthouse-keepers"
TITLE = "The lighthouse keepers of the labour movement"
SENTENCE = "A group chat is not an archive: it is a river, and rivers carry everything away."
SEED_COUNT = 5


@pytest.fixture
def cli(
    clone_seeded: Callable[[str], Path],
    seeded_app: Essaybot,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> Callable[..., Result]:
    data_dir = clone_seeded("essays-cli")
    monkeypatch.chdir(tmp_path)  # no stray ./essaybot.toml
    monkeypatch.setattr("bot.core.essaybot.Embedder", lambda *args, **kwargs: seeded_app.embedder)
    runner = CliRunner()

    def run(*args: str, env: dict[str, str] | None = None) -> Result:
        return runner.invoke(
            main, ["--data-dir", str(data_dir), *args], env={"ESSAYBOT_CONFIG": "", **(env or {})}
        )

    run.data_dir = data_dir  # type: ignore[attr-defined]
    return run


def ok(result: Result) -> Result:
    assert result.exit_code == 0, (result.output, result.stderr, result.exception)
    return result


def user_error(result: Result, *fragments: str) -> None:
    """Exit code 2 and one line on stderr naming the problem, as every user error in the CLI."""
    assert result.exit_code == 2, (result.output, result.exception)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


def top_essay(cli: Callable[..., Result], query: str = SENTENCE) -> dict[str, Any] | None:
    answer = json.loads(ok(cli("who-said", query, "--json")).stdout)
    return answer["results"][0] if answer["verdict"] == "found" else None


def essay_ids(cli: Callable[..., Result]) -> set[str]:
    return {e["id"] for e in json.loads(ok(cli("essays", "--json")).stdout)["essays"]}


def audit_log(cli: Callable[..., Result]) -> list[tuple[str, str, str]]:
    engine = make_engine(f"sqlite:///{cli.data_dir}/essaybot.db")  # type: ignore[attr-defined]
    try:
        with session_scope(engine) as session:
            rows = session.scalars(select(AuditRow).order_by(AuditRow.id))
            return [(r.action, r.target, r.actor) for r in rows]
    finally:
        engine.dispose()


def test_essays_still_lists_by_default(cli: Callable[..., Result]) -> None:
    default = json.loads(ok(cli("essays", "--json")).stdout)
    listed = json.loads(ok(cli("essays", "list", "--json")).stdout)
    assert default == listed and default["kind"] == "essays" and len(default["essays"]) == SEED_COUNT
    human = ok(cli("essays")).stdout
    assert "Paul Mason" in human


def test_add_edit_remove_restore_round_trip(cli: Callable[..., Result]) -> None:
    added = ok(cli("essays", "add", str(ESSAY_FILE))).stdout
    assert f"{ESSAY_ID}: {TITLE}" in added and "quoted speakers: Rosa Delgado" in added
    assert "added 1 essay: okafor-2024-lighthouse-keepers" in added
    top = top_essay(cli)
    assert top is not None and top["essay_id"] == ESSAY_ID and top["match"] == "exact"

    edited = ok(cli("essays", "edit", ESSAY_ID, "--title", "Keepers of the minutes", "--date", "2024")).stdout
    assert "title: 'The lighthouse keepers of the labour movement' -> 'Keepers of the minutes'" in edited
    top = top_essay(cli)
    assert top is not None and top["title"] == "Keepers of the minutes" and top["date"] == "2024"

    assert "removed okafor-2024-lighthouse-keepers" in ok(cli("essays", "remove", ESSAY_ID)).stdout
    assert ESSAY_ID not in essay_ids(cli)
    top = top_essay(cli)
    assert top is None or top["essay_id"] != ESSAY_ID

    assert "restored okafor-2024-lighthouse-keepers" in ok(cli("essays", "restore", ESSAY_ID)).stdout
    top = top_essay(cli)
    assert top is not None and top["essay_id"] == ESSAY_ID

    assert audit_log(cli) == [
        ("essay.add", ESSAY_ID, "cli"),
        ("essay.edit", ESSAY_ID, "cli"),
        ("essay.remove", ESSAY_ID, "cli"),
        ("essay.restore", ESSAY_ID, "cli"),
    ]


def test_dry_run_and_metadata_options(cli: Callable[..., Result], tmp_path: Path) -> None:
    plain = tmp_path / "Tenants Union.txt"
    plain.write_text(
        "Tides of the tenants' union\n\nThe landlord can evict a family but cannot evict a staircase.\n",
        encoding="utf-8",
    )
    preview = json.loads(ok(cli("essays", "add", str(plain), "--dry-run", "--json")).stdout)
    assert preview["dry_run"] and preview["previews"][0]["essay"]["id"] == "tenants-union"
    assert preview["previews"][0]["passages"] == 1
    assert "tenants-union" not in essay_ids(cli)

    args = (
        "--title",
        "Tides of the tenants' union",
        "--authors",
        "Lena Ortiz; Sam Hale",
        "--url",
        "https://x.org/t",
    )
    summary = json.loads(ok(cli("essays", "add", str(plain), *args, "--json")).stdout)
    assert summary["added"] == ["tenants-union"] and summary["generation"] is not None
    essay = next(
        e for e in json.loads(ok(cli("essays", "--json")).stdout)["essays"] if e["id"] == "tenants-union"
    )
    assert essay["authors"] == ["Lena Ortiz", "Sam Hale"] and essay["url"] == "https://x.org/t"

    user_error(
        cli("essays", "add", str(plain), str(ESSAY_FILE), "--title", "One for both"), "exactly one file"
    )
    user_error(cli("essays", "edit", "tenants-union"), "give at least one of")
    user_error(cli("essays", "edit", "tenants-union", "--title", "-"), "needs a title")


BAD_FILES: dict[str, tuple[str, bytes, str]] = {
    "binary": ("photo.md", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
    "invalid-utf8": ("latin1.txt", "Caf\u00e9 cr\u00e8me.".encode("latin-1"), "not UTF-8"),
    "empty": ("empty.md", b"", "empty"),
    "over-the-limit": ("big.txt", b"words and more words " * 10, "over the 100 bytes limit"),
    "bad-front-matter": ("broken.md", b'---\ntitle: "Fine"\ndate: "spring"\n---\nSome words.\n', "'date'"),
    "not-an-essay-file": ("essay.pdf", b"%PDF-1.7", "not an essay file"),
}


def test_bad_files_are_refused_and_change_nothing(cli: Callable[..., Result], tmp_path: Path) -> None:
    for case, (name, data, expected) in BAD_FILES.items():
        path = tmp_path / case / name
        path.parent.mkdir()
        path.write_bytes(data)
        user_error(cli("essays", "add", str(path), env={"ESSAYBOT_MAX_UPLOAD_BYTES": "100"}), expected)
    seed = sorted(seeds_dir().glob("*.md"))[0]
    user_error(cli("essays", "add", str(seed)), "already has this text")
    user_error(cli("essays", "add", str(tmp_path / "missing.md")), "no such file")
    user_error(cli("essays", "remove", "no-such-essay"), "no essay 'no-such-essay'")
    user_error(cli("essays", "restore", "mason-2022-marxist-position"), "not removed")
    user_error(cli("essays", "edit", "mason-2022-marxist-position", "--date", "the spring"), "'date'")
    assert len(essay_ids(cli)) == SEED_COUNT
    assert audit_log(cli) == []
