"""Shared fixtures: one real application over the bundled seeds, built once per test session.

It uses the real offline model and the real pipeline; tests that need it are marked ``model``.
"""

from __future__ import annotations

from collections.abc import Iterator

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
