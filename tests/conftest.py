"""Shared fixtures: one real application over the bundled seeds, built once per test session.

It uses the real offline model and the real pipeline; tests that need it are marked ``model``.
"""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Iterator
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


def clone_data_dir(source_dir: Path, target: Path) -> Path:
    """A private copy of a data directory: the database through SQLite's backup API, then the index."""
    target.mkdir(parents=True, exist_ok=True)
    src = sqlite3.connect(source_dir / "essaybot.db")
    dst = sqlite3.connect(target / "essaybot.db")
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()
    shutil.copytree(source_dir / "index", target / "index", ignore=shutil.ignore_patterns(".lock", "*.tmp-*"))
    return target
