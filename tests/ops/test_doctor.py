"""``essaybot doctor``: the checklist, its hints, and a token that is never shown."""

from __future__ import annotations

import base64
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from bot.cli.main import main
from bot.config import Settings, load_settings
from bot.errors import ConfigError
from bot.ops.doctor import check_disk, check_model, run_doctor, token_shape_problem

# Shaped like a bot token: base64 of a snowflake id, a timestamp part and an HMAC part.
USER_ID = base64.urlsafe_b64encode(b"112233445566778899").decode().rstrip("=")
TOKEN = f"{USER_ID}.GhIjKl.AbCdEfGhIjKlMnOpQrStUvWxYz0123456789_-"
NAMES = ["config", "token", "database", "index", "model", "verifier", "disk"]
MESSAGE = "config error: top_k: Input should be greater than or equal to 1 (from x.toml)"


@pytest.fixture
def data_dir(clone_seeded: Callable[[str], Path]) -> Path:
    return clone_seeded("doctor")


def loader(data_dir: Path, config: Path | None = None) -> Callable[[], Settings]:
    return lambda: load_settings(config, data_dir=data_dir)


def run(data_dir: Path, **kwargs: Any) -> tuple[dict[str, tuple[bool, str]], list[str]]:
    lines: list[str] = []
    checks = run_doctor(loader(data_dir), echo=lines.append, **kwargs)
    assert [c.name for c in checks] == NAMES
    return {c.name: (c.ok, c.detail) for c in checks}, lines


def test_token_shape_accepts_a_plausible_token() -> None:
    assert token_shape_problem(TOKEN) is None


@pytest.mark.parametrize(
    ("token", "problem"),
    [
        (f"Bot {TOKEN}", 'starts with "Bot "'),
        (f'"{TOKEN}"', "wrapped in quotes"),
        (TOKEN[:30] + " " + TOKEN[30:], "whitespace"),
        (TOKEN.replace(".", "", 1), "three dot-separated base64url parts"),
        (TOKEN.replace("-", "+"), "three dot-separated base64url parts"),
        ("YWJjZGVmZ2hpamtsbW5vcHFy." + TOKEN.split(".", 1)[1], "does not encode a Discord user id"),
    ],
)
def test_token_shape_problems_never_quote_the_token(token: str, problem: str) -> None:
    message = token_shape_problem(token)
    assert message is not None and problem in message
    for part in token.replace(" ", ".").strip('"').split("."):
        assert part not in message or len(part) < 4


@pytest.mark.model
def test_everything_fine(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DISCORD_TOKEN", TOKEN)
    results, lines = run(data_dir)
    assert all(ok for ok, _ in results.values()), results
    assert results["token"][1] == "present (from DISCORD_TOKEN) and plausible in shape; not shown"
    assert results["index"][1].startswith("fresh: generation")
    assert "torch" in results["model"][1]
    assert "direction words" in results["verifier"][1]
    assert len(lines) == len(NAMES) and all(line.startswith("ok   ") for line in lines)
    output = "\n".join(lines)
    assert not any(part in output for part in TOKEN.split("."))


@pytest.mark.model
def test_token_from_a_file_and_missing(
    data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DISCORD_TOKEN", raising=False)
    results, _ = run(data_dir)
    assert results["token"][0] is False and "DISCORD_TOKEN_FILE" in results["token"][1]
    results, _ = run(data_dir, require_token=False)
    assert results["token"][0] is True
    secret = tmp_path / "token"
    secret.write_text(f"Bot {TOKEN}\n")
    monkeypatch.setenv("DISCORD_TOKEN_FILE", str(secret))
    results, lines = run(data_dir)
    assert results["token"] == (
        False,
        'from DISCORD_TOKEN_FILE starts with "Bot "; give the token alone, without the prefix',
    )
    assert TOKEN.split(".")[2] not in "\n".join(lines)


def test_invalid_config_is_shown_and_the_rest_skipped() -> None:
    def broken() -> Settings:
        raise ConfigError(MESSAGE)

    lines: list[str] = []
    checks = run_doctor(broken, echo=lines.append)
    assert [c.name for c in checks] == NAMES
    assert not any(c.ok for c in checks)
    assert lines[0] == f"FAIL config: {MESSAGE}"
    assert all("not checked" in line for line in lines[1:])


@pytest.mark.model
def test_unknown_keys_are_warnings(data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DISCORD_TOKEN", TOKEN)
    config = tmp_path / "essaybot.toml"
    config.write_text("top_kk = 3\n")
    checks = run_doctor(loader(data_dir, config), echo=None)
    assert checks[0].ok
    assert "unknown key 'top_kk' is ignored" in checks[0].detail


@pytest.mark.model
def test_stale_index_and_unmigrated_database(data_dir: Path) -> None:
    index = data_dir / "index"
    manifest_file = index / (index / "CURRENT").read_text().strip() / "manifest.json"
    manifest = json.loads(manifest_file.read_text())
    manifest_file.write_text(json.dumps({**manifest, "corpus_hash": "0" * 64}))
    results, _ = run(data_dir, require_token=False)
    assert results["index"] == (
        False,
        "stale: corpus changed since the index was built (rebuilt on next start, or run `essaybot reindex`)",
    )
    (data_dir / "essaybot.db").unlink()
    results, _ = run(data_dir, require_token=False)
    assert "does not exist yet" in results["database"][1]
    assert results["index"] == (False, "not checked: the database is not ready")


def test_model_checks(tmp_path: Path) -> None:
    assert check_model("all-MiniLM-L6-v2").ok
    missing = check_model(str(tmp_path / "no-such-model"))
    assert not missing.ok and "needs internet" in missing.detail
    local = tmp_path / "my-model"
    local.mkdir()
    (local / "modules.json").write_text("[]")
    assert check_model(str(local)).ok
    # Looked up in the local cache only: no download is attempted, so this answers at once.
    assert not check_model("essaybot-tests/certainly-not-a-cached-model").ok


def test_disk_checks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    check = check_disk(tmp_path / "not" / "created" / "yet")
    assert check.ok and f"at {tmp_path}" in check.detail

    class Usage:
        free = 10 * 2**20

    monkeypatch.setattr(shutil, "disk_usage", lambda _path: Usage())
    low = check_disk(tmp_path)
    assert not low.ok and "keep at least 512 MiB free" in low.detail


@pytest.mark.model
def test_cli_exit_codes(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    runner = CliRunner()
    monkeypatch.delenv("DISCORD_TOKEN", raising=False)
    result = runner.invoke(main, ["--data-dir", str(data_dir), "doctor"])
    assert result.exit_code == 1
    assert result.output.splitlines()[-1] == "6/7 checks passed: fix token"
    assert runner.invoke(main, ["--data-dir", str(data_dir), "doctor", "--no-token"]).exit_code == 0
    monkeypatch.setenv("DISCORD_TOKEN", TOKEN)
    result = runner.invoke(main, ["--data-dir", str(data_dir), "doctor"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1] == "7/7 checks passed"
    assert TOKEN not in result.output
