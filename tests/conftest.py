"""Shared fixtures: one real application over the bundled seeds, built once per test session.

It uses the real offline model and the real pipeline; tests that need it are marked ``model``.
"""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bot.app import Essaybot
from bot.config import load_settings


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
