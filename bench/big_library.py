"""Start-up and memory of a library too large to embed on this machine (10,000 essays: ~1 M passages).

Usage: .venv/bin/python bench/big_library.py [--essays 10000] [--work DIR] [--rounds 3]

The essays are ``bench/scale.py``'s SYNTHETIC ones (real clauses of the seeds recombined, fixed seed,
every passage distinct). Embedding a million passages takes hours on two cores, so their vectors are
drawn at random (unit length, fixed seed) and put in the embedding cache before the ingest, which
then embeds nothing. Everything else is the product's own path: the ingest (preparing, storing,
building the ``hnsw-sq8`` index and the keyword and phrase files), then fresh serving processes.

Random vectors make these figures about COST only: start-up, resident memory and the latency of a
question's path. Answer quality, recall and the model's throughput are not measured here (see
``bench/scale.py`` up to 1,000 essays, on real embeddings).

Per round, a fresh process prints: opening the library (``ensure_ready``: the corpus from its index
generation, the index files), the first answer (the model's load included), the median and p95 of
warm who-said over the project's questions, the peak resident memory, and what is resident at the
end by mapped index file (the vectors, the FAISS file, the keyword lists) and the rest. The import
and model load alone are measured in another fresh process, for the part of the start that does not
grow with the library. Last, another fresh process adds one essay (``tests/data/upload_essay.md``;
the model is loaded before the clock starts, its embedding is included), removes it and restores
it. The data directory is kept under ``--work`` for reruns (``--reuse`` skips the build).
"""

from __future__ import annotations

import sys
from pathlib import Path

import _essaybot_or_exit  # noqa: F401  (first: one clear line outside .venv)

# isort: split

import argparse
import json
import shutil
import subprocess
import time

sys.path.insert(0, str(Path(__file__).resolve().parent))
from scale import SEED, _p, _peak_rss_mb, _questions, write_essays

from bot.corpus.loader import load_corpus
from bot.corpus.prepare import prepare_all
from bot.paths import seeds_dir

REPO = Path(__file__).resolve().parent.parent


def build(folder: Path, count: int, real: Path | None) -> None:
    """Write the essays, cache a vector per passage text, and ingest them into ``folder/data``.

    The vectors are random unless ``real`` names an embedding cache to fill with the model's own
    (kept outside ``folder``, so that an interrupted run resumes where it stopped).
    """
    import numpy as np

    from bot.config import load_settings
    from bot.core.essaybot import Essaybot
    from bot.search.embed_cache import EmbeddingCache, cache_path, encode_cached, text_hash

    shutil.rmtree(folder, ignore_errors=True)
    essays = folder / "essays"
    write_essays(essays, count, SEED)
    paths = [seeds_dir(), essays]
    app = Essaybot(load_settings(None, data_dir=folder / "data"))
    t = time.perf_counter()
    texts = sorted({p.text for e in prepare_all(load_corpus(paths)) for p in e.passages})
    if real is not None:
        real.parent.mkdir(parents=True, exist_ok=True)
        for lo in range(0, len(texts), 20_000):  # one progress line per chunk; each batch is committed
            _, embedded = encode_cached(app.embedder, texts[lo : lo + 20_000], real)
            print(
                f"  {min(lo + 20_000, len(texts))}/{len(texts)} vectors ({embedded} embedded now), "
                f"{time.perf_counter() - t:.0f} s",
                file=sys.stderr,
                flush=True,
            )
        app.store.root.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(real, cache_path(app.store.root))
        print(f"  {len(texts)} model vectors cached in {time.perf_counter() - t:.0f} s", file=sys.stderr)
    else:
        rng = np.random.default_rng(SEED)
        with EmbeddingCache(cache_path(app.store.root)) as cache:
            for lo in range(0, len(texts), 50_000):
                chunk = texts[lo : lo + 50_000]
                vectors = rng.standard_normal((len(chunk), app.embedder.dimension)).astype(np.float32)
                vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
                cache.put(app.embedder.model_name, [text_hash(x) for x in chunk], vectors)
        print(f"  {len(texts)} random vectors cached in {time.perf_counter() - t:.0f} s", file=sys.stderr)
    t = time.perf_counter()
    report = app.library.ingest(paths)
    print(
        f"  ingest: {report.passages} passages, {report.embedded} embedded, {time.perf_counter() - t:.0f} s, "
        f"peak RSS {_peak_rss_mb():.0f} MB",
        file=sys.stderr,
    )


