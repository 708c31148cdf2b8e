"""The heartbeat file: how a running bot tells ``essaybot health`` (another process) how it is doing.

The bot rewrites ``<data_dir>/heartbeat`` on every change of state and every
``discord.heartbeat_seconds`` while connected. The health check judges freshness by the ``updated``
time inside the file rather than its mtime, so that a copied file keeps its meaning and tests can
inject the clock.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, cast, get_args

from bot.paths import DataDir

log = logging.getLogger(__name__)

HEARTBEAT_FILE = DataDir.HEARTBEAT
HeartbeatState = Literal["starting", "connecting", "connected", "backoff", "stopped", "fatal"]
STATES: tuple[str, ...] = get_args(HeartbeatState)
# Details are shown by `essaybot health`; a long exception text is cut rather than filling the log.
MAX_DETAIL_CHARS = 300


@dataclass(frozen=True)
class Heartbeat:
    """The last state a bot process reported, and when."""

    state: HeartbeatState
    updated: float
    pid: int
    detail: str = ""

    def age(self, now: float | None = None) -> float:
        """Seconds since the last update (never negative, even with a clock that went back)."""
        return max(0.0, (time.time() if now is None else now) - self.updated)


def heartbeat_path(data_dir: Path) -> Path:
    """Where the heartbeat of the bot using ``data_dir`` lives."""
    return DataDir(data_dir).heartbeat


def write_heartbeat(
    data_dir: Path,
    state: HeartbeatState,
    detail: str = "",
    *,
    now: float | None = None,
) -> None:
    """Atomically replace the heartbeat file; log and carry on if it cannot be written.

    A full disk or a read-only volume must not take the bot down: the health check will report the
    heartbeat as stale instead, which is the truth.
    """
    if state not in STATES:
        raise ValueError(f"unknown heartbeat state {state!r}")
    payload = {
        "state": state,
        "updated": time.time() if now is None else now,
        "pid": os.getpid(),
        "detail": detail[:MAX_DETAIL_CHARS],
    }
    target = heartbeat_path(data_dir)
    # Unique per process, so a CLI and the bot writing at once never share a temporary file.
    tmp = target.with_name(f".{HEARTBEAT_FILE}.{os.getpid()}.tmp")
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        tmp.write_text(json.dumps(payload), encoding="utf-8")
        tmp.replace(target)
    except OSError as exc:
        log.warning("cannot write heartbeat %s: %s", target, exc.strerror or exc)
        with contextlib.suppress(OSError):
            tmp.unlink()


def read_heartbeat(data_dir: Path) -> Heartbeat | None:
    """The heartbeat in ``data_dir``, or None when there is none or it cannot be understood."""
    path = heartbeat_path(data_dir)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        log.debug("unreadable heartbeat %s: %s", path, exc)
        return None
    if not isinstance(raw, dict):
        return None
    state, updated, pid, detail = raw.get("state"), raw.get("updated"), raw.get("pid"), raw.get("detail", "")
    if (
        state not in STATES
        or not isinstance(updated, int | float)
        or isinstance(updated, bool)
        or not isinstance(pid, int)
        or not isinstance(detail, str)
    ):
        log.debug("heartbeat %s has unexpected content", path)
        return None
    return Heartbeat(state=cast(HeartbeatState, state), updated=float(updated), pid=pid, detail=detail)
