"""Adding one essay to a large library: an incremental (delta) generation against a whole rebuild.

Usage: python bench/add_essay.py [--sizes 100 1000] [--work DIR] [--cache FILE ...]

For each size, the library is the seeds plus N synthetic essays of ``bench/scale.py`` (same text,
same seed; SYNTHETIC, see there), ingested into a fresh data directory under ``--work``. Then, in
one process and at the same size:

- add one essay (essay N, the next synthetic one) through the write path: the delta generation;
- remove it and restore it (tombstones, then the delta again);
- add another essay (N+1) with compaction forced: the whole rebuild every change made before;
- a check that the added essay's own sentence is found and attributed to it, and the warm who-said
  median over 20 of the project's questions on the delta generation and on a whole rebuild of the
  same corpus (a copy of the data directory), taking turns.

The library's ``on_publish`` reloads the retriever, as in a running bot, so each timing includes
that reload (reading the corpus back from the database and opening the new generation).

Timings run from the call to the published generation. The two added essays' vectors are put in the
embedding cache first, so both figures are about the index, not the model; the model's time to embed
one essay is printed beside them. ``--cache`` copies an embedding cache (e.g. bench/scale.py's
``/tmp/essaybot-scale/cache/size-1000-seed-13.sqlite``) into each fresh data directory, so the
ingest reuses its vectors; it is only read.
"""

from __future__ import annotations

import sys
from pathlib import Path

import _essaybot_or_exit  # noqa: F401  (first: one clear line outside .venv)

# isort: split

import argparse
import json
import shutil
import time

sys.path.insert(0, str(Path(__file__).resolve().parent))
from scale import SEED, _p, _questions, write_essays

from bot.config import load_settings
from bot.core.essaybot import Essaybot
from bot.corpus.loader import load_essay
from bot.corpus.prepare import prepare
from bot.curation.audit import CLI_ACTOR
from bot.paths import seeds_dir
from bot.search.embed_cache import CACHE_FILE, cache_path, encode_cached


def _timed(action: object) -> float:
    t = time.perf_counter()
    action()  # type: ignore[operator]
    return time.perf_counter() - t


def _latency_ms(apps: dict[str, Essaybot], questions: list[str]) -> dict[str, float]:
    """Median warm who-said time of each app over ``questions``, the apps taking turns per round.

    Taking turns spreads other processes' load over both: the two figures are comparable.
    """
    times: dict[str, list[float]] = {name: [] for name in apps}
    for round_ in range(4):
        for name, app in apps.items():
            for q in questions:
                t = time.perf_counter()
                app.who_said(q)
                if round_:  # the first round warms caches
                    times[name].append((time.perf_counter() - t) * 1000)
    return {name: _p(values, 0.5) for name, values in times.items()}


def measure(size: int, work: Path, caches: list[Path]) -> dict[str, object]:
    """Build the library of ``size`` synthetic essays and time each kind of change on it."""
    folder = work / f"size-{size}"
    shutil.rmtree(folder, ignore_errors=True)
    essays = folder / "essays"
    write_essays(essays, size + 2, SEED)  # essays N and N+1 are the ones added below
    extra = folder / "extra"
    extra.mkdir()
    added = [essays / f"synthetic-{i:05d}.md" for i in (size, size + 1)]
    for path in added:
        path.rename(extra / path.name)
    data_dir = folder / "data"
    (data_dir / "index").mkdir(parents=True)
    for cache in caches:
        if cache.is_file():
            shutil.copyfile(cache, data_dir / "index" / CACHE_FILE)
            break
    app = Essaybot(load_settings(None, data_dir=data_dir))
    print(f"size {size}: ingesting", file=sys.stderr, flush=True)
    ingest_s = _timed(lambda: app.library.ingest([seeds_dir(), essays]))
    app.retriever()
    one, two = (load_essay(extra / p.name) for p in added)
    texts = [p.text for e in (one, two) for p in prepare(e).passages if p.kind == "sentence"]
    embed_s = _timed(lambda: app.embedder.encode(texts[: len(texts) // 2]))  # one essay, uncached
    encode_cached(app.embedder, texts, cache_path(app.store.root))  # both essays' vectors, cached

    row: dict[str, object] = {"size": size, "passages": len(app.library.snapshot()), "ingest_s": ingest_s}
    row["add_delta_s"] = _timed(lambda: app.library.add_essays([one], actor=CLI_ACTOR))
    question = prepare(one).passages[3].text
    answer = app.who_said(question)
    row["found"] = answer.verdict == "found" and answer.results[0].essay.id == one.id
    # The same corpus indexed whole, in a copy of the data directory, for the latency comparison.
    whole_dir = folder / "data-whole"
    shutil.copytree(data_dir, whole_dir, ignore=shutil.ignore_patterns(".lock", "*.tmp-*"))
    whole = Essaybot(load_settings(None, data_dir=whole_dir), embedder=app.embedder)
    whole.library.rebuild(whole.library.snapshot())
    assert app.retriever().snapshot.corpus_hash == whole.retriever().snapshot.corpus_hash
    latency = _latency_ms({"delta": app, "whole": whole}, _questions()[:20])
    row["who_said_p50_delta_ms"], row["who_said_p50_whole_ms"] = latency["delta"], latency["whole"]
    row["remove_delta_s"] = _timed(lambda: app.library.remove_essay_by(one.id, actor=CLI_ACTOR))
    row["restore_delta_s"] = _timed(lambda: app.library.restore_essay_by(one.id, actor=CLI_ACTOR))
    import bot.core.library as library

    library.COMPACT_SHARE = -1.0  # type: ignore[attr-defined]  # every change rebuilds whole, as before deltas
    row["add_whole_s"] = _timed(lambda: app.library.add_essays([two], actor=CLI_ACTOR))
    row["embed_one_essay_s"] = embed_s
    row["essay_passages"] = len(texts) // 2
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", type=int, default=[100])
    parser.add_argument("--work", type=Path, default=Path("/tmp/essaybot-add-essay"))
    parser.add_argument("--cache", nargs="*", type=Path, default=[], help="embedding caches to copy in")
    args = parser.parse_args()
    rows = []
    for size in args.sizes:
        caches = [c for c in args.cache if f"size-{size}-" in c.name] or args.cache
        rows.append(measure(size, args.work, caches))
        print(json.dumps(rows[-1]), flush=True)
    print(
        "\n| essays | passages | add one: delta | add one: whole rebuild | remove | restore "
        "| who-said p50 delta / whole | found |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['size']} | {r['passages']} | {r['add_delta_s']:.2f} s | {r['add_whole_s']:.2f} s "
            f"| {r['remove_delta_s']:.2f} s | {r['restore_delta_s']:.2f} s "
            f"| {r['who_said_p50_delta_ms']:.1f} ms / {r['who_said_p50_whole_ms']:.1f} ms | {r['found']} |"
        )


if __name__ == "__main__":
    main()
