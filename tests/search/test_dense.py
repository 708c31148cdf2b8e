"""FAISS indexes: exact flat search, HNSW (float and 8-bit) recall against it, persistence, kind choice."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import faiss
import numpy as np
import numpy.typing as npt
import pytest

from bot.search.dense import DenseIndex, IndexKind, choose_kind, full_vectors_path
from bot.search.index_store import IndexStore, StaleIndexError


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


@pytest.mark.parametrize("kind", ["hnsw", "hnsw-sq8"])
def test_hnsw_recall_at_10_against_flat(kind: IndexKind) -> None:
    vectors = unit_vectors(5000, 64, seed=0)
    queries = unit_vectors(200, 64, seed=1)
    flat = DenseIndex.build(vectors, "flat")
    hnsw = DenseIndex.build(vectors, kind)
    assert hnsw.kind == kind
    assert len(hnsw) == 5000
    _, truth = flat.search(queries, 10)
    _, approx = hnsw.search(queries, 10)
    recall = np.mean([len(set(t) & set(a)) / 10 for t, a in zip(truth, approx, strict=True)])
    assert recall >= 0.95, f"{kind} recall@10 is {recall:.3f}"


# Rounding a unit vector's components to float16 (11 significant bits) moves it by at most 2**-12 of
# its length, so by Cauchy-Schwarz no cosine with a unit query moves by more than that.
HALF_PRECISION_COSINE_ERROR = 2.0**-12


def test_compressed_index_scores_on_its_stored_vectors() -> None:
    """Quantised search only proposes rows: the scores returned are inner products with the stored rows."""
    vectors = unit_vectors(2000, 32, seed=3)
    queries = unit_vectors(20, 32, seed=4)
    index = DenseIndex.build(vectors, "hnsw-sq8")
    scores, ids = index.search(queries, 10)
    stored = vectors.astype(np.float16).astype(np.float32)
    assert np.allclose(scores, np.einsum("qkd,qd->qk", stored[ids], queries), atol=1e-6)
    exact = np.einsum("qkd,qd->qk", vectors[ids], queries)
    error = float(np.abs(scores - exact).max())
    assert 0 < error <= HALF_PRECISION_COSINE_ERROR  # rounded, within the bound
    assert np.all(np.diff(scores, axis=1) <= 0)  # best first
    assert np.array_equal(index.vectors(), vectors.astype(np.float16))  # unquantised, half precision
    rows = index.rows()[[5, 1, 5]]  # the verifier's reads: widened, so its sums round in float32
    assert rows.dtype == np.float32 and np.array_equal(rows, stored[[5, 1, 5]])
    window = index.rows()[10:14]
    assert window.dtype == np.float32 and np.array_equal(window, stored[10:14])


def test_compressed_index_reads_vectors_written_in_float32(tmp_path: Path) -> None:
    """A generation written before the vectors were stored in half precision still loads, unrounded."""
    vectors = unit_vectors(500, 32, seed=9)
    path = tmp_path / "sentences.faiss"
    DenseIndex.build(vectors, "hnsw-sq8").save(path)
    path.with_suffix(".f16").unlink()
    vectors.tofile(path.with_suffix(".f32"))  # the older release's file
    loaded = DenseIndex.load(path)
    assert full_vectors_path(path).suffix == ".f32" and _mapped(path.with_suffix(".f32"))
    assert np.array_equal(loaded.vectors(), vectors) and np.array_equal(loaded.rows()[3:7], vectors[3:7])
    queries = unit_vectors(5, 32, seed=10)
    scores, ids = loaded.search(queries, 10)
    assert np.allclose(scores, np.einsum("qkd,qd->qk", vectors[ids], queries), atol=1e-6)
    loaded.save(tmp_path / "again.faiss")  # saved again: in half precision
    assert (tmp_path / "again.f16").stat().st_size == vectors.nbytes // 2


def test_compressed_index_filter_stays_inside_the_allowed_rows() -> None:
    vectors = unit_vectors(3000, 32, seed=5)
    index = DenseIndex.build(vectors, "hnsw-sq8")
    allowed = np.arange(1, 3000, 3, dtype=np.int64)
    _, ids = index.search(unit_vectors(5, 32, seed=6), 10, allowed)
    assert np.isin(ids, allowed).all()
    exact = DenseIndex.build(vectors[allowed], "flat").search(unit_vectors(5, 32, seed=6), 10)[1]
    assert np.mean([len(set(a) & set(allowed[e])) / 10 for a, e in zip(ids, exact, strict=True)]) >= 0.95


def test_compressed_index_keeps_its_vectors_in_a_mapped_file(tmp_path: Path) -> None:
    vectors = unit_vectors(500, 32, seed=7)
    path = tmp_path / "sentences.faiss"
    DenseIndex.build(vectors, "hnsw-sq8").save(path)
    assert full_vectors_path(path) == path.with_suffix(".f16")
    assert full_vectors_path(path).stat().st_size == vectors.nbytes // 2  # half precision
    loaded = DenseIndex.load(path)
    assert _mapped(full_vectors_path(path))  # read on demand, not held in memory
    assert not loaded.vectors().flags.writeable
    assert np.array_equal(loaded.reconstruct_all(), vectors.astype(np.float16).astype(np.float32))


def test_a_loaded_index_maps_its_file(tmp_path: Path) -> None:
    for kind in ("flat", "hnsw-sq8"):
        path = tmp_path / f"{kind}.faiss"
        DenseIndex.build(unit_vectors(400, 32, seed=8), kind).save(path)
        loaded = DenseIndex.load(path)
        assert _mapped(path), kind  # mapped from the file (shared page cache), not read into the heap
        assert len(loaded) == 400


def _mapped(path: Path) -> bool:
    """Whether this process maps ``path``."""
    return any(line.endswith(str(path)) for line in Path("/proc/self/maps").read_text().splitlines())


@pytest.mark.parametrize("damage", ["missing", "cut"])
def test_compressed_index_without_its_vectors_raises_runtime_error(tmp_path: Path, damage: str) -> None:
    path = tmp_path / "sentences.faiss"
    DenseIndex.build(unit_vectors(300, 16), "hnsw-sq8").save(path)
    full = full_vectors_path(path)
    if damage == "missing":
        full.unlink()
    else:
        full.write_bytes(full.read_bytes()[:-4])
    with pytest.raises(RuntimeError, match=full.name):
        DenseIndex.load(path)


@pytest.mark.parametrize("kind", ["flat", "hnsw", "hnsw-sq8"])
def test_save_load_round_trip(tmp_path: Path, kind: IndexKind) -> None:
    vectors = unit_vectors(300, 32)
    index = DenseIndex.build(vectors, kind)
    path = tmp_path / f"{kind}.faiss"
    index.save(path)
    loaded = DenseIndex.load(path)
    assert loaded.kind == kind
    assert len(loaded) == 300
    assert loaded.dimension == 32
    stored = vectors.astype(np.float16) if kind == "hnsw-sq8" else vectors  # half precision beside the codes
    assert np.array_equal(loaded.reconstruct_all(), stored.astype(np.float32))
    queries = unit_vectors(5, 32, seed=2)
    before, after = index.search(queries, 5), loaded.search(queries, 5)
    assert after[1].tolist() == before[1].tolist()
    assert np.array_equal(after[0], before[0])  # built or loaded, the same scores


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
    assert choose_kind(101, 100) == "hnsw-sq8"
    assert choose_kind(1, 0) == "hnsw-sq8"
    assert choose_kind(50_000, 50_000) == "flat"


def test_compressed_index_in_a_generation_is_checksummed_whole(tmp_path: Path) -> None:
    """The vectors file is part of the generation: its damage is caught like the index's."""
    store = IndexStore(tmp_path / "index")
    vectors = unit_vectors(400, 16, seed=8)
    ids = [f"p{i}" for i in range(400)]
    with store.lock():
        manifest = store.save(
            passage_ids=ids,
            sentence_vectors=vectors,
            model="m",
            corpus_hash="h",
            index_kind="hnsw-sq8",
            calibration="c",
        )
    store.publish(manifest)
    assert manifest.checksums is not None and "sentences.f16" in manifest.checksums
    loaded = store.load(model="m", corpus_hash="h")
    assert loaded.sentences.kind == "hnsw-sq8"
    half = vectors.astype(np.float16)
    assert np.array_equal(loaded.sentences.vectors(), half)
    assert store.previous_vectors("m")["p7"].tolist() == half[7].astype(np.float32).tolist()  # unquantised
    full = tmp_path / "index" / "gen-000001" / "sentences.f16"
    raw = bytearray(full.read_bytes())
    raw[:2] = b"\x00\x3c"  # one coordinate set to 1.0: the file still maps, the scores are wrong
    full.write_bytes(bytes(raw))
    with pytest.raises(StaleIndexError, match=r"checksum mismatch on sentences\.f16"):
        store.load(model="m", corpus_hash="h")
    full.unlink()
    with pytest.raises(StaleIndexError):
        store.load(model="m", corpus_hash="h", verify="background")
