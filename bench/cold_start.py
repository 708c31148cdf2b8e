"""Cold timings of the CLI as a new user meets it: ingest of the seeds, and the first who-said.

Usage: python bench/cold_start.py
Each command runs in a fresh process on a fresh data directory, model load included.
"""

from __future__ import annotations

import sys
from pathlib import Path

import _essaybot_or_exit  # noqa: F401  (first: one clear line outside .venv)

# isort: split

import shutil
import subprocess
import tempfile
import time

ESSAYBOT = [sys.executable, "-m", "bot"]


def timed(cmd: list[str]) -> float:
    t = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t


def main() -> None:
    tmp = Path(tempfile.mkdtemp())
    try:
        ingest = timed([*ESSAYBOT, "--data-dir", str(tmp / "a"), "ingest"])
        first = timed([*ESSAYBOT, "--data-dir", str(tmp / "b"), "who-said", "no truce in the class war"])
        warm = timed([*ESSAYBOT, "--data-dir", str(tmp / "b"), "who-said", "no truce in the class war"])
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"ingest of the seeds, fresh process and data dir: {ingest:.1f} s")
    print(f"first who-said on a fresh data dir (ingests the seeds itself): {first:.1f} s")
    print(f"who-said in a new process on an existing data dir: {warm:.1f} s")


if __name__ == "__main__":
    main()
