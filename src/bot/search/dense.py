"""A small FAISS index over unit vectors: build, search, save, load.

Inner product on L2-normalised vectors is cosine similarity. Small corpora use an exact flat index;
above ``ann_threshold`` vectors an HNSW graph keeps search fast (``bench/ann_recall.py`` measures the
trade-off and ``tests/search/test_dense.py`` checks its recall@10 against exact search).

Large libraries use ``hnsw-sq8``: the graph walks vectors quantised to one byte per dimension (a
quarter of float32's memory), and the vectors themselves stay in a file beside the index
(``sentences.f16``: half precision, half of float32's size), memory-mapped: only the rows a question
touches are read. Every score this module returns is computed on those stored vectors (the quantised
search only proposes rows, which are re-scored), so fusion, the threshold bound and the verifier see
the same cosines whether the index was just built or loaded, within 2**-12 (0.00024) of float32's:
half precision keeps 11 significant bits, so rounding moves a unit vector by at most 2**-12 of its
length (``tests/search/test_dense.py`` checks the bound). Generations written before keep their
``sentences.f32`` file, which is still read.

Retrieval takes its dense candidates from :meth:`DenseIndex.search`; an author or essay filter is a
FAISS ``IDSelector`` inside that search, so a filtered question never scans the rows it excludes in
Python. The verifier reads stored vectors through :meth:`DenseIndex.vectors`, a read-only view of the
index's own storage (no second copy in memory).
"""

from __future__ import annotations

import mmap
from pathlib import Path
from typing import Any, Literal

import faiss
import numpy as np
import numpy.typing as npt

from bot.search.embedder import RowVectors, Vectors

IndexKind = Literal["flat", "hnsw", "hnsw-sq8"]

HNSW_M = 32
HNSW_EF_CONSTRUCTION = 200
HNSW_EF_SEARCH = 128
# The quantised search proposes this many times k rows, re-scored on the stored vectors: the
# quantisation error reorders near-ties, so the true top k sit among a few more proposed rows.
SQ8_REFINE = 2
VECTORS_SUFFIX = ".f16"  # the vectors of a compressed index, beside its file
_OLD_VECTORS_SUFFIX = ".f32"  # the same, written in float32 by earlier releases
# A compressed index's stored vectors: half precision, or float32 in a generation written earlier.
StoredVectors = npt.NDArray[np.float16] | npt.NDArray[np.float32]


def set_threads(threads: int) -> None:
    """FAISS's OpenMP threads; left alone, it takes every core of the host, not the container's quota."""
    faiss.omp_set_num_threads(max(1, threads))


def choose_kind(n_vectors: int, ann_threshold: int) -> IndexKind:
    """Exact search while it is cheap enough; approximate, on compressed vectors, above the threshold."""
    return "hnsw-sq8" if n_vectors > ann_threshold else "flat"


