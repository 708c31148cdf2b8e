"""Shared fixtures for the corpus tests: the bundled seeds, loaded and cleaned once per session."""

from __future__ import annotations

import pytest

from bot.corpus.cleaner import clean
from bot.corpus.loader import load_corpus
from bot.corpus.models import CleanResult, Essay
from bot.paths import seeds_dir


@pytest.fixture(scope="session")
def seed_essays() -> dict[str, Essay]:
    """The five bundled seed essays, by id."""
    return {e.id: e for e in load_corpus([seeds_dir()])}


@pytest.fixture(scope="session")
def seed_cleaned(seed_essays: dict[str, Essay]) -> dict[str, CleanResult]:
    """Each seed's clean result, by essay id."""
    return {eid: clean(e.body, e.meta) for eid, e in seed_essays.items()}
