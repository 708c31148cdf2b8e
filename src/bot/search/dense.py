"""A small FAISS index over unit vectors: build, search, save, load.

Inner product on L2-normalised vectors is cosine similarity. Small corpora use an exact flat index;
above ``ann_threshold`` vectors an HNSW graph keeps search fast (``bench/ann_recall.py`` measures the
trade-off and ``tests/search/test_dense.py`` checks its recall@10 against exact search).

Retrieval takes its dense candidates from :meth:`DenseIndex.search`; an author or essay filter is a
FAISS ``IDSelector`` inside that search, so a filtered question never scans the rows it excludes in
Python. The verifier reads stored vectors through :meth:`DenseIndex.vectors`, a read-only view of the
index's own storage (no second copy in memory).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

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

    def search(
        self, queries: Vectors, k: int, allowed: npt.NDArray[np.int64] | None = None
    ) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.int64]]:
        """Top-``k`` (scores, ids) per query row; ids are -1 where fewer than k exist.

        ``allowed`` (row numbers) restricts the search to those rows, inside FAISS.
        """
        k = max(1, min(k, len(self))) if len(self) else 1
        if not len(self):
            n = queries.shape[0]
            return np.zeros((n, 1), dtype=np.float32), np.full((n, 1), -1, dtype=np.int64)
        x = np.ascontiguousarray(queries, dtype=np.float32)
        options: dict[str, object] = {}
        bits = None
        if allowed is not None:
            mask = np.zeros(len(self), dtype=bool)
            mask[allowed] = True
            bits = np.packbits(mask, bitorder="little")  # referenced until the search returns
            options["sel"] = faiss.IDSelectorBitmap(len(self), faiss.swig_ptr(bits))
        if self.kind == "hnsw":
            # A larger k needs a wider beam; the library's stubs lack the HNSW parameters.
            options["efSearch"] = max(HNSW_EF_SEARCH, k)
            params = faiss.SearchParametersHNSW(**options)  # type: ignore[attr-defined]
        else:
            params = faiss.SearchParameters(**options) if options else None
        scores, ids = self._index.search(x, k, params=params)
        del bits
        return scores, ids

    def vectors(self) -> Vectors:
        """Every stored vector, in row order, as a read-only view of the index's memory (no copy)."""
        if not len(self):
            return np.zeros((0, self.dimension), dtype=np.float32)
        index: Any = self._index  # the stubs know neither ``storage`` nor ``get_xb``
        storage: Any = index if self.kind == "flat" else faiss.downcast_index(index.storage)
        flat = faiss.rev_swig_ptr(storage.get_xb(), len(self) * self.dimension)
        address = int(flat.__array_interface__["data"][0])
        view: Vectors = np.asarray(_FaissMemory(self, address, (len(self), self.dimension)))
        return view

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


class _FaissMemory:
    """Exposes FAISS-owned floats to numpy; numpy keeps this object (and so the index) alive."""

    def __init__(self, owner: DenseIndex, address: int, shape: tuple[int, int]):
        self.owner = owner
        self.__array_interface__ = {"shape": shape, "typestr": "<f4", "data": (address, True), "version": 3}
