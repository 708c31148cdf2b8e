"""``essaybot health``: database, index and heartbeat, judged without loading the embedding stack."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli.main import main
from bot.config import Settings, load_settings
from bot.ops.build_status import BuildProgress
from bot.ops.health import check_health
from bot.ops.heartbeat import write_heartbeat
from bot.paths import DataDir
from bot.store.db import head_revision

pytestmark = pytest.mark.model  # the seeded data directory is built with the real model

NOW = 1_700_000_000.0
HEAVY = ("torch", "sentence_transformers", "faiss", "transformers")


@pytest.fixture
def data_dir(clone_seeded: Callable[[str], Path]) -> Path:
    return clone_seeded("health")


def settings_for(data_dir: Path) -> Settings:
    return load_settings(None, data_dir=data_dir)


def failing(settings: Settings, **kwargs: object) -> dict[str, str]:
    report = check_health(settings, **kwargs)  # type: ignore[arg-type]
    return {c.name: c.detail for c in report.checks if not c.ok}


def test_healthy_when_connected_recently(data_dir: Path) -> None:
    write_heartbeat(data_dir, "connected", now=NOW)
    report = check_health(settings_for(data_dir), now=NOW + 60)
    assert report.healthy, list(report.lines())
    assert [c.name for c in report.checks] == ["database", "index", "heartbeat"]
    assert f"at revision {head_revision()}" in report.checks[0].detail


def test_stale_heartbeat_is_unhealthy(data_dir: Path) -> None:
    settings = settings_for(data_dir)
    write_heartbeat(data_dir, "connected", now=NOW)
    limit = 3 * settings.discord.heartbeat_seconds
    assert failing(settings, now=NOW + limit - 1) == {}
    assert "stale" in failing(settings, now=NOW + limit + 1)["heartbeat"]
    assert failing(settings, now=NOW + limit + 1, max_age=limit * 2) == {}


@pytest.mark.parametrize("state", ["starting", "connecting", "backoff", "stopped", "fatal"])
def test_only_connected_is_healthy(data_dir: Path, state: str) -> None:
    write_heartbeat(data_dir, state, "ClientConnectorError; retry in 4 s", now=NOW)  # type: ignore[arg-type]
    detail = failing(settings_for(data_dir), now=NOW + 1)["heartbeat"]
    assert f"not connected to Discord: {state}" in detail
    assert "retry in 4 s" in detail


def test_no_heartbeat_file(data_dir: Path) -> None:
    settings = settings_for(data_dir)
    assert "no heartbeat file" in failing(settings, now=NOW)["heartbeat"]
    assert check_health(settings, heartbeat=False).healthy


def test_missing_database_is_not_created(tmp_path: Path) -> None:
    problems = failing(settings_for(tmp_path / "data"), now=NOW)
    assert "does not exist yet" in problems["database"]
    assert "no index yet" in problems["index"]
    assert not (tmp_path / "data").exists()


def test_database_behind_the_code(data_dir: Path) -> None:
    with sqlite3.connect(data_dir / "essaybot.db") as conn:
        conn.execute("UPDATE alembic_version SET version_num = '0000-older'")
    write_heartbeat(data_dir, "connected", now=NOW)
    detail = failing(settings_for(data_dir), now=NOW)["database"]
    assert detail == f"at revision 0000-older, this version needs {head_revision()} (migrate)"


def test_database_that_is_not_sqlite(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "essaybot.db").write_bytes(b"definitely not a database" * 100)
    assert "not a usable SQLite database" in failing(settings_for(data), heartbeat=False)["database"]


def test_unreachable_server_hides_the_password(tmp_path: Path) -> None:
    # Port 1 refuses at once; without the psycopg driver installed the check fails just as clearly.
    url = "postgresql+psycopg://essaybot:hunter2@127.0.0.1:1/essaybot"
    detail = failing(load_settings(None, data_dir=tmp_path, database_url=url), heartbeat=False)["database"]
    assert "unreachable" in detail and "essaybot:***@127.0.0.1:1" in detail
    assert "hunter2" not in detail


def test_index_problems(data_dir: Path) -> None:
    settings = settings_for(data_dir)
    index = data_dir / "index"
    generation = (index / "CURRENT").read_text().strip()
    (index / generation / "manifest.json").write_text("{broken")
    assert "manifest unreadable" in failing(settings, heartbeat=False)["index"]
    (index / generation / "manifest.json").write_text(json.dumps({"passage_count": 3}))
    (index / generation / "sentences.faiss").unlink()
    assert "missing sentences.faiss" in failing(settings, heartbeat=False)["index"]
    (index / "CURRENT").write_text("../../etc\n")
    assert "does not name a generation" in failing(settings, heartbeat=False)["index"]
    (index / "CURRENT").unlink()
    assert "no index yet" in failing(settings, heartbeat=False)["index"]


def test_cli_exit_codes(data_dir: Path) -> None:
    runner = CliRunner()
    args = ["--data-dir", str(data_dir), "health"]
    result = runner.invoke(main, args)
    assert result.exit_code == 1
    assert result.output.splitlines()[-1].startswith("FAIL heartbeat: no heartbeat file")
    write_heartbeat(data_dir, "connected")  # now: the command reads the real clock
    result = runner.invoke(main, args)
    assert result.exit_code == 0, result.output
    assert [line[:4] for line in result.output.splitlines()] == ["ok  "] * 3
    write_heartbeat(data_dir, "connected", now=time.time() - 50)
    assert runner.invoke(main, [*args, "--max-age", "10"]).exit_code == 1
    assert runner.invoke(main, [*args, "--max-age", "100"]).exit_code == 0


def test_cli_config_error_is_unhealthy_not_usage_error(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Docker reserves exit code 2 of a health check; a broken config must read as plain "unhealthy".
    monkeypatch.setenv("ESSAYBOT_TOP_K", "0")
    result = CliRunner().invoke(main, ["--data-dir", str(data_dir), "health"])
    assert result.exit_code == 1
    assert result.output.startswith("FAIL config: config error: top_k")


def test_health_command_never_imports_the_embedding_stack(data_dir: Path) -> None:
    env = {**os.environ, "ESSAYBOT_DATA_DIR": str(data_dir)}
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "bot", "health", "--no-heartbeat"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # What keeps the health check fast is what it imports, read from -X importtime: a wall-clock
    # limit would only measure how loaded the machine is.
    imported = {line.rsplit("|", 1)[-1].strip() for line in proc.stderr.splitlines() if "|" in line}
    assert "bot.ops.health" in imported or "bot.cli.ops" in imported, "importtime output not parsed"
    assert not {m for m in imported if m.split(".")[0] in HEAVY}


def test_a_bot_building_its_index_is_rebuilding_not_unhealthy(data_dir: Path) -> None:
    settings = settings_for(data_dir)
    write_heartbeat(data_dir, "starting", now=NOW)  # this process plays the bot that builds
    later = NOW + 10 * settings.discord.heartbeat_seconds  # long past a stale heartbeat
    assert "stale" in failing(settings, now=later)["heartbeat"]
    with BuildProgress(DataDir(data_dir).index_build).running() as progress:
        progress("embedding", 250, 1000)
        report = check_health(settings, now=later)
        assert report.healthy, list(report.lines())
        index, heartbeat = report.checks[1].detail, report.checks[2].detail
        assert index.endswith("; rebuilding the index: 22% (embedding 250 of 1,000 passages)")
        assert heartbeat.startswith(f"starting (pid {os.getpid()}): rebuilding the index: 22%")
        (data_dir / "index" / "CURRENT").unlink()  # the first import: no generation yet
        assert check_health(settings, now=later).checks[1].detail.startswith("no index yet: rebuilding")
    assert "no index yet" in failing(settings, now=later)["index"]  # and once the build has stopped
    assert "stale" in failing(settings, now=later)["heartbeat"]
