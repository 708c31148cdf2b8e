"""Delta generations: a base plus a delta minus tombstones answers like a whole build of the same corpus."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from bot.corpus.loader import load_corpus
from bot.corpus.prepare import prepare
from bot.paths import seeds_dir
from bot.search.dense import IndexKind
from bot.search.index_store import IndexStore, Manifest, StaleIndexError, verify_checksums
from bot.search.indexes import SearchIndexes
from bot.search.keyword import tokenize
from bot.search.segmented import SegmentedDense
from bot.search.segments import DELTA, TOMBSTONES, plan_delta
from bot.search.snapshot import CorpusSnapshot

MODEL, CALIBRATION, DIM = "test-model", "calib-1", 16
UPLOAD = Path(__file__).resolve().parents[1] / "data" / "upload_essay.md"


def corpus(without: set[str] = frozenset(), extra: bool = False) -> CorpusSnapshot:
    """The seeds (minus ``without``), with the upload fixture essay when ``extra``."""
    essays = [e for e in load_corpus([seeds_dir()]) if e.id not in without]
    if extra:
        essays += load_corpus([UPLOAD])
    essays.sort(key=lambda e: e.id)  # the database's order
    prepared = [prepare(e) for e in essays]
    return CorpusSnapshot(
        essays, [p for x in prepared for p in x.passages], {x.essay.id: x.spans for x in prepared}
    )


def vectors_of(snap: CorpusSnapshot) -> npt.NDArray[np.float32]:
    """A fixed unit vector per passage id (stands in for the model: same text, same vector)."""
    out = np.zeros((len(snap), DIM), dtype=np.float32)
    for i, p in enumerate(snap.passages):
        seed = int.from_bytes(p.id.encode()[:8].ljust(8, b"\0"), "little")
        out[i] = np.random.default_rng(seed).standard_normal(DIM)
    return out / np.linalg.norm(out, axis=1, keepdims=True)


def save_whole(store: IndexStore, snap: CorpusSnapshot, kind: IndexKind = "flat") -> Manifest:
    with store.lock():
        manifest = store.save(
            passage_ids=[p.id for p in snap.passages],
            sentence_vectors=vectors_of(snap),
            model=MODEL,
            corpus_hash=snap.corpus_hash,
            index_kind=kind,
            calibration=CALIBRATION,
            snapshot=snap,
        )
        store.publish(manifest)
    return manifest


def save_delta(store: IndexStore, snap: CorpusSnapshot, publish: bool = True) -> Manifest:
    base = store.base_of_current(MODEL, CALIBRATION)
    assert base is not None
    layout = store.layout(base)
    assert layout is not None
    plan = plan_delta(snap, layout)
    with store.lock():
        manifest = store.save_delta(base, snap, plan, vectors_of(plan.delta))
        if publish:
            store.publish(manifest)
    return manifest


def open_search(store: IndexStore, snap: CorpusSnapshot) -> SearchIndexes:
    loaded = store.load(model=MODEL, corpus_hash=snap.corpus_hash, calibration=CALIBRATION, snapshot=snap)
    assert loaded.search is not None
    return loaded.search


QUESTIONS = [
    "I have visited keeps a shelf of minutes that nobody reads",
    "the memory of the movement",
    "imperialism and the working class",
    "a secretary who keeps records",
]


def assert_answers_alike(
    seg: SearchIndexes, whole: SearchIndexes, snap: CorpusSnapshot, delta: set[int]
) -> None:
    """Dense and phrase lookups equal; keyword scores equal on the delta's rows, close elsewhere."""
    rng = np.random.default_rng(7)
    queries = rng.standard_normal((3, DIM)).astype(np.float32)
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    for allowed in (None, snap.row_array(list(snap.essays)[:2]), snap.row_array(list(snap.essays)[-1:])):
        s1, i1 = seg.dense.search(queries, 12, allowed)
        s2, i2 = whole.dense.search(queries, 12, allowed)
        assert np.array_equal(i1, i2) and np.allclose(s1, s2, atol=1e-6)
    assert np.array_equal(seg.dense.vectors(), whole.dense.vectors())
    rows = np.asarray(sorted(delta), dtype=np.int64)
    for q in QUESTIONS:
        terms = tokenize([q])[0]
        a, b = seg.sentences.scores(terms), whole.sentences.scores(terms)
        assert len(a) == len(snap)
        assert np.allclose(a[rows], b[rows], rtol=1e-5)  # the delta: on the scale of a whole build
        assert np.corrcoef(a, b)[0, 1] > 0.98  # the base: its own statistics, close to the library's
        assert seg.phrases.exact(q) == whole.phrases.exact(q)
        paras = list(range(0, len(snap.paragraphs), 3))
        assert seg.phrases.near(q, paras) == whole.phrases.near(q, paras)
        for row in (0, len(snap.paragraphs) - 1):
            assert seg.paragraphs.coverage(terms, row) == whole.paragraphs.coverage(terms, row)
        for term in terms:  # posting lists in snapshot rows, tombstoned rows left out
            assert sorted(seg.sentences.rows_with(term).tolist()) == sorted(
                whole.sentences.rows_with(term).tolist()
            )


