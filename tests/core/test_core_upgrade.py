"""An upgrade's index conversion: the bot keeps answering from the old generation while it runs."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.config import load_settings
from bot.core.essaybot import Essaybot
from bot.paths import DataDir
from bot.search.index_store import IndexStore

pytestmark = pytest.mark.model

QUESTION = "who said there is no truce in the class war"


def outdate(data_dir: Path) -> int:
    """Make the current generation look written by an older release: format 2, another calibration."""
    store = IndexStore(DataDir(data_dir).index)
    generation = store.current_generation()
    assert generation is not None
    path = DataDir(data_dir).index / f"gen-{generation:06d}" / "manifest.json"
    manifest = json.loads(path.read_text())
    manifest.update(format=2, calibration="an-older-calibration", text_indexes=False)
    path.write_text(json.dumps(manifest))
    return generation


def test_the_bot_answers_from_the_old_generation_while_the_new_one_is_built(
    clone_seeded: Callable[[str], Path], seeded_app: Essaybot
) -> None:
    expected = seeded_app.who_said(QUESTION)
    data_dir = clone_seeded("upgrade-background")
    old = outdate(data_dir)
    app = Essaybot(load_settings(None, data_dir=data_dir), embedder=seeded_app.embedder)
    app.rebuild_in_background = True
    try:
        app.ensure_ready()  # returns at once: the conversion runs beside the old generation
        assert app._generation == old  # what it answers from until the new one is published
        during = app.who_said(QUESTION)
        assert (during.verdict, during.results[0].passage_id) == (
            expected.verdict,
            expected.results[0].passage_id,
        )
        assert app.wait_for_rebuild(timeout=300)
        store = app.store
        assert store.current_generation() == old + 1
        after = app.who_said(QUESTION)  # the next question switches to the new generation
        assert app._generation == old + 1
        assert (after.verdict, after.results[0].passage_id) == (
            expected.verdict,
            expected.results[0].passage_id,
        )
        assert not DataDir(data_dir).index_build.exists()  # the progress file goes with the build
    finally:
        app.engine.dispose()


def test_a_command_line_process_converts_before_it_answers(
    clone_seeded: Callable[[str], Path], seeded_app: Essaybot
) -> None:
    data_dir = clone_seeded("upgrade-now")
    old = outdate(data_dir)
    app = Essaybot(load_settings(None, data_dir=data_dir), embedder=seeded_app.embedder)
    try:
        app.ensure_ready()  # a one-shot process would end before a background build
        assert app.store.current_generation() == old + 1
        assert app.wait_for_rebuild(timeout=0)
    finally:
        app.engine.dispose()


def test_a_damaged_index_is_never_answered_from(
    clone_seeded: Callable[[str], Path], seeded_app: Essaybot
) -> None:
    data_dir = clone_seeded("upgrade-damaged")
    old = outdate(data_dir)
    faiss_file = DataDir(data_dir).index / f"gen-{old:06d}" / "sentences.faiss"
    faiss_file.write_bytes(b"\0" * faiss_file.stat().st_size)
    app = Essaybot(load_settings(None, data_dir=data_dir), embedder=seeded_app.embedder)
    app.rebuild_in_background = True
    try:
        app.ensure_ready()  # damaged: rebuilt before the first answer, even for the bot
        assert app.store.current_generation() == old + 1
        assert app.who_said(QUESTION).verdict == "found"
    finally:
        app.engine.dispose()
