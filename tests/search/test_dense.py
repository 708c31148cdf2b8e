"""FAISS indexes: exact flat search, HNSW recall against it, persistence and the flat/HNSW choice."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import faiss
import numpy as np
import numpy.typing as npt
import pytest

from bot.search.dense import DenseIndex, IndexKind, choose_kind


@pytest.fixture(autouse=True, scope="module")
def _one_thread() -> Iterator[None]:
    """Single-threaded FAISS makes HNSW construction deterministic for a fixed seed."""
    before = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)
    yield
    faiss.omp_set_num_threads(before)


def unit_vectors(n: int, dim: int, seed: int = 0) -> npt.NDArray[np.float32]:
    rng = np.random.default_rng(seed)
    v = rng.standard_normal((n, dim)).astype(np.float32)
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    return v


def test_flat_search_is_exact() -> None:
    vectors = unit_vectors(200, 16)
    index = DenseIndex.build(vectors, "flat")
    assert index.kind == "flat"
    assert len(index) == 200
    assert index.dimension == 16
    queries = vectors[[3, 57, 199]]
    scores, ids = index.search(queries, 5)
    assert ids.shape == (3, 5)
    assert ids[:, 0].tolist() == [3, 57, 199]  # each vector is its own nearest neighbour
    assert np.allclose(scores[:, 0], 1.0, atol=1e-5)
    # Same ranking as brute-force inner products.
    brute = np.argsort(-(vectors @ queries.T), axis=0)[:5].T
    assert ids.tolist() == brute.tolist()
    assert np.all(np.diff(scores, axis=1) <= 1e-6)  # scores descend


def test_search_caps_k_and_handles_an_empty_index() -> None:
    index = DenseIndex.build(unit_vectors(3, 8), "flat")
    scores, ids = index.search(unit_vectors(1, 8, seed=1), 10)
    assert sorted(ids[0].tolist()) == [0, 1, 2]
    empty = DenseIndex.build(np.zeros((0, 8), dtype=np.float32))
    assert len(empty) == 0
    scores, ids = empty.search(unit_vectors(2, 8), 5)
    assert ids.tolist() == [[-1], [-1]]
    assert scores.shape == (2, 1)
    assert empty.reconstruct_all().shape == (0, 8)


def test_build_rejects_non_matrix_input() -> None:
    with pytest.raises(ValueError, match="2-D"):
        DenseIndex.build(np.zeros(8, dtype=np.float32))


def test_hnsw_recall_at_10_against_flat() -> None:
    vectors = unit_vectors(5000, 64, seed=0)
    queries = unit_vectors(200, 64, seed=1)
    flat = DenseIndex.build(vectors, "flat")
    hnsw = DenseIndex.build(vectors, "hnsw")
    assert hnsw.kind == "hnsw"
    assert len(hnsw) == 5000
    _, truth = flat.search(queries, 10)
    _, approx = hnsw.search(queries, 10)
    recall = np.mean([len(set(t) & set(a)) / 10 for t, a in zip(truth, approx, strict=True)])
    assert recall >= 0.95, f"HNSW recall@10 is {recall:.3f}"


@pytest.mark.parametrize("kind", ["flat", "hnsw"])
def test_save_load_round_trip(tmp_path: Path, kind: IndexKind) -> None:
    vectors = unit_vectors(300, 32)
    index = DenseIndex.build(vectors, kind)
    path = tmp_path / f"{kind}.faiss"
    index.save(path)
    loaded = DenseIndex.load(path)
    assert loaded.kind == kind
    assert len(loaded) == 300
    assert loaded.dimension == 32
    assert np.allclose(loaded.reconstruct_all(), vectors, atol=1e-6)
    queries = unit_vectors(5, 32, seed=2)
    assert loaded.search(queries, 5)[1].tolist() == index.search(queries, 5)[1].tolist()


def test_reconstruct_all_returns_rows_in_order() -> None:
    vectors = unit_vectors(50, 8)
    assert np.array_equal(DenseIndex.build(vectors, "flat").reconstruct_all(), vectors)


@pytest.mark.parametrize(
    "content",
    [b"", b"this is not a faiss index", b"IxF2" + b"\x00" * 10],
)
def test_corrupt_file_raises_runtime_error(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "broken.faiss"
    path.write_bytes(content)
    with pytest.raises(RuntimeError):
        DenseIndex.load(path)


def test_truncated_file_raises_runtime_error(tmp_path: Path) -> None:
    path = tmp_path / "index.faiss"
    DenseIndex.build(unit_vectors(100, 16), "flat").save(path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(RuntimeError):
        DenseIndex.load(path)


def test_missing_file_raises_runtime_error(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError):
        DenseIndex.load(tmp_path / "absent.faiss")


def test_choose_kind_threshold() -> None:
    assert choose_kind(0, 100) == "flat"
    assert choose_kind(100, 100) == "flat"  # at the threshold: still exact
    assert choose_kind(101, 100) == "hnsw"
    assert choose_kind(1, 0) == "hnsw"
    assert choose_kind(50_000, 50_000) == "flat"
