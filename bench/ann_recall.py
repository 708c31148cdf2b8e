"""Exact (flat) vs approximate dense search: build time, query time, memory and recall@10, per index kind.

Usage:
  python bench/ann_recall.py [--sizes 10000 50000 100000]      random unit vectors
  python bench/ann_recall.py --data-dir DIR [--queries N]      a library's own stored vectors
  python bench/ann_recall.py --data-dir DIR --served           the index it serves, not rebuilt

Random unit vectors are a worst case for HNSW recall (no cluster structure), so those figures are
conservative. ``--data-dir`` reads the real sentence vectors of a library's current index generation
(e.g. bench/scale.py's 1,000-essay library) and queries them with the project's own questions (and,
beyond those, sentences of the library with a few words dropped, embedded again): that is the
measurement ``choose_kind`` relies on (recall@10 >= 0.95). Memory is the bytes each kind keeps in
RAM per vector (its FAISS file; the vectors file of ``hnsw-sq8`` is memory-mapped).
``--served`` measures the index the library's current generation holds, as a start loads it, instead
of building each kind again (which takes long at a million vectors).
"""

from __future__ import annotations

from pathlib import Path

import _essaybot_or_exit  # noqa: F401  (first: one clear line outside .venv)

# isort: split

import argparse
import json
import random
import tempfile
import time

import faiss
import numpy as np

from bot.search.dense import DenseIndex, IndexKind

REPO = Path(__file__).resolve().parent.parent
KINDS: tuple[IndexKind, ...] = ("hnsw", "hnsw-sq8")


def unit(n: int, dim: int, rng: np.random.Generator) -> np.ndarray:
    v = rng.standard_normal((n, dim)).astype(np.float32)
    out: np.ndarray = v / np.linalg.norm(v, axis=1, keepdims=True)
    return out


def timed_search(index: DenseIndex, queries: np.ndarray) -> tuple[np.ndarray, float]:
    """The top 10 ids of each query, and the milliseconds a query took."""
    t = time.perf_counter()
    _, ids = index.search(queries, 10)
    return ids, (time.perf_counter() - t) * 1000 / len(queries)


def recall_at_10(approx: np.ndarray, exact: np.ndarray) -> float:
    """Mean share of the exact top 10 that the approximate top 10 holds."""
    return float(np.mean([len(set(a) & set(e)) / 10 for a, e in zip(approx, exact, strict=True)]))


def compare(data: np.ndarray, queries: np.ndarray, label: str) -> None:
    """One line per kind: build seconds, ms per query, RAM bytes per vector, recall@10 vs flat."""
    exact, flat_ms = timed_search(DenseIndex.build(data, "flat"), queries)
    print(f"{label}: {len(data)} vectors, {len(queries)} queries; flat {flat_ms:.2f} ms/q")
    print("  kind        build_s   ms/q  ram_B/vector  recall@10")
    for kind in KINDS:
        t = time.perf_counter()
        index = DenseIndex.build(data, kind)
        build = time.perf_counter() - t
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "sentences.faiss"
            index.save(path)
            ram = path.stat().st_size / len(data)
            index = DenseIndex.load(path)  # searched as served: its vectors file memory-mapped
            approx, ms = timed_search(index, queries)
        print(f"  {kind:<10} {build:>8.1f} {ms:>6.2f} {ram:>13.0f} {recall_at_10(approx, exact):>10.3f}")


def served(index: DenseIndex, data: np.ndarray, queries: np.ndarray) -> None:
    """recall@10 of the index a library serves against exact search of its stored vectors."""
    exact, flat_ms = timed_search(DenseIndex.build(data, "flat"), queries)
    approx, ms = timed_search(index, queries)
    print(f"served index ({index.kind}): {len(data)} vectors, {len(queries)} queries")
    print(f"  flat {flat_ms:.2f} ms/q, served {ms:.2f} ms/q, recall@10 {recall_at_10(approx, exact):.3f}")


def library_queries(data_dir: Path, extra: int) -> tuple[np.ndarray, np.ndarray, DenseIndex]:
    """A library's stored vectors, its questions' vectors (own and held-out, then ``extra`` more), and
    the dense index its current generation serves."""
    from bot.config import load_settings
    from bot.core.essaybot import Essaybot

    app = Essaybot(load_settings(None, data_dir=data_dir))
    snap = app.library.snapshot()
    loaded = app.store.load(model=app.embedder.model_name, corpus_hash=snap.corpus_hash)
    data = loaded.sentences.reconstruct_all()
    texts = [
        json.loads(line)["query"]
        for name in ("own_who_said.jsonl", "heldout_who_said.jsonl")
        for line in (REPO / "tests" / "data" / name).read_text().splitlines()
        if line.strip()
    ]
    rng = random.Random(13)
    for row in rng.sample(range(len(snap)), min(extra, len(snap))):
        words = snap.passages.text(row).split()
        keep = [w for w in words if rng.random() > 0.3] or words  # a loose paraphrase of the sentence
        texts.append(" ".join(keep))
    return data, app.embedder.encode(texts), loaded.sentences


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 50_000, 100_000])
    parser.add_argument("--dim", type=int, default=384)
    parser.add_argument("--data-dir", type=Path, help="measure on this library's stored vectors")
    parser.add_argument("--queries", type=int, default=400, help="sentence queries beyond the questions")
    parser.add_argument("--served", action="store_true", help="with --data-dir: the index it serves")
    args = parser.parse_args()
    faiss.omp_set_num_threads(1)
    if args.data_dir:
        data, queries, index = library_queries(args.data_dir, args.queries)
        if args.served:
            served(index, data, queries)
        else:
            compare(data, queries, f"library {args.data_dir}")
        return
    rng = np.random.default_rng(0)
    queries = unit(200, args.dim, rng)
    for n in args.sizes:
        compare(unit(n, args.dim, rng), queries, "random unit vectors")


if __name__ == "__main__":
    main()