def _own_peak_mb() -> float:
    """This process's own peak resident memory (VmHWM). ``getrusage`` would also count the memory
    the parent had when it started this process, and a parent that built the library holds gigabytes."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return _peak_rss_mb()


def _resident_by_kind() -> dict[str, float]:
    """Resident MB of this process by what is mapped: each index file (by its name inside the
    generation, the base's and the delta's together), and the rest (heap, libraries, the model).

    Mapped index pages count in the peak but belong to the page cache: this shows which file a
    memory limit squeezes (the vectors, the FAISS graph, the keyword lists).
    """
    resident: dict[str, float] = {}
    name = "rest"
    for line in Path("/proc/self/smaps").read_text().splitlines():
        fields = line.split()
        if "-" in fields[0] and len(fields) >= 5 and ":" in fields[3]:  # a mapping's header line
            path = fields[5] if len(fields) > 5 else ""
            name = "index " + path.split("/index/", 1)[1].split("/", 1)[1] if "/index/" in path else "rest"
            name = name.replace("index delta/", "index ")
        elif fields[0] == "Rss:":
            resident[name] = resident.get(name, 0.0) + int(fields[1]) / 1024
    return dict(sorted(resident.items(), key=lambda kv: -kv[1]))


def child_serve(data_dir: Path) -> None:
    """One fresh serving process: open, first answer, warm answers, peak RSS (one JSON line)."""
    t0 = time.perf_counter()
    from bot.config import load_settings
    from bot.core.essaybot import Essaybot

    imported = time.perf_counter() - t0
    questions = _questions()
    app = Essaybot(load_settings(None, data_dir=data_dir))
    t = time.perf_counter()
    app.ensure_ready()
    opened = time.perf_counter() - t
    t = time.perf_counter()
    app.who_said(questions[0])
    first = time.perf_counter() - t
    for q in questions[:20]:
        app.who_said(q)
    times = []
    for q in questions:
        t = time.perf_counter()
        app.who_said(q)
        times.append((time.perf_counter() - t) * 1000)
    # Retrieval alone, as who-said runs it (embedding, candidates, ranking), without the verifier:
    # the claim-verification issue owns the verifier's cost.
    # The bare pipeline beside it: embed the question and one FAISS search (the yardstick).
    r, depth = app.retriever(), app.settings.top_k * 3
    retrieval, bare = [], []
    for q in questions:
        text = app.parse(q).text
        t = time.perf_counter()
        r.search(text, k=depth, query_vector=r.embed([text]))
        retrieval.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        r.indexes.dense.search(r.embed([text]), 10)
        bare.append((time.perf_counter() - t) * 1000)
    snap = r.snapshot
    figures = {
        "passages": len(snap),
        "essays": len(snap.essays),
        "from_generation": snap.from_generation,
        "import_s": imported,
        "open_s": opened,
        "first_answer_s": first,
        "who_p50_ms": _p(times, 0.5),
        "who_p95_ms": _p(times, 0.95),
        "retrieval_p50_ms": _p(retrieval, 0.5),
        "retrieval_p95_ms": _p(retrieval, 0.95),
        "bare_p50_ms": _p(bare, 0.5),
        "bare_p95_ms": _p(bare, 0.95),
        "rss_mb": _own_peak_mb(),
        "resident_mb": _resident_by_kind(),
    }
    print(json.dumps(figures), flush=True)


def child_change(data_dir: Path) -> None:
    """One fresh process: add an essay (the model loaded first), remove it, restore it (one JSON line)."""
    from bot.config import load_settings
    from bot.core.essaybot import Essaybot
    from bot.corpus.loader import load_essay
    from bot.curation.audit import CLI_ACTOR

    app = Essaybot(load_settings(None, data_dir=data_dir))
    app.ensure_ready()
    app.embedder.encode_one("the model is loaded before the clock starts")
    essay = load_essay(REPO / "tests" / "data" / "upload_essay.md")
    figures = {}
    for name, action in (
        ("add_s", lambda: app.library.add_essays([essay], actor=CLI_ACTOR)),
        ("remove_s", lambda: app.library.remove_essay_by(essay.id, actor=CLI_ACTOR)),
        ("restore_s", lambda: app.library.restore_essay_by(essay.id, actor=CLI_ACTOR)),
    ):
        t = time.perf_counter()
        action()
        figures[name] = time.perf_counter() - t
    print(json.dumps(figures), flush=True)


def child_model() -> None:
    """Import essaybot and load the model with no library: the start no library size changes."""
    t0 = time.perf_counter()
    from bot.search.embedder import Embedder

    Embedder().encode_one("no truce in the class war")
    print(json.dumps({"model_s": time.perf_counter() - t0, "rss_mb": _own_peak_mb()}), flush=True)


def _child(*args: str) -> dict[str, object]:
    out = subprocess.run([sys.executable, __file__, *args], check=True, stdout=subprocess.PIPE, text=True)
    result: dict[str, object] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--essays", type=int, default=10_000, help="synthetic essays besides the seeds")
    parser.add_argument("--work", type=Path, default=Path("/tmp/essaybot-big"))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--reuse", action="store_true", help="serve the library built by a previous run")
    parser.add_argument(
        "--real-vectors",
        type=Path,
        metavar="CACHE",
        help="embed every passage with the model (hours), resumably into this embedding cache file",
    )
    parser.add_argument("--child-serve", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--child-model", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--child-change", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_serve:
        child_serve(args.child_serve)
        return
    if args.child_model:
        child_model()
        return
    if args.child_change:
        child_change(args.child_change)
        return
    folder = args.work / f"size-{args.essays}"
    if not args.reuse:
        kind = "model" if args.real_vectors else "random"
        print(f"building {args.essays} synthetic essays with {kind} vectors in {folder}", file=sys.stderr)
        build(folder, args.essays, args.real_vectors)
    rows = []
    for n in range(args.rounds):  # serving and the bare model take turns: load varies
        model = _child("--child-model")
        rows.append({**_child("--child-serve", str(folder / "data")), "model_s": model["model_s"]})
        print(f"  round {n + 1}: {json.dumps(rows[-1])}", file=sys.stderr)
    keys = (
        "import_s",
        "model_s",
        "open_s",
        "first_answer_s",
        "who_p50_ms",
        "who_p95_ms",
        "retrieval_p50_ms",
        "retrieval_p95_ms",
        "bare_p50_ms",
        "bare_p95_ms",
        "rss_mb",
    )
    vectors = "the model's vectors" if args.real_vectors else "random vectors: costs only"
    print(f"{rows[0]['essays']} essays, {rows[0]['passages']} passages ({vectors})")
    print("  ".join(f"{k:>16}" for k in keys))
    for row in rows:
        print("  ".join(f"{float(row[k]):16.2f}" for k in keys))  # type: ignore[arg-type]
    print(f"corpus read from the index generation: {all(r['from_generation'] for r in rows)}")
    resident: dict[str, float] = rows[-1]["resident_mb"]  # type: ignore[assignment]
    largest = ", ".join(f"{name} {mb:.0f}" for name, mb in list(resident.items())[:6])
    print(f"resident MB after the questions, last round (mapped index files and the rest): {largest}")
    # Last, since it leaves a segmented generation behind (each change publishes one).
    changes = _child("--child-change", str(folder / "data"))
    print(
        "one essay (tests/data/upload_essay.md), embedding included: "
        + ", ".join(f"{name.removesuffix('_s')} {value:.2f} s" for name, value in changes.items())
    )


if __name__ == "__main__":
    main()
