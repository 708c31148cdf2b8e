"""How far a whole index build has got, for ``essaybot health`` (another process) to report.

A whole build of a large library (the first import, an upgrade's conversion, a rebuild after damage)
takes minutes. While it runs, the process doing it keeps ``index/BUILDING.json`` up to date: the
stage, how many passages are done, and its pid. The health check then says "rebuilding the index:
42%" instead of calling a busy bot unhealthy; the file is removed when the build ends, however it
ends, and a file whose process is gone (``kill -9``) is ignored.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

log = logging.getLogger(__name__)

Progress = Callable[[str, int, int], None]  # (stage, done, total), as the ingest reports it
# Embedding is most of a build; writing the FAISS, keyword and phrase files is the rest.
EMBEDDING_SHARE = 0.9
WRITE_EVERY_SECONDS = 1.0  # a progress file rewritten per batch would cost more than it tells


@dataclass(frozen=True)
class BuildStatus:
    """One snapshot of a build's progress."""

    pid: int
    started: float
    updated: float
    stage: str  # "embedding" or "writing"
    done: int
    total: int

    @property
    def percent(self) -> int:
        """Share of the build done, 0–99 (the file is gone at 100)."""
        if self.stage != "embedding":
            return round(100 * EMBEDDING_SHARE)
        return min(99, round(100 * EMBEDDING_SHARE * self.done / self.total)) if self.total else 0

    def line(self) -> str:
        """``rebuilding the index: 42% (embedding 1,234 of 85,000 passages)``."""
        what = (
            f"embedding {self.done:,} of {self.total:,} passages"
            if self.stage == "embedding"
            else "writing the index files"
        )
        return f"rebuilding the index: {self.percent}% ({what})"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: it exists
        return True
    return True


def read_build_status(path: Path) -> BuildStatus | None:
    """The build in progress, or None: no file, an unreadable one, or its process is gone."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        status = BuildStatus(**raw)
    except (OSError, ValueError, TypeError):
        return None
    return status if _alive(status.pid) else None


class BuildProgress:
    """Writes a build's progress file while forwarding every report to ``forward``."""

    def __init__(self, path: Path, forward: Progress | None = None):
        self.path = path
        self.forward = forward
        self.started = time.time()
        self._last = 0.0

    def __call__(self, stage: str, done: int, total: int) -> None:
        """Report progress: ``stage`` "embedding" with passages done of total, or "writing"."""
        if self.forward is not None:
            self.forward(stage, done, total)
        now = time.time()
        if now - self._last >= WRITE_EVERY_SECONDS or done == total:
            self._last = now
            self._write(BuildStatus(os.getpid(), self.started, now, stage, done, total))

    def _write(self, status: BuildStatus) -> None:
        tmp = self.path.with_name(f"{self.path.name}.tmp-{os.getpid()}")
        try:
            tmp.write_text(json.dumps(asdict(status)), encoding="utf-8")
            tmp.replace(self.path)
        except OSError as exc:
            # Neither stops the build nor adds a line to the one error a full disk gets: the build
            # fails on its own files anyway, and health only says less meanwhile.
            log.debug("cannot write the index build progress: %s", exc.strerror or exc)
            tmp.unlink(missing_ok=True)

    @contextlib.contextmanager
    def running(self) -> Iterator[BuildProgress]:
        """The progress file exists for exactly the duration of the ``with`` block."""
        self._write(BuildStatus(os.getpid(), self.started, time.time(), "embedding", 0, 0))
        try:
            yield self
        finally:
            self.path.unlink(missing_ok=True)
