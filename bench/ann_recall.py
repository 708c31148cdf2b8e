"""Exact (flat) vs approximate (HNSW) dense search: build time, query time and recall@10.

Usage: python bench/ann_recall.py [--sizes 10000 50000 100000]
Random unit vectors are a worst case for HNSW recall (no cluster structure), so the figures are
conservative. The result picks the default ``ann_threshold``.
"""

from __future__ import annotations

import sys
from pathlib import Path

# Before any other import: under an interpreter without essaybot (not the project's .venv), one clear
# line instead of a traceback.
try:
    import bot  # noqa: F401
except ModuleNotFoundError:
    sys.exit(
        f"bench/{Path(__file__).name} needs essaybot, which {sys.executable} does not have: "
        f"run .venv/bin/python bench/{Path(__file__).name} (bash scripts/setup.sh creates .venv)"
    )

import argparse
import time

import faiss
import numpy as np

from bot.search.dense import DenseIndex


def unit(n: int, dim: int, rng: np.random.Generator) -> np.ndarray:
    v = rng.standard_normal((n, dim)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 50_000, 100_000])
    parser.add_argument("--dim", type=int, default=384)
    args = parser.parse_args()
    faiss.omp_set_num_threads(1)
    rng = np.random.default_rng(0)
    queries = unit(200, args.dim, rng)
    print("size     flat_ms/q  hnsw_ms/q  hnsw_build_s  recall@10")
    for n in args.sizes:
        data = unit(n, args.dim, rng)
        flat = DenseIndex.build(data, "flat")
        t = time.perf_counter()
        hnsw = DenseIndex.build(data, "hnsw")
        build = time.perf_counter() - t
        t = time.perf_counter()
        _, exact = flat.search(queries, 10)
        flat_ms = (time.perf_counter() - t) * 1000 / len(queries)
        t = time.perf_counter()
        _, approx = hnsw.search(queries, 10)
        hnsw_ms = (time.perf_counter() - t) * 1000 / len(queries)
        recall = np.mean([len(set(a) & set(e)) / 10 for a, e in zip(approx, exact, strict=True)])
        print(f"{n:<8} {flat_ms:>9.2f}  {hnsw_ms:>9.2f}  {build:>12.1f}  {recall:>9.3f}")


if __name__ == "__main__":
    main()
