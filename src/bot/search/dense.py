"""A small FAISS index over unit vectors: build, search, save, load.

Inner product on L2-normalised vectors is cosine similarity. Small corpora use an exact flat index;
above ``ann_threshold`` vectors an HNSW graph keeps search fast (``bench/ann_recall.py`` measures the
trade-off and ``tests/search/test_dense.py`` checks its recall@10 against exact search).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import faiss
import numpy as np
import numpy.typing as npt

from bot.search.embedder import Vectors

IndexKind = Literal["flat", "hnsw"]

HNSW_M = 32
HNSW_EF_CONSTRUCTION = 200
HNSW_EF_SEARCH = 128


def set_threads(threads: int) -> None:
    """FAISS's OpenMP threads; left alone, it takes every core of the host, not the container's quota."""
    faiss.omp_set_num_threads(max(1, threads))


def choose_kind(n_vectors: int, ann_threshold: int) -> IndexKind:
    """Exact search while it is cheap enough; approximate above the threshold."""
    return "hnsw" if n_vectors > ann_threshold else "flat"


class DenseIndex:
    """FAISS inner-product index whose row ``i`` is the vector of unit ``i``."""

    def __init__(self, index: faiss.Index, kind: IndexKind):
        self._index = index
        self.kind: IndexKind = kind

    @classmethod
    def build(cls, vectors: Vectors, kind: IndexKind = "flat") -> DenseIndex:
        """Index ``vectors`` (already normalised, float32, shape (n, dim))."""
        if vectors.ndim != 2:
            raise ValueError("vectors must be a 2-D array")
        dim = int(vectors.shape[1])
        index: faiss.Index
        if kind == "hnsw":
            index = faiss.IndexHNSWFlat(dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
            index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
            index.hnsw.efSearch = HNSW_EF_SEARCH
        else:
            index = faiss.IndexFlatIP(dim)
        if len(vectors):
            index.add(np.ascontiguousarray(vectors, dtype=np.float32))
        return cls(index, kind)

    @property
    def dimension(self) -> int:
        return int(self._index.d)

    def __len__(self) -> int:
        return int(self._index.ntotal)

    def search(self, queries: Vectors, k: int) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.int64]]:
        """Top-``k`` (scores, ids) per query row; ids are -1 where fewer than k exist."""
        k = max(1, min(k, len(self))) if len(self) else 1
        if not len(self):
            n = queries.shape[0]
            return np.zeros((n, 1), dtype=np.float32), np.full((n, 1), -1, dtype=np.int64)
        scores, ids = self._index.search(np.ascontiguousarray(queries, dtype=np.float32), k)
        return scores, ids

    def reconstruct_all(self) -> Vectors:
        """All stored vectors, in row order (used to carry vectors over on incremental rebuilds)."""
        if not len(self):
            return np.zeros((0, self.dimension), dtype=np.float32)
        return np.asarray(self._index.reconstruct_n(0, len(self)), dtype=np.float32)

    def save(self, path: Path) -> None:
        """Write the index to ``path``."""
        faiss.write_index(self._index, str(path))

    @classmethod
    def load(cls, path: Path) -> DenseIndex:
        """Read an index written by :meth:`save`; raises ``RuntimeError`` when the file is corrupt."""
        index = faiss.read_index(str(path))
        kind: IndexKind = "hnsw" if isinstance(index, faiss.IndexHNSW) else "flat"
        if kind == "hnsw":
            index.hnsw.efSearch = HNSW_EF_SEARCH  # type: ignore[attr-defined]  # an IndexHNSW here
        return cls(index, kind)
