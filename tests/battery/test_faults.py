"""Faults on disk and in flight, through the real ``essaybot`` command line (subprocesses).

- A damaged index file (bytes zeroed in place, or the file cut short) is caught by the manifest's
  checksums at load; the index is rebuilt and ``who-said`` still finds an exact quote.
- ``essaybot ingest`` killed with SIGKILL while it embeds leaves a sound database holding none or all
  of the new essays; ``who-said`` still answers, and running the ingest again completes.

Each test works on a private copy of the seeded data directory, named by ``ESSAYBOT_DATA_DIR``.
Timeouts here only stop a hang; nothing asserts how long anything takes.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

import numpy as np
import pytest

from bot.search.index_store import file_sha256, generation_files

pytestmark = pytest.mark.model  # the data directories are clones of the seeded one (real model)

CHICKENS = "the chickens have come home to roost"
HANG = 600  # seconds: only against a hang, never a measurement
NEW_ESSAYS = 30


def _env(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ESSAYBOT_", "DISCORD_TOKEN"))}
    env.update(ESSAYBOT_DATA_DIR=str(data_dir), COLUMNS="200", **extra)
    return env


def essaybot(*args: str, data_dir: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    """``python -m bot ARGS`` with ``ESSAYBOT_DATA_DIR=data_dir``."""
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        env=_env(data_dir),
        capture_output=True,
        text=True,
        timeout=HANG,
        check=False,
    )


def who_said_chickens(data_dir: Path, cwd: Path) -> dict[str, Any]:
    run = essaybot("who-said", CHICKENS, "--json", data_dir=data_dir, cwd=cwd)
    assert run.returncode == 0, run.stderr[-2000:]
    assert "Traceback" not in run.stderr
    answer: dict[str, Any] = json.loads(run.stdout)
    return answer


def current_generation(data_dir: Path) -> Path:
    index = data_dir / "index"
    return index / (index / "CURRENT").read_text().strip()


def assert_generation_sound(folder: Path) -> None:
    """Every index file of the generation matches the checksum its manifest records."""
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["checksums"] == {name: file_sha256(folder / name) for name in generation_files(folder)}


@pytest.fixture
def data_dir(clone_seeded: Callable[[str], Path]) -> Path:
    return clone_seeded("faults")


@pytest.fixture
def cwd(tmp_path: Path) -> Path:
    """An empty working directory: no stray ./essaybot.toml is read."""
    folder = tmp_path / "cwd"
    folder.mkdir()
    return folder


# -- a damaged index file is rebuilt ------------------------------------------------------------------


def _zero_in_place(path: Path) -> None:
    """Zero every vector byte after the header, in place: same size, and FAISS still reads it."""
    size = path.stat().st_size
    with path.open("r+b") as fh:
        fh.seek(64)
        fh.write(b"\0" * (size - 64))


def _truncate(path: Path) -> None:
    with path.open("r+b") as fh:
        fh.truncate(path.stat().st_size // 2)


@pytest.mark.parametrize("damage", [_zero_in_place, _truncate], ids=["zeroed", "truncated"])
def test_damaged_index_is_rebuilt_and_still_answers(
    data_dir: Path, cwd: Path, damage: Callable[[Path], None]
) -> None:
    before = current_generation(data_dir)
    assert who_said_chickens(data_dir, cwd)["verdict"] == "found"
    damage(before / "sentences.faiss")

    answer = who_said_chickens(data_dir, cwd)
    assert answer["verdict"] == "found", answer
    assert any("chickens have come home to roost" in r["quote"] for r in answer["results"])
    # It was rebuilt: a newer generation, whose files match their checksums.
    after = current_generation(data_dir)
    assert after.name > before.name
    assert_generation_sound(after)


# -- SIGKILL while ingest embeds ----------------------------------------------------------------------

_WORDS = [
    *("council", "tenants", "wages", "strike", "union", "harbour", "bakery", "ledger", "meeting"),
    *("pamphlet", "rent", "bread", "factory", "shift", "picket", "railway", "ballot", "kitchen"),
    *("library", "school", "clinic", "market", "river", "bridge", "winter", "ferry", "printer"),
]


def _write_essays(folder: Path, count: int) -> list[str]:
    """``count`` small essays with distinct, deterministic text; returns their ids."""
    rng = np.random.default_rng(20261205)
    folder.mkdir()
    ids = []
    for n in range(count):
        essay_id = f"fault-{n:02d}-essay"
        sentences = []
        for s in range(24):
            words = " ".join(rng.choice(_WORDS, size=9))
            sentences.append(f"In essay {n} line {s} the {words} stayed open.")
        paragraphs = "\n\n".join(" ".join(sentences[i : i + 4]) for i in range(0, len(sentences), 4))
        (folder / f"{essay_id}.md").write_text(
            f'---\nid: "{essay_id}"\ntitle: "Fault essay {n}"\nauthors: ["Writer {n}"]\n'
            f'publication: "Fault Quarterly"\ndate: "2024-05"\n---\n{paragraphs}\n'
        )
        ids.append(essay_id)
    return ids


def _watch(stream: IO[str], seen: threading.Event, sink: list[str]) -> None:
    """Read the progress output until it ends, setting ``seen`` once the embedding stage shows."""
    for chunk in iter(lambda: stream.read(1), ""):
        sink.append(chunk)
        if not seen.is_set() and "embedding" in "".join(sink[-200:]):
            seen.set()


def _stored(data_dir: Path, ids: list[str]) -> int:
    """How many of ``ids`` the database holds, after checking that it is a sound SQLite file."""
    with contextlib.closing(sqlite3.connect(data_dir / "essaybot.db")) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        marks = ",".join("?" * len(ids))
        (count,) = conn.execute(f"SELECT COUNT(*) FROM essays WHERE id IN ({marks})", ids).fetchone()
    return int(count)


def test_kill_during_ingest_embedding_is_recoverable(data_dir: Path, cwd: Path) -> None:
    ids = _write_essays(cwd / "new", NEW_ESSAYS)
    # FORCE_COLOR and TTY_INTERACTIVE make rich draw its progress bar into the pipe, so the test can
    # see the embedding stage start, as a user at a terminal would.
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "ingest", str(cwd / "new")],
        cwd=cwd,
        env=_env(data_dir, FORCE_COLOR="1", TTY_INTERACTIVE="1", TERM="xterm"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        errors="replace",
    )
    assert proc.stderr is not None
    embedding = threading.Event()
    output: list[str] = []
    reader = threading.Thread(target=_watch, args=(proc.stderr, embedding, output), daemon=True)
    reader.start()
    try:
        assert embedding.wait(HANG), f"the embedding stage never showed: {''.join(output)[-2000:]}"
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.kill()  # no-op when already dead; never leave it running if the wait failed
        proc.wait(timeout=60)
        reader.join(timeout=60)
    assert proc.returncode == -signal.SIGKILL, (proc.returncode, "".join(output)[-2000:])

    # All or nothing: the essays are written in one transaction after the index generation is saved.
    assert _stored(data_dir, ids) in (0, NEW_ESSAYS)
    answer = who_said_chickens(data_dir, cwd)
    assert answer["verdict"] == "found", answer

    rerun = essaybot("ingest", str(cwd / "new"), "--json", data_dir=data_dir, cwd=cwd)
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    assert "Traceback" not in rerun.stderr
    report = json.loads(rerun.stdout)
    assert sorted(report["added"] + report["unchanged"]) == ids
    assert _stored(data_dir, ids) == NEW_ESSAYS
    assert_generation_sound(current_generation(data_dir))
    # The killed run's half-written generation folder (if any) is gone after the next publish.
    assert not [p.name for p in (data_dir / "index").iterdir() if ".tmp-" in p.name]
    assert who_said_chickens(data_dir, cwd)["verdict"] == "found"
