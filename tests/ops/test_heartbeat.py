"""The heartbeat file: atomic writes, tolerant reads, and never an exception from a failed write."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import pytest

from bot.ops.heartbeat import HEARTBEAT_FILE, MAX_DETAIL_CHARS, Heartbeat, read_heartbeat, write_heartbeat


def test_round_trip(tmp_path: Path) -> None:
    write_heartbeat(tmp_path, "connected", "shard 0", now=1_000.5)
    beat = read_heartbeat(tmp_path)
    assert beat == Heartbeat(state="connected", updated=1_000.5, pid=os.getpid(), detail="shard 0")
    raw = json.loads((tmp_path / HEARTBEAT_FILE).read_text())
    assert set(raw) == {"state", "updated", "pid", "detail"}


def test_rewrite_leaves_no_temporary_files(tmp_path: Path) -> None:
    for i, state in enumerate(("starting", "connecting", "backoff", "connected", "stopped")):
        write_heartbeat(tmp_path, state, now=float(i))  # type: ignore[arg-type]
    assert [p.name for p in tmp_path.iterdir()] == [HEARTBEAT_FILE]
    beat = read_heartbeat(tmp_path)
    assert beat is not None and (beat.state, beat.updated) == ("stopped", 4.0)


def test_creates_the_data_directory(tmp_path: Path) -> None:
    write_heartbeat(tmp_path / "new" / "data", "starting", now=1.0)
    assert read_heartbeat(tmp_path / "new" / "data") is not None


def test_long_detail_is_cut(tmp_path: Path) -> None:
    write_heartbeat(tmp_path, "backoff", "x" * 5000, now=1.0)
    beat = read_heartbeat(tmp_path)
    assert beat is not None and len(beat.detail) == MAX_DETAIL_CHARS


def test_unwritable_location_logs_instead_of_raising(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    not_a_dir = tmp_path / "file"
    not_a_dir.write_text("")
    with caplog.at_level(logging.WARNING, logger="bot.ops.heartbeat"):
        write_heartbeat(not_a_dir, "connected", now=1.0)
    assert "cannot write heartbeat" in caplog.text
    assert read_heartbeat(not_a_dir) is None


def test_unknown_state_is_a_bug(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown heartbeat state"):
        write_heartbeat(tmp_path, "dancing", now=1.0)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "content",
    [
        "",
        "not json",
        "[1, 2]",
        '{"state": "dancing", "updated": 1, "pid": 1}',
        '{"state": "connected", "updated": "soon", "pid": 1}',
        '{"state": "connected", "updated": true, "pid": 1}',
        '{"state": "connected", "updated": 1}',
        '{"state": "connected", "updated": 1, "pid": 1, "detail": 7}',
    ],
)
def test_unreadable_heartbeats_are_none(tmp_path: Path, content: str) -> None:
    (tmp_path / HEARTBEAT_FILE).write_text(content)
    assert read_heartbeat(tmp_path) is None


def test_missing_heartbeat_is_none(tmp_path: Path) -> None:
    assert read_heartbeat(tmp_path) is None


def test_age_is_never_negative() -> None:
    beat = Heartbeat(state="connected", updated=100.0, pid=1)
    assert beat.age(now=130.0) == 30.0
    assert beat.age(now=50.0) == 0.0  # a clock that went back