def test_an_added_essay_is_a_delta_over_linked_base_files(tmp_path: Path) -> None:
    store = IndexStore(tmp_path / "index")
    before, after = corpus(), corpus(extra=True)
    base = save_whole(store, before)
    manifest = save_delta(store, after)
    assert manifest.segments is not None
    added = {r for r, p in enumerate(after.passages) if p.essay_id == "okafor-2024-lighthouse-keepers"}
    assert manifest.segments["delta_passages"] == len(added) and manifest.segments["tombstones"] == 0
    old, new = store.root / f"gen-{base.generation:06d}", store.root / f"gen-{manifest.generation:06d}"
    assert (old / "sentences.faiss").stat().st_ino == (new / "sentences.faiss").stat().st_ino  # linked
    assert (new / DELTA / "sentences.faiss").is_file()
    seg = open_search(store, after)
    assert isinstance(seg.dense, SegmentedDense)
    whole = SearchIndexes.build(after, vectors_of(after))
    assert_answers_alike(seg, whole, after, added)
    # The new essay's sentence is found exactly, in its own paragraph.
    found = seg.phrases.exact(QUESTIONS[0])
    assert [after.paragraphs[m.key].essay_id for m in found] == ["okafor-2024-lighthouse-keepers"]


def test_a_removed_essay_is_tombstoned_and_restoring_it_uses_the_base_again(tmp_path: Path) -> None:
    store = IndexStore(tmp_path / "index")
    full = corpus()
    gone = list(full.essays)[1]
    save_whole(store, full)
    smaller = corpus(without={gone})
    manifest = save_delta(store, smaller)
    assert manifest.segments is not None and manifest.segments["delta_passages"] == 0
    assert manifest.segments["tombstones"] == len(full.rows_for_essays({gone}))
    seg = open_search(store, smaller)
    assert_answers_alike(seg, SearchIndexes.build(smaller, vectors_of(smaller)), smaller, set())
    # A quote of the removed essay is no longer found; every row the dense index gives is live.
    quote = full.paragraph_text(full.paragraph_of[full.rows_for_essays({gone})[0]])
    assert all(smaller.paragraphs[m.key].essay_id != gone for m in seg.phrases.exact(quote))
    _, ids = seg.dense.search(vectors_of(full)[full.rows_for_essays({gone})], len(smaller))
    assert ids.min() >= 0 and ids.max() < len(smaller)

    restored = save_delta(store, full)  # the essay is back as the base indexed it: no delta left
    assert restored.segments is None
    assert not (store.root / f"gen-{restored.generation:06d}" / TOMBSTONES).exists()
    assert_answers_alike(open_search(store, full), SearchIndexes.build(full, vectors_of(full)), full, set())


