"""Index generations on disk: save aside, publish atomically, refuse stale or corrupt indexes."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest

from bot.corpus.loader import load_essay
from bot.corpus.prepare import prepare
from bot.paths import seeds_dir
from bot.search.index_store import (
    FORMAT_VERSION,
    INDEX_FILES,
    KEEP_GENERATIONS,
    IndexStore,
    Manifest,
    NewerIndexError,
    StaleIndexError,
    file_sha256,
)
from bot.search.snapshot import CorpusSnapshot

MODEL = "test-model"
CORPUS = "hash-a"
CALIBRATION = "calib-1"
DIM = 8


def unit_vectors(n: int, seed: int) -> npt.NDArray[np.float32]:
    v = np.random.default_rng(seed).standard_normal((n, DIM)).astype(np.float32)
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    return v


def save(store: IndexStore, n: int = 4, seed: int = 0, **overrides: Any) -> Manifest:
    args: dict[str, Any] = {
        "passage_ids": [f"p{i}" for i in range(n)],
        "sentence_vectors": unit_vectors(n, seed),
        "model": MODEL,
        "corpus_hash": CORPUS,
        "index_kind": "flat",
        "calibration": CALIBRATION,
    }
    args.update(overrides)
    with store.lock():
        return store.save(**args)


def load(store: IndexStore, **overrides: Any) -> Any:
    args: dict[str, Any] = {"model": MODEL, "corpus_hash": CORPUS, "calibration": CALIBRATION}
    args.update(overrides)
    return store.load(**args)


def drop_checksums(store: IndexStore, generation: int = 1) -> None:
    """Rewrite a manifest as an older version wrote it: no ``checksums`` field."""
    path = store.root / f"gen-{generation:06d}" / "manifest.json"
    raw = json.loads(path.read_text())
    del raw["checksums"]
    path.write_text(json.dumps(raw, indent=2))


def generation_dirs(store: IndexStore) -> list[str]:
    return sorted(p.name for p in store.root.glob("gen-*"))


@pytest.fixture
def store(tmp_path: Path) -> IndexStore:
    return IndexStore(tmp_path / "index")


def test_empty_store_has_no_generation(store: IndexStore) -> None:
    assert store.current_generation() is None
    with pytest.raises(StaleIndexError, match="no index"):
        load(store)
    assert store.previous_vectors(MODEL) == {}


def test_saved_generation_is_invisible_until_published(store: IndexStore) -> None:
    manifest = save(store)
    assert manifest.generation == 1
    assert manifest.format == FORMAT_VERSION
    assert manifest.passage_count == 4
    assert manifest.dimension == DIM
    assert (store.root / "gen-000001" / "manifest.json").is_file()
    assert store.current_generation() is None
    with pytest.raises(StaleIndexError):
        load(store)

    store.publish(manifest)
    assert store.current_generation() == 1
    loaded = load(store)
    assert loaded.manifest == manifest
    assert loaded.passage_ids == ["p0", "p1", "p2", "p3"]
    assert np.allclose(loaded.sentences.reconstruct_all(), unit_vectors(4, 0))
    # No temporary folders are left behind.
    assert not [p for p in store.root.iterdir() if ".tmp-" in p.name]


def test_next_save_does_not_disturb_the_published_generation(store: IndexStore) -> None:
    first = save(store)
    store.publish(first)
    second = save(store, n=6, seed=1, corpus_hash="hash-b")
    assert second.generation == 2
    assert load(store).manifest.generation == 1  # readers still see generation 1
    store.publish(second)
    loaded = load(store, corpus_hash="hash-b")
    assert loaded.manifest.generation == 2
    assert len(loaded.passage_ids) == 6


def test_calibration_check_is_optional(store: IndexStore) -> None:
    store.publish(save(store))
    assert load(store, calibration=None).manifest.calibration == CALIBRATION


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"model": "other-model"}, "model"),
        ({"corpus_hash": "hash-b"}, "corpus changed"),
        ({"calibration": "calib-2"}, "calibration changed"),
    ],
)
def test_mismatch_is_stale(store: IndexStore, overrides: dict[str, str], reason: str) -> None:
    store.publish(save(store))
    with pytest.raises(StaleIndexError, match=reason):
        load(store, **overrides)


def set_format(store: IndexStore, version: int) -> None:
    path = store.root / "gen-000001" / "manifest.json"
    raw = json.loads(path.read_text())
    raw["format"] = version
    path.write_text(json.dumps(raw))


def test_older_format_is_stale_and_its_vectors_are_reused(store: IndexStore) -> None:
    manifest = save(store)
    store.publish(manifest)
    set_format(store, 2)  # format 2 had the same FAISS file: converting it does not re-embed
    with pytest.raises(StaleIndexError, match="format"):
        load(store)
    assert sorted(store.previous_vectors(MODEL)) == ["p0", "p1", "p2", "p3"]
    set_format(store, 1)
    assert store.previous_vectors(MODEL) == {}


def test_newer_format_is_refused_with_a_clear_message(store: IndexStore) -> None:
    manifest = save(store)
    store.publish(manifest)
    set_format(store, FORMAT_VERSION + 1)
    # Not stale: a stale index is rebuilt, which would overwrite the newer release's index.
    with pytest.raises(NewerIndexError, match=f"format {FORMAT_VERSION + 1}.*newer essaybot") as caught:
        load(store)
    assert not isinstance(caught.value, StaleIndexError)
    assert store.previous_vectors(MODEL) == {}


@pytest.mark.parametrize("name", ["sentences.faiss"])
def test_corrupt_faiss_file_is_stale(store: IndexStore, name: str) -> None:
    store.publish(save(store))
    drop_checksums(store)  # FAISS's own parse check still guards a generation without checksums
    (store.root / "gen-000001" / name).write_bytes(b"not a faiss index at all")
    with pytest.raises(StaleIndexError, match="unreadable"):
        load(store)
    assert store.previous_vectors(MODEL) == {}


@pytest.mark.parametrize(
    "content",
    ["", "{not json", "[1, 2, 3]", '{"format": 1}', json.dumps({"unexpected": "keys"})],
)
def test_garbage_manifest_is_stale(store: IndexStore, content: str) -> None:
    store.publish(save(store))
    (store.root / "gen-000001" / "manifest.json").write_text(content)
    with pytest.raises(StaleIndexError, match="manifest unreadable"):
        load(store)
    assert store.previous_vectors(MODEL) == {}


def test_missing_files_are_stale(store: IndexStore) -> None:
    store.publish(save(store))
    (store.root / "gen-000001" / "passage_ids.json").unlink()
    with pytest.raises(StaleIndexError):
        load(store)


def test_files_disagreeing_with_the_manifest_are_stale(store: IndexStore) -> None:
    store.publish(save(store))
    drop_checksums(store)  # the count check still guards a generation without checksums
    (store.root / "gen-000001" / "passage_ids.json").write_text(json.dumps(["p0", "p1"]))
    with pytest.raises(StaleIndexError, match="do not match"):
        load(store)


def test_garbage_current_pointer_means_no_generation(store: IndexStore) -> None:
    store.publish(save(store))
    (store.root / "CURRENT").write_text("rubbish\n")
    assert store.current_generation() is None
    with pytest.raises(StaleIndexError):
        load(store)


def test_pointer_to_a_missing_generation_is_stale(store: IndexStore) -> None:
    store.publish(save(store))
    (store.root / "CURRENT").write_text("gen-000042\n")
    with pytest.raises(StaleIndexError):
        load(store)


def test_discard_removes_an_unpublished_generation_only(store: IndexStore) -> None:
    published = save(store)
    store.publish(published)
    pending = save(store, seed=3)
    assert generation_dirs(store) == ["gen-000001", "gen-000002"]
    store.discard(pending)
    assert generation_dirs(store) == ["gen-000001"]
    store.discard(published)  # the current generation is never discarded
    assert generation_dirs(store) == ["gen-000001"]
    assert load(store).manifest.generation == 1


def test_prune_keeps_two_generations(store: IndexStore) -> None:
    assert KEEP_GENERATIONS == 2
    for i in range(4):
        store.publish(save(store, seed=i))
    assert store.current_generation() == 4
    assert generation_dirs(store) == ["gen-000003", "gen-000004"]
    assert load(store).manifest.generation == 4


def test_prune_removes_leftover_temporary_folders(store: IndexStore) -> None:
    leftover = store.root / "gen-000009.tmp-12345"
    leftover.mkdir(parents=True)
    (leftover / "manifest.json").write_text("{}")
    # A writer killed while replacing the build progress file leaves its temporary copy too.
    progress = store.root / "BUILDING.json.tmp-12345"
    progress.write_text("{")
    store.publish(save(store))
    assert not leftover.exists()
    assert not progress.exists()
    assert generation_dirs(store) == ["gen-000001"]


def test_previous_vectors_keyed_by_passage_id(store: IndexStore) -> None:
    manifest = save(store, n=3, seed=7)
    assert store.previous_vectors(MODEL) == {}  # unpublished: nothing to reuse yet
    store.publish(manifest)
    sentences = store.previous_vectors(MODEL)
    assert sorted(sentences) == ["p0", "p1", "p2"]
    expected = unit_vectors(3, 7)
    for i in range(3):
        assert np.allclose(sentences[f"p{i}"], expected[i])
    # Vectors of another model are never reused.
    assert store.previous_vectors("other-model") == {}


def test_previous_vectors_with_mismatched_id_count_is_empty(store: IndexStore) -> None:
    store.publish(save(store, n=3))
    (store.root / "gen-000001" / "passage_ids.json").write_text(json.dumps(["p0"]))
    assert store.previous_vectors(MODEL) == {}


def test_two_handles_on_one_folder_share_lock_and_generations(tmp_path: Path) -> None:
    # Two handles on the same folder (a CLI ingest and the bot) take the lock one after the other.
    a, b = IndexStore(tmp_path / "index"), IndexStore(tmp_path / "index")
    with a.lock():
        pass
    with b.lock():
        manifest = b.save(
            passage_ids=["x"],
            sentence_vectors=unit_vectors(1, 0),
            model=MODEL,
            corpus_hash=CORPUS,
            index_kind="flat",
            calibration=CALIBRATION,
        )
    b.publish(manifest)
    assert a.current_generation() == 1
    assert (tmp_path / "index" / ".lock").exists()


# -- checksums: damaged files are caught before FAISS reads them ---------------------------------------


def _zero_middle(path: Path) -> None:
    """Zero 64 bytes in the middle of the file, in place (same size, still parses as FAISS)."""
    size = path.stat().st_size
    with path.open("r+b") as fh:
        fh.seek(size // 2)
        fh.write(b"\0" * 64)


def _random_tail(path: Path) -> None:
    """Overwrite the vector data at the end with random bytes, in place (the NaN case)."""
    size = path.stat().st_size
    noise = np.random.default_rng(99).integers(0, 256, 128, dtype=np.uint8).tobytes()
    with path.open("r+b") as fh:
        fh.seek(size - len(noise))
        fh.write(noise)


def _truncate(path: Path) -> None:
    with path.open("r+b") as fh:
        fh.truncate(path.stat().st_size - 40)


@pytest.mark.parametrize(
    "damage", [_zero_middle, _random_tail, _truncate], ids=["zeroed", "random", "truncated"]
)
@pytest.mark.parametrize("name", INDEX_FILES)
def test_damaged_index_file_fails_its_checksum(store: IndexStore, damage: Any, name: str) -> None:
    manifest = save(store, n=40)
    store.publish(manifest)
    assert manifest.checksums is not None and set(manifest.checksums) == set(INDEX_FILES)
    damage(store.root / "gen-000001" / name)
    with pytest.raises(StaleIndexError, match=f"checksum mismatch on {re.escape(name)}"):
        load(store)
    # The rebuild that follows must not reuse vectors from the damaged generation.
    assert store.previous_vectors(MODEL) == {}


def test_zeroed_vectors_would_load_without_checksums(store: IndexStore) -> None:
    """Why checksums are needed: zeroed vector bytes still parse, and FAISS returns zero vectors."""
    store.publish(save(store, n=40))
    drop_checksums(store)
    _zero_middle(store.root / "gen-000001" / "sentences.faiss")
    vectors = load(store).sentences.reconstruct_all()
    assert not np.allclose(vectors, unit_vectors(40, 0))


def test_checksums_are_of_the_files_on_disk(store: IndexStore) -> None:
    manifest = save(store)
    folder = store.root / "gen-000001"
    assert manifest.checksums == {name: file_sha256(folder / name) for name in INDEX_FILES}
    assert json.loads((folder / "manifest.json").read_text())["checksums"] == manifest.checksums


def test_file_sha256_reads_in_chunks(tmp_path: Path) -> None:
    import hashlib

    path = tmp_path / "big"
    data = np.random.default_rng(1).integers(0, 256, (3 << 20) + 17, dtype=np.uint8).tobytes()
    path.write_bytes(data)
    assert file_sha256(path) == hashlib.sha256(data).hexdigest()


def test_old_manifest_without_checksums_still_loads(store: IndexStore) -> None:
    store.publish(save(store, n=5, seed=2))
    drop_checksums(store)
    loaded = load(store)
    assert loaded.manifest.checksums is None
    assert loaded.passage_ids == [f"p{i}" for i in range(5)]
    assert np.allclose(loaded.sentences.reconstruct_all(), unit_vectors(5, 2))
    assert sorted(store.previous_vectors(MODEL)) == [f"p{i}" for i in range(5)]
    # The next generation records checksums again.
    assert save(store, seed=3).checksums is not None


def test_checksum_missing_for_a_file_is_a_mismatch(store: IndexStore) -> None:
    store.publish(save(store))
    path = store.root / "gen-000001" / "manifest.json"
    raw = json.loads(path.read_text())
    del raw["checksums"]["passage_ids.json"]
    path.write_text(json.dumps(raw))
    with pytest.raises(StaleIndexError, match=r"checksum mismatch on passage_ids\.json"):
        load(store)


def test_checksums_that_are_not_a_mapping_are_stale(store: IndexStore) -> None:
    store.publish(save(store))
    path = store.root / "gen-000001" / "manifest.json"
    raw = json.loads(path.read_text())
    raw["checksums"] = ["not", "a", "mapping"]
    path.write_text(json.dumps(raw))
    with pytest.raises(StaleIndexError, match="manifest unreadable"):
        load(store)


# -- keyword and phrase indexes in the generation (format 3) ------------------------------------------


@pytest.fixture(scope="module")
def small_corpus() -> CorpusSnapshot:
    essay = load_essay(seeds_dir() / "mason-2022-marxist-position.md")
    return CorpusSnapshot([essay], prepare(essay).passages)


def save_with_text(store: IndexStore, snap: CorpusSnapshot) -> Manifest:
    ids = [p.id for p in snap.passages]
    return save(store, n=len(ids), passage_ids=ids, snapshot=snap)


def test_text_indexes_are_saved_checksummed_and_reopened(
    store: IndexStore, small_corpus: CorpusSnapshot
) -> None:
    manifest = save_with_text(store, small_corpus)
    store.publish(manifest)
    assert manifest.text_indexes and manifest.paragraph_count == len(small_corpus.paragraphs)
    assert manifest.checksums is not None
    assert {"phrases.sqlite", "keyword-sentences/vocab.index.json"} <= set(manifest.checksums)
    loaded = load(store, snapshot=small_corpus)
    assert loaded.search is not None
    [m] = loaded.search.phrases.exact("no truce in the class war")
    assert small_corpus.paragraphs[m.key].essay_id == "mason-2022-marxist-position"


def test_generation_without_text_indexes_builds_them_at_load(
    store: IndexStore, small_corpus: CorpusSnapshot
) -> None:
    ids = [p.id for p in small_corpus.passages]
    store.publish(save(store, n=len(ids), passage_ids=ids))  # saved without the corpus text
    loaded = load(store, snapshot=small_corpus)
    assert loaded.search is not None
    assert len(loaded.search.paragraphs) == len(small_corpus.paragraphs)


@pytest.mark.parametrize("name", ["phrases.sqlite", "keyword-paragraphs/data.csc.index.npy"])
def test_damaged_text_index_is_stale(store: IndexStore, small_corpus: CorpusSnapshot, name: str) -> None:
    store.publish(save_with_text(store, small_corpus))
    path = store.root / "gen-000001" / name
    path.write_bytes(bytes(path.stat().st_size))  # zeroed in place: same size
    with pytest.raises(StaleIndexError, match="checksum mismatch"):
        load(store, snapshot=small_corpus)


@pytest.mark.parametrize("name", ["phrases.sqlite", "keyword-sentences/vocab.index.json"])
def test_missing_text_index_is_stale_even_unverified(
    store: IndexStore, small_corpus: CorpusSnapshot, name: str
) -> None:
    store.publish(save_with_text(store, small_corpus))
    (store.root / "gen-000001" / name).unlink()
    with pytest.raises(StaleIndexError):
        load(store, snapshot=small_corpus, verify="background")


def test_background_check_reports_damage_and_the_generation_is_not_reused(
    store: IndexStore, small_corpus: CorpusSnapshot
) -> None:
    store.publish(save_with_text(store, small_corpus))
    path = store.root / "gen-000001" / "keyword-sentences" / "data.csc.index.npy"
    raw = bytearray(path.read_bytes())
    raw[-4:] = b"\xff\xff\xff\x7f"  # one score changed: still a valid array, wrong ranking
    path.write_bytes(bytes(raw))
    loaded = load(store, snapshot=small_corpus, verify="background")  # serves at once
    deadline = time.monotonic() + 30
    while not loaded.integrity.finished and time.monotonic() < deadline:
        time.sleep(0.01)
    assert loaded.integrity.problem is not None and "checksum mismatch" in loaded.integrity.problem
    assert loaded.search is not None and loaded.search.integrity.problem == loaded.integrity.problem
    with pytest.raises(StaleIndexError, match="checksum mismatch"):
        load(store, snapshot=small_corpus, verify="background")


def test_background_check_of_a_sound_generation_finds_nothing(
    store: IndexStore, small_corpus: CorpusSnapshot
) -> None:
    store.publish(save_with_text(store, small_corpus))
    loaded = load(store, snapshot=small_corpus, verify="background")
    deadline = time.monotonic() + 30
    while not loaded.integrity.finished and time.monotonic() < deadline:
        time.sleep(0.01)
    assert loaded.integrity.finished and loaded.integrity.problem is None
