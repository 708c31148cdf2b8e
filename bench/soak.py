"""Soak: many who-said questions in one process, and how much its memory grows after warm-up.

Usage: .venv/bin/python bench/soak.py [--questions N]
Cycles through the project's own question files (N answers in all, 10,000 by default), logging each
interaction as the CLI does, and prints the resident memory after a warm-up of 500 answers, every
2,000 answers, and at the end, with the growth after warm-up (goal: under 5%).
"""

from __future__ import annotations

from pathlib import Path

import _essaybot_or_exit  # noqa: F401  (first: one clear line outside .venv)

# isort: split

import argparse
import itertools
import json
import tempfile
import time

from bot.config import load_settings
from bot.core.essaybot import Essaybot

DATA = Path(__file__).resolve().parent.parent / "tests" / "data"
WARM_UP = 500
REPORT_EVERY = 2000


def rss_mb() -> float:
    """Current resident set size, from /proc (the peak would hide a leak's slope)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--questions", type=int, default=10_000)
    args = parser.parse_args()
    queries = [
        json.loads(line)["query"]
        for f in sorted(DATA.glob("*.jsonl"))
        if not f.name.startswith(("heldout", "own_compare"))
        for line in f.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    with tempfile.TemporaryDirectory() as tmp:
        app = Essaybot(load_settings(None, data_dir=Path(tmp)))
        app.ensure_ready()
        base = 0.0
        t0 = time.perf_counter()
        for n, q in enumerate(itertools.islice(itertools.cycle(queries), args.questions), 1):
            with app.recorded("who-said", {"query": q}) as entry:
                answer = app.who_said(q)
                entry.describe_answer(answer, app.calibration.id)
                entry.passage_ids = [r.passage_id for r in answer.results]
            if n == WARM_UP:
                base = rss_mb()
                print(f"after warm-up ({n} answers): {base:.0f} MB", flush=True)
            elif n % REPORT_EVERY == 0:
                print(f"after {n} answers: {rss_mb():.0f} MB", flush=True)
        end = rss_mb()
        elapsed = time.perf_counter() - t0
    growth = (end - base) / base * 100 if base else 0.0
    print(f"{args.questions} answers in {elapsed:.0f} s; RSS {base:.0f} → {end:.0f} MB")
    print(f"growth after warm-up: {growth:+.1f}% (goal: under 5%)")


if __name__ == "__main__":
    main()