def test_the_delta_share_decides_compaction(tmp_path: Path) -> None:
    store = IndexStore(tmp_path / "index")
    full = corpus()
    save_whole(store, full)
    base = store.base_of_current(MODEL, CALIBRATION)
    assert base is not None
    layout = store.layout(base)
    assert layout is not None
    one = plan_delta(corpus(without={next(iter(full.essays))}), layout)
    half = plan_delta(corpus(without=set(list(full.essays)[: len(full.essays) // 2])), layout)
    assert 0 < one.share(len(full)) < half.share(len(full))
    assert half.share(len(full)) > 0.10


def test_an_unpublished_delta_leaves_the_current_generation_answering(tmp_path: Path) -> None:
    store = IndexStore(tmp_path / "index")
    before, after = corpus(), corpus(extra=True)
    save_whole(store, before)
    pending = save_delta(store, after, publish=False)
    assert store.current_generation() == pending.generation - 1
    assert open_search(store, before).phrases.exact(QUESTIONS[0]) == []  # the old one, whole
    with store.lock():
        store.publish(pending)
    assert open_search(store, after).phrases.exact(QUESTIONS[0])


@pytest.mark.parametrize("name", [f"{DELTA}/sentences.faiss", f"{DELTA}/keyword-sentences/vocab.index.json"])
def test_a_damaged_delta_file_is_detected(tmp_path: Path, name: str) -> None:
    store = IndexStore(tmp_path / "index")
    after = corpus(extra=True)
    save_whole(store, corpus())
    manifest = save_delta(store, after)
    path = store.root / f"gen-{manifest.generation:06d}" / name
    assert manifest.checksums is not None and name in manifest.checksums
    path.write_bytes(path.read_bytes()[:-7] + b"garbage")
    with pytest.raises(StaleIndexError, match="checksum mismatch"):
        store.load(model=MODEL, corpus_hash=after.corpus_hash, calibration=CALIBRATION, snapshot=after)
    # The base files it links are untouched: the previous generation still verifies.
    old = store.root / f"gen-{manifest.generation - 1:06d}"
    verify_checksums(old, Manifest(**json.loads((old / "manifest.json").read_text())))


def test_the_previous_vectors_of_a_delta_generation_cover_both_segments(tmp_path: Path) -> None:
    store = IndexStore(tmp_path / "index")
    after = corpus(extra=True)
    save_whole(store, corpus())
    save_delta(store, after)
    vectors = store.previous_vectors(MODEL)
    expected = vectors_of(after)
    assert all(np.allclose(vectors[p.id], expected[i]) for i, p in enumerate(after.passages))


@pytest.mark.parametrize("kind", ["hnsw", "hnsw-sq8"])
def test_an_approximate_base_filters_its_tombstones_inside_the_search(
    tmp_path: Path, kind: IndexKind
) -> None:
    store = IndexStore(tmp_path / "index")
    full = corpus()
    gone = list(full.essays)[2]
    save_whole(store, full, kind)
    after = corpus(without={gone}, extra=True)
    save_delta(store, after)
    seg = open_search(store, after)
    assert seg.dense.kind == kind
    stored = vectors_of(after)
    if kind == "hnsw-sq8":  # the base's rows are kept in half precision beside its codes
        in_base = np.isin([p.id for p in after.passages], [p.id for p in full.passages])
        stored[in_base] = stored[in_base].astype(np.float16)
    assert np.array_equal(seg.dense.vectors(), stored)  # the compressed base's unquantised rows
    exact = SearchIndexes.build(after, stored).dense
    queries = vectors_of(full)[full.rows_for_essays({gone})[:5]]  # near the removed rows
    s1, i1 = seg.dense.search(queries, 10)
    s2, i2 = exact.search(queries, 10)
    assert np.array_equal(i1, i2) and np.allclose(s1, s2, atol=1e-6)


def test_a_delta_that_fails_half_written_leaves_nothing_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = IndexStore(tmp_path / "index")
    before, after = corpus(), corpus(extra=True)
    whole = save_whole(store, before)

    def fail(*args: object, **kwargs: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(SearchIndexes, "write_text_indexes", fail)  # after the links and the FAISS file
    with pytest.raises(OSError, match="disk full"):
        save_delta(store, after)
    assert store.current_generation() == whole.generation
    assert sorted(p.name for p in store.root.glob("gen-*")) == [f"gen-{whole.generation:06d}"]
    quote = before.passages[5].text  # the generation still published answers in full
    found = open_search(store, before).phrases.exact(quote)
    assert found and found == SearchIndexes.build(before, vectors_of(before)).phrases.exact(quote)


def test_a_delta_generation_reads_vectors_by_row_without_copying_them_all(tmp_path: Path) -> None:
    store = IndexStore(tmp_path / "index")
    full = corpus()
    save_whole(store, full)
    after = corpus(without={list(full.essays)[1]}, extra=True)
    save_delta(store, after)
    seg = open_search(store, after)
    view, expected = seg.dense.rows(), vectors_of(after)
    assert not isinstance(view, np.ndarray) and view.shape == expected.shape
    rows = np.asarray([0, len(after) - 1, 5, 5], dtype=np.int64)  # base rows, delta rows, repeats
    assert np.array_equal(view[rows], expected[rows])
    assert np.array_equal(view[3:9], expected[3:9])
    assert np.array_equal(view[len(after) - 1], expected[-1])
    assert np.array_equal(view[np.arange(len(after))], expected)  # every row, the added essay's included
