"""``bot.cli.common``: the error wrapper, Discord ids, the data-directory check and the database session.

In-process: these are the pieces every command shares, so each is checked once here rather than
through every command (tests/cli/test_cli_main.py runs the commands themselves as subprocesses).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.cli.common import database, discord_id, ensure_dir, handle_errors
from bot.errors import EssaybotError


@handle_errors
def _raise(exc: BaseException) -> None:
    raise exc


def test_a_user_error_is_one_clean_line_and_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        _raise(EssaybotError("bad\nfile \x1b[31mred\x1b[0m\tname"))
    assert done.value.code == 2
    assert capsys.readouterr().err == "error: bad file red name\n"


def test_a_locked_database_is_a_user_error_not_a_traceback(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        _raise(sqlite3.OperationalError("database is locked"))
    assert done.value.code == 2
    assert "the database is locked by another process" in capsys.readouterr().err


def test_a_bug_keeps_its_traceback() -> None:
    with pytest.raises(KeyError):
        _raise(KeyError("a bug"))


def test_the_wrapper_returns_what_the_command_returns() -> None:
    assert handle_errors(lambda x: x + 1)(1) == 2


@pytest.mark.parametrize("text_id", ["80351110224678912", " 80351110224678912\n", "1", "9" * 20])
def test_discord_ids_are_digits(text_id: str) -> None:
    assert discord_id(text_id, "server") == text_id.strip()


@pytest.mark.parametrize("text_id", ["", "0", "012", "abc", "12a", "-5", "1" * 21, "<@80351110224678912>"])
def test_anything_else_is_not_a_discord_id(text_id: str) -> None:
    with pytest.raises(EssaybotError, match=r"not a Discord user id: .* \(expected digits"):
        discord_id(text_id, "user")


def test_an_id_above_the_maximum_is_refused() -> None:
    assert discord_id(str(2**64 - 1), "user", maximum=2**64 - 1) == str(2**64 - 1)
    with pytest.raises(EssaybotError, match="not a Discord user id"):
        discord_id(str(2**64), "user", maximum=2**64 - 1)


def test_database_is_migrated_before_use(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'essaybot.db'}"
    query = text("SELECT name FROM sqlite_master WHERE type = 'table'")
    with database(url) as session:
        tables = {row[0] for row in session.execute(query)}
    assert {"alembic_version", "interactions"} <= tables


def test_an_unusable_data_dir_is_one_line(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(EssaybotError, match="cannot use data directory"):
        ensure_dir(blocker / "data")


def test_data_dir_check_is_safe_when_processes_share_it(tmp_path: Path) -> None:
    """Several processes checking one data directory at once must not delete each other's probe file.

    Threads stand in for processes here: with a fixed probe name one thread's unlink raced another's
    write, and the check failed with "No such file or directory" dozens of times in 4 × 500 calls.
    """
    from concurrent.futures import ThreadPoolExecutor

    def hammer(_: int) -> int:
        failures = 0
        for _i in range(500):
            try:
                ensure_dir(tmp_path)
            except Exception:
                failures += 1
        return failures

    with ThreadPoolExecutor(max_workers=4) as pool:
        assert sum(pool.map(hammer, range(4))) == 0
    assert [p.name for p in tmp_path.iterdir()] == []
