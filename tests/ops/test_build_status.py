"""The progress file of a whole index build: there while it runs, gone after, ignored once its process is."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.ops.build_status import BuildProgress, BuildStatus, read_build_status


def test_the_file_exists_while_the_build_runs_and_forwards_every_report(tmp_path: Path) -> None:
    path = tmp_path / "BUILDING.json"
    seen: list[tuple[str, int, int]] = []
    with BuildProgress(path, lambda *report: seen.append(report)).running() as progress:
        status = read_build_status(path)
        assert status is not None and status.pid == os.getpid() and status.percent == 0
        progress("embedding", 500, 1000)
        progress("embedding", 1000, 1000)  # the last batch is always written
        status = read_build_status(path)
        assert status is not None and status.percent == 90
        assert status.line() == "rebuilding the index: 90% (embedding 1,000 of 1,000 passages)"
        progress("writing", 0, 1)
    assert not path.exists()
    assert seen == [("embedding", 500, 1000), ("embedding", 1000, 1000), ("writing", 0, 1)]


def test_the_file_goes_when_the_build_fails(tmp_path: Path) -> None:
    path = tmp_path / "BUILDING.json"
    with pytest.raises(RuntimeError), BuildProgress(path).running():
        raise RuntimeError("disk full")
    assert not path.exists()


def test_a_build_whose_process_is_gone_is_not_reported(tmp_path: Path) -> None:
    path = tmp_path / "BUILDING.json"
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    status = BuildStatus(int(gone.stdout), 0.0, 0.0, "embedding", 10, 100)
    path.write_text(json.dumps(status.__dict__))
    assert read_build_status(path) is None  # killed mid-build: the file stayed behind
    path.write_text("{not json")
    assert read_build_status(path) is None
    assert read_build_status(tmp_path / "absent.json") is None


@pytest.mark.parametrize(
    ("stage", "done", "total", "percent"),
    [("embedding", 0, 0, 0), ("embedding", 1, 3, 30), ("embedding", 3, 3, 90), ("writing", 0, 1, 90)],
)
def test_percent_counts_embedding_as_most_of_the_build(
    stage: str, done: int, total: int, percent: int
) -> None:
    assert BuildStatus(1, 0.0, 0.0, stage, done, total).percent == percent
