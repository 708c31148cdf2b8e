"""Shared fixtures: one real application over the bundled seeds, built once per test session.

It uses the real offline model and the real pipeline; tests that need it are marked ``model``.

Two rules hold for every test:

- Isolation. The suite never sees the developer's settings: ``ESSAYBOT_*`` variables, the Discord
  token variables and an ``essaybot.toml`` in the working directory (``isolated_settings``). A set
  ``ESSAYBOT_DATABASE_URL`` would otherwise point the seeding at that database.
- Inputs from ``../shared``. The raw seed dumps and the development sets live beside the checkout
  (``SHARED``). A user's clone may not have them, and the tests that need them skip with a reason;
  in CI (``CI=true``, which ``.ci/run`` sets) a missing input fails the run before any test starts.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bot.config import load_settings
from bot.core.essaybot import Essaybot

REPO = Path(__file__).resolve().parents[1]
# The shared raw material beside the checkout, wherever the checkout is (never an absolute path).
SHARED = REPO.parent / "shared"
SHARED_INPUTS = (SHARED / "seeds", SHARED / "eval")

# The test harness's own switches (e.g. ESSAYBOT_TEST_POSTGRES_URL from scripts/test-postgres.sh).
_HARNESS_PREFIX = "ESSAYBOT_TEST_"


def in_ci() -> bool:
    """True in CI, where a missing input is a failure rather than a skip."""
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


def is_user_setting(name: str) -> bool:
    """An environment variable that essaybot reads as a setting (or its token)."""
    upper = name.upper()
    if upper.startswith(_HARNESS_PREFIX):
        return False
    return upper.startswith("ESSAYBOT_") or upper in ("DISCORD_TOKEN", "DISCORD_TOKEN_FILE")


def pytest_sessionstart(session: pytest.Session) -> None:
    """In CI, stop at once when ../shared is missing: its tests would otherwise only skip."""
    missing = [str(path) for path in SHARED_INPUTS if not path.is_dir()]
    if missing and in_ci():
        pytest.exit(f"CI needs the shared inputs beside the checkout, missing: {', '.join(missing)}", 1)


@pytest.fixture(scope="session", autouse=True)
def isolated_settings(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Drop the developer's essaybot settings and run from an empty directory (no ./essaybot.toml).

    Session-wide and autouse, so it is in place before any other fixture builds settings; tests that
    set variables or change directory themselves still do so with monkeypatch, on top of this.
    """
    workdir = tmp_path_factory.mktemp("cwd")
    with pytest.MonkeyPatch.context() as patch:
        for name in list(os.environ):
            if is_user_setting(name):
                patch.delenv(name)
        patch.chdir(workdir)
        yield workdir


@pytest.fixture(scope="session")
def seeded_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Essaybot]:
    """An Essaybot whose data directory holds the ingested seeds."""
    data_dir = tmp_path_factory.mktemp("essaybot-data")
    app = Essaybot(load_settings(None, data_dir=data_dir))
    app.ensure_ready()
    yield app
    app.engine.dispose()


@pytest.fixture(scope="session")
def clone_seeded(seeded_app: Essaybot, tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Path]:
    """Make private copies of the seeded data directory (database via SQLite's backup API, then index)."""

    def clone(name: str) -> Path:
        source_dir = seeded_app.settings.data_dir
        target = tmp_path_factory.mktemp(name)
        src = sqlite3.connect(source_dir / "essaybot.db")
        dst = sqlite3.connect(target / "essaybot.db")
        try:
            src.backup(dst)
        finally:
            src.close()
            dst.close()
        ignore = shutil.ignore_patterns(".lock", "*.tmp-*")
        shutil.copytree(source_dir / "index", target / "index", ignore=ignore)
        return target

    return clone
