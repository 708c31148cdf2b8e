"""Where a serving process's memory goes: RSS after each component loads, for one data directory.

Usage: python bench/memory.py DATA_DIR [--questions N] [--tracemalloc] [--serve-only]

Loads, in order, what ``Essaybot.ensure_ready`` loads, and prints the process's resident memory
(anonymous and file-backed, from /proc/self/status) after each step, with the step's increase:

- Python, numpy, SQLAlchemy and the package imports;
- torch and the embedding model (one query embedded);
- the corpus snapshot (essays, passages, paragraphs) read from the database;
- the index generation (FAISS in memory; BM25 and phrase files memory-mapped);
- the retriever and verifier;
- N warm questions (the pages of the memory-mapped files they touch).

``--serve-only`` skips the separate steps: the serving path alone (``ensure_ready``, then the
questions), as a bot process runs it. The peak RSS of the whole process is printed last;
``--tracemalloc`` also reports the Python heap the snapshot holds and its peak while it is read
(slower). Run it in a fresh process per data directory: memory a step frees is kept by the
allocator, so only a fresh process shows each step's own cost. File-backed pages (mapped index
files) are clean: the kernel can drop them under memory pressure and read them again; anonymous
memory it cannot.
"""

from __future__ import annotations

from pathlib import Path

import _essaybot_or_exit  # noqa: F401  (first: one clear line outside .venv)

# isort: split

import argparse
import gc
import json
import resource
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.core.essaybot import Essaybot

REPO = Path(__file__).resolve().parent.parent


def rss() -> dict[str, float]:
    """Resident memory now, in MB: total, anonymous (heap) and file-backed (mapped files, code)."""
    fields = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "RssAnon", "RssFile"):
            fields[key] = int(value.split()[0]) / 1024
    return fields


class Steps:
    """Prints each step's RSS and its increase over the previous step."""

    def __init__(self) -> None:
        self.last = rss()
        self.rows: list[tuple[str, dict[str, float], float]] = []
        print(f"{'step':<44}{'rss':>8}{'+rss':>8}{'anon':>8}{'+anon':>8}{'file':>8}{'s':>7}")

    def __call__(self, name: str, t0: float) -> None:
        gc.collect()
        now = rss()
        d = {k: now[k] - self.last[k] for k in now}
        print(
            f"{name:<44}{now['VmRSS']:8.0f}{d['VmRSS']:+8.0f}{now['RssAnon']:8.0f}{d['RssAnon']:+8.0f}"
            f"{now['RssFile']:8.0f}{time.perf_counter() - t0:7.1f}",
            flush=True,
        )
        self.rows.append((name, d, time.perf_counter() - t0))
        self.last = now


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_dir", type=Path)
    parser.add_argument("--questions", type=int, default=25)
    parser.add_argument("--tracemalloc", action="store_true")
    parser.add_argument("--serve-only", action="store_true", help="ensure_ready and the questions only")
    args = parser.parse_args()
    step = Steps()
    t = time.perf_counter()
    import numpy  # noqa: F401
    import sqlalchemy  # noqa: F401

    from bot.config import load_settings
    from bot.core.essaybot import Essaybot
    from bot.core.library import Library  # noqa: F401

    step("imports (numpy, SQLAlchemy, essaybot)", t)
    t = time.perf_counter()
    app = Essaybot(load_settings(None, data_dir=args.data_dir))
    app.embedder.encode_one("a first question loads the model")
    step("torch + embedding model (one query)", t)
    if args.serve_only:
        t = time.perf_counter()
        app.ensure_ready()
        step("ensure_ready (snapshot, index generation)", t)
        answer(app, args.questions, step)
        return
    t = time.perf_counter()
    if args.tracemalloc:
        import tracemalloc

        tracemalloc.start()
    snap = app.library.snapshot()
    if args.tracemalloc:
        current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(f"  snapshot Python heap: {current / 2**20:.0f} MB held, {peak / 2**20:.0f} MB peak while read")
    step(f"corpus snapshot ({len(snap.essays)} essays, {len(snap)} passages)", t)
    t = time.perf_counter()
    corpus_hash = snap.corpus_hash
    step("corpus hash", t)
    t = time.perf_counter()
    loaded = app.store.load(
        model=app.embedder.model_name,
        corpus_hash=corpus_hash,
        calibration=app.calibration.id,
        snapshot=snap,
        verify="background",
    )
    step(f"index generation ({loaded.manifest.index_kind}) opened", t)
    t = time.perf_counter()
    del snap, loaded
    app.ensure_ready()  # the serving path itself: reads the snapshot and the generation again
    step("ensure_ready (second snapshot, first freed)", t)
    answer(app, args.questions, step)


def answer(app: Essaybot, count: int, step: Steps) -> None:
    """Answer the project's own questions (the pages they touch), then print the peak RSS."""
    questions = [
        json.loads(line)["query"]
        for line in (REPO / "tests" / "data" / "own_who_said.jsonl").read_text().splitlines()
        if line.strip()
    ][:count]
    t = time.perf_counter()
    for q in questions:
        app.who_said(q)
    step(f"{len(questions)} who-said answers", t)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS {peak:.0f} MB")


if __name__ == "__main__":
    main()
