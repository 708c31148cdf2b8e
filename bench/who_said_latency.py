"""Warm who-said latency on the seeds, with the model loaded, and peak RSS.

Usage: python bench/who_said_latency.py [--rounds N]
Prints median and p95 over the sample questions (the project's own question file), after a warm-up.
"""

from __future__ import annotations

from pathlib import Path

import _essaybot_or_exit  # noqa: F401  (first: one clear line outside .venv)

# isort: split

import argparse
import json
import resource
import statistics
import tempfile
import time

from bot.config import load_settings
from bot.core.essaybot import Essaybot

QUESTIONS = Path(__file__).resolve().parent.parent / "tests" / "data" / "own_who_said.jsonl"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    queries = [json.loads(line)["query"] for line in QUESTIONS.read_text().splitlines() if line.strip()]
    with tempfile.TemporaryDirectory() as tmp:
        app = Essaybot(load_settings(None, data_dir=Path(tmp)))
        t0 = time.perf_counter()
        app.ensure_ready()
        ready = time.perf_counter() - t0
        for q in queries:  # warm-up: first calls pay for lazy initialisation
            app.who_said(q)
        times = []
        for _ in range(args.rounds):
            for q in queries:
                t = time.perf_counter()
                app.who_said(q)
                times.append((time.perf_counter() - t) * 1000)
    times.sort()
    p95 = times[int(0.95 * (len(times) - 1))]
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"first start (ingest seeds + model load): {ready:.1f} s")
    print(
        f"who-said warm latency over {len(times)} queries: "
        f"median {statistics.median(times):.1f} ms, p95 {p95:.1f} ms"
    )
    print(f"peak RSS: {rss_mb:.0f} MB")


if __name__ == "__main__":
    main()