class DenseIndex:
    """FAISS inner-product index whose row ``i`` is the vector of unit ``i``."""

    def __init__(self, index: faiss.Index, kind: IndexKind, full: StoredVectors | None = None):
        self._index = index
        self.kind: IndexKind = kind
        # A compressed index's stored vectors: in memory after a build, mapped after a load.
        self._full = full

    @classmethod
    def build(cls, vectors: Vectors, kind: IndexKind = "flat") -> DenseIndex:
        """Index ``vectors`` (already normalised, float32, shape (n, dim))."""
        if vectors.ndim != 2:
            raise ValueError("vectors must be a 2-D array")
        dim = int(vectors.shape[1])
        x = np.ascontiguousarray(vectors, dtype=np.float32)
        index: faiss.Index
        if kind == "hnsw":
            index = faiss.IndexHNSWFlat(dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
        elif kind == "hnsw-sq8":
            eight_bit: Any = faiss.ScalarQuantizer.QT_8bit  # an enum value the stubs type as a class
            index = faiss.IndexHNSWSQ(dim, eight_bit, HNSW_M, faiss.METRIC_INNER_PRODUCT)
        else:
            index = faiss.IndexFlatIP(dim)
        if kind != "flat":
            graph: Any = index  # the stubs lack the HNSW parameters
            graph.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
            graph.hnsw.efSearch = HNSW_EF_SEARCH
        if len(x):
            if kind == "hnsw-sq8":
                index.train(x)  # the per-dimension range each byte spans
            index.add(x)
        # Rounded to half precision at once, so a just-built index scores exactly as when loaded.
        return cls(index, kind, x.astype(np.float16) if kind == "hnsw-sq8" else None)

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
        proposed = min(len(self), k * SQ8_REFINE) if self._full is not None else k
        options: dict[str, object] = {}
        bits = None
        if allowed is not None:
            mask = np.zeros(len(self), dtype=bool)
            mask[allowed] = True
            bits = np.packbits(mask, bitorder="little")  # referenced until the search returns
            options["sel"] = faiss.IDSelectorBitmap(len(self), faiss.swig_ptr(bits))
        if self.kind != "flat":
            # A larger k needs a wider beam; the library's stubs lack the HNSW parameters.
            options["efSearch"] = max(HNSW_EF_SEARCH, proposed)
            params = faiss.SearchParametersHNSW(**options)  # type: ignore[attr-defined]
        else:
            params = faiss.SearchParameters(**options) if options else None
        scores, ids = self._index.search(x, proposed, params=params)
        del bits
        if self._full is not None:
            return self._rescore(x, ids, k)
        return scores, ids

    def _rescore(
        self, queries: Vectors, proposed: npt.NDArray[np.int64], k: int
    ) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.int64]]:
        """The best ``k`` of the proposed rows by their scores on the stored vectors, best first."""
        assert self._full is not None
        scores = np.full((len(queries), k), -np.finfo(np.float32).max, dtype=np.float32)
        ids = np.full((len(queries), k), -1, dtype=np.int64)
        for i, q in enumerate(queries):
            rows = np.sort(proposed[i][proposed[i] >= 0])  # ascending: file order, fewer page reads
            exact = self._full[rows].astype(np.float32, copy=False) @ q  # float32 files: no second copy
            best = np.argsort(-exact, kind="stable")[:k]
            scores[i, : len(best)] = exact[best]
            ids[i, : len(best)] = rows[best]
        return scores, ids

    def rows(self) -> RowVectors:
        """The vectors as the fusion and the verifier read them: by row, in float32, never copied whole."""
        if self._full is not None and self._full.dtype != np.float32:
            return _Float32Rows(self._full)
        return self.vectors()

    def vectors(self) -> StoredVectors:
        """Every stored vector, in row order, as a read-only view (no copy in memory).

        A view of FAISS's own storage, or of the memory-mapped vectors file of a compressed index
        (half precision: :meth:`rows` reads it in float32), so that the verifier's few rows are read
        from the page cache, not a second matrix.
        """
        if self._full is not None:
            return self._full
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
        if self._full is not None:
            return np.array(self._full, dtype=np.float32)
        if not len(self):
            return np.zeros((0, self.dimension), dtype=np.float32)
        return np.asarray(self._index.reconstruct_n(0, len(self)), dtype=np.float32)

    def save(self, path: Path) -> None:
        """Write the index to ``path`` (a compressed index: and its vectors beside it, in half precision)."""
        faiss.write_index(self._index, str(path))
        if self._full is not None:
            np.ascontiguousarray(self._full, dtype=np.float16).tofile(path.with_suffix(VECTORS_SUFFIX))

    @classmethod
    def load(cls, path: Path) -> DenseIndex:
        """Map an index written by :meth:`save`; raises ``RuntimeError`` when a file is corrupt.

        The file is memory-mapped (``IO_FLAG_MMAP_IFC``: the vectors or codes and the graph), not
        read: opening costs no copy, serving processes share one copy in the page cache, and the
        kernel may drop its pages under memory pressure. A published generation never changes, and
        nothing writes to a loaded index (changes build new ones), so the read-only mapping holds.
        """
        index = faiss.read_index(str(path), faiss.IO_FLAG_MMAP_IFC)
        if isinstance(index, faiss.IndexHNSWSQ):
            graph: Any = index
            graph.hnsw.efSearch = HNSW_EF_SEARCH
            full = full_vectors_path(path)
            dtype = np.float32 if full.suffix == _OLD_VECTORS_SUFFIX else np.float16
            return cls(index, "hnsw-sq8", _map_full(full, index.ntotal, index.d, dtype))
        kind: IndexKind = "hnsw" if isinstance(index, faiss.IndexHNSW) else "flat"
        if kind == "hnsw":
            index.hnsw.efSearch = HNSW_EF_SEARCH  # type: ignore[attr-defined]  # an IndexHNSW here
        return cls(index, kind)


def full_vectors_path(index_path: Path) -> Path:
    """Where a compressed index keeps its vectors: ``.f16``, or ``.f32`` in a generation written earlier."""
    new, old = index_path.with_suffix(VECTORS_SUFFIX), index_path.with_suffix(_OLD_VECTORS_SUFFIX)
    return old if old.exists() and not new.exists() else new


def _map_full(path: Path, n: int, dim: int, dtype: type[np.floating[Any]]) -> StoredVectors:
    """The vectors file, memory-mapped read-only; ``RuntimeError`` if absent or cut."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise RuntimeError(f"{path.name}: {exc.strerror or exc}") from exc
    width = np.dtype(dtype).itemsize
    if size != n * dim * width:
        raise RuntimeError(f"{path.name}: {size} bytes, expected {n * dim * width}")
    if not n:
        return np.zeros((0, dim), dtype=dtype)
    with path.open("rb") as fh:
        mapping = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
    # A question reads scattered rows: without this, each page fault would also read the pages
    # around it, and a host short of memory would spend its time re-reading what it just dropped.
    mapping.madvise(mmap.MADV_RANDOM)
    mapped: StoredVectors = np.frombuffer(mapping, dtype=dtype).reshape(n, dim)
    return mapped


class _Float32Rows:
    """Half-precision vectors read by row as float32 (a :class:`RowVectors`).

    The verifier sums sentence windows, and float16 arithmetic would round at every step: each read
    widens only the rows asked for.
    """

    def __init__(self, stored: StoredVectors):
        self._stored = stored
        self.shape = stored.shape

    def __len__(self) -> int:
        return int(self.shape[0])

    def __getitem__(self, rows: Any) -> Vectors:
        widened: Vectors = np.asarray(self._stored[rows], dtype=np.float32)
        return widened


class _FaissMemory:
    """Exposes FAISS-owned floats to numpy; numpy keeps this object (and so the index) alive."""

    def __init__(self, owner: DenseIndex, address: int, shape: tuple[int, int]):
        self.owner = owner
        self.__array_interface__ = {"shape": shape, "typestr": "<f4", "data": (address, True), "version": 3}
