"""UserRefs (raw ids or salted hashes, the salt file) and ``essaybot forget-user``."""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from bot.cli.main import main
from bot.core.privacy import SALT_FILE, UserRefs, _create_salt
from bot.errors import DataDirError
from bot.store.db import make_engine, session_scope, upgrade
from bot.store.feedback import FeedbackRepository
from bot.store.models import FeedbackRow, InteractionRow
from bot.store.repo import InteractionLog

USER = 80351110224678912
OTHER = 41771983423143937


def test_raw_ids_need_no_salt(tmp_path: Path) -> None:
    refs = UserRefs(tmp_path, hashed=False)
    assert refs.ref(USER) == str(USER)
    assert refs.candidates(USER) == [str(USER)]
    assert not (tmp_path / SALT_FILE).exists()  # forgetting must not create a salt as a side effect


def test_hashes_are_stable_and_salted(tmp_path: Path) -> None:
    first = UserRefs(tmp_path / "a", hashed=True).ref(USER)
    assert re.fullmatch(r"[0-9a-f]{32}", first)
    assert str(USER) not in first
    # Another process (or a restart) reads the same salt and gets the same hash.
    assert UserRefs(tmp_path / "a", hashed=True).ref(USER) == first
    assert UserRefs(tmp_path / "a", hashed=True).ref(OTHER) != first
    # Another data directory has another salt.
    assert UserRefs(tmp_path / "b", hashed=True).ref(USER) != first


def test_salt_file(tmp_path: Path) -> None:
    refs = UserRefs(tmp_path / "data", hashed=True)
    refs.ref(USER)  # creates the directory and the salt
    salt = tmp_path / "data" / SALT_FILE
    assert stat.S_IMODE(salt.stat().st_mode) == 0o600
    assert re.fullmatch(r"[0-9a-f]{64}\n", salt.read_text())
    assert [p.name for p in salt.parent.iterdir()] == [SALT_FILE]  # no temporary file left


def test_losing_a_creation_race_uses_the_winners_salt(tmp_path: Path) -> None:
    winner = UserRefs(tmp_path, hashed=True).ref(USER)
    salt = tmp_path / SALT_FILE
    before = salt.read_text()
    _create_salt(salt)  # what a second process does when it found no salt a moment earlier
    assert salt.read_text() == before
    assert UserRefs(tmp_path, hashed=True).ref(USER) == winner
    assert [p.name for p in tmp_path.iterdir()] == [SALT_FILE]


def test_candidates_cover_both_settings(tmp_path: Path) -> None:
    hashed = UserRefs(tmp_path, hashed=True)
    digest = hashed.ref(USER)
    assert hashed.candidates(USER) == [digest, str(USER)]
    # After switching hash_user_ids off, rows stored hashed are still found.
    assert UserRefs(tmp_path, hashed=False).candidates(USER) == [digest, str(USER)]


def test_damaged_salt_is_never_replaced(tmp_path: Path) -> None:
    (tmp_path / SALT_FILE).write_text("not hex\n")
    with pytest.raises(DataDirError, match="damaged"):
        UserRefs(tmp_path, hashed=True).ref(USER)
    assert (tmp_path / SALT_FILE).read_text() == "not hex\n"


@pytest.mark.parametrize("bad", [0, -1, 2**64, True])
def test_bad_user_ids(tmp_path: Path, bad: int) -> None:
    with pytest.raises(ValueError, match="user id"):
        UserRefs(tmp_path, hashed=True).ref(bad)


# -- essaybot forget-user ---------------------------------------------------------------------


def seed_log(data_dir: Path) -> None:
    """Rows for USER (hashed and raw), for OTHER, and feedback between them."""
    refs = UserRefs(data_dir, hashed=True)
    engine = make_engine(f"sqlite:///{data_dir / 'essaybot.db'}")
    upgrade(engine)
    with session_scope(engine) as session:
        log = InteractionLog(session)
        ids = [
            log.record(
                source="discord",
                command="who_said",
                options={},
                verdict="found",
                passage_ids=[],
                latency_ms=9,
                user_ref=ref,
            )
            for ref in (refs.ref(USER), str(USER), refs.ref(OTHER))
        ]
        FeedbackRepository(session).vote(ids[2], refs.ref(USER), -1, "misquote")
        FeedbackRepository(session).vote(ids[2], refs.ref(OTHER), 1)
    engine.dispose()


def remaining(data_dir: Path) -> tuple[int, int]:
    engine = make_engine(f"sqlite:///{data_dir / 'essaybot.db'}")
    with session_scope(engine) as session:
        counts = (
            len(session.scalars(select(InteractionRow.id)).all()),
            len(session.scalars(select(FeedbackRow.id)).all()),
        )
    engine.dispose()
    return counts


@pytest.fixture
def clean_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No ESSAYBOT_* variables and no essaybot.toml in the working directory."""
    for name in list(os.environ):
        if name.startswith(("ESSAYBOT_", "DISCORD_")):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    return tmp_path / "data"


def test_forget_user_cli(clean_env: Path) -> None:
    data_dir = clean_env
    seed_log(data_dir)
    runner = CliRunner()
    result = runner.invoke(main, ["--data-dir", str(data_dir), "forget-user", str(USER)])
    assert result.exit_code == 0, result.output
    assert f"deleted 3 logged rows for Discord user {USER}" in result.output
    assert remaining(data_dir) == (1, 1)  # OTHER's answer and OTHER's own vote

    again = runner.invoke(main, ["--data-dir", str(data_dir), "forget-user", str(USER)])
    assert again.exit_code == 0 and "deleted 0 logged rows" in again.output


def test_forget_user_cli_covers_per_guild_databases(clean_env: Path) -> None:
    data_dir = clean_env
    seed_log(data_dir)
    guild = data_dir / "guilds" / "123"  # a server's own database (corpus_scope = "per_guild")
    guild.mkdir(parents=True)
    shutil.copy(data_dir / "essaybot.db", guild / "essaybot.db")
    result = CliRunner().invoke(main, ["--data-dir", str(data_dir), "forget-user", str(USER)])
    assert result.exit_code == 0, result.output
    assert f"deleted 6 logged rows for Discord user {USER}" in result.output
    assert remaining(data_dir) == remaining(guild) == (1, 1)


def test_forget_user_on_a_fresh_data_dir(clean_env: Path) -> None:
    result = CliRunner().invoke(main, ["--data-dir", str(clean_env), "forget-user", str(USER)])
    assert result.exit_code == 0, result.output
    assert "deleted 0 logged rows" in result.output
    assert not (clean_env / SALT_FILE).exists()


@pytest.mark.parametrize("bad", ["alice", "-5", "0", "123456789012345678901", "18446744073709551616"])
def test_forget_user_bad_id(clean_env: Path, bad: str) -> None:
    # "--": without it click itself takes "-5" for an option (also exit 2, with a usage text).
    result = CliRunner().invoke(main, ["--data-dir", str(clean_env), "forget-user", "--", bad])
    assert result.exit_code == 2
    assert "error: not a Discord user id" in result.output
    assert not (clean_env / "essaybot.db").exists()  # refused before touching anything


def test_forget_user_entry_point(clean_env: Path) -> None:
    """Through ``python -m bot``, as an admin would run it: one line on stderr, exit code 2."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ESSAYBOT_", "DISCORD_"))}
    run = subprocess.run(
        [sys.executable, "-m", "bot", "--data-dir", str(clean_env), "forget-user", "alice"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 2, run.stderr
    (line,) = run.stderr.strip().splitlines()
    assert line.startswith("error: not a Discord user id: 'alice'")
