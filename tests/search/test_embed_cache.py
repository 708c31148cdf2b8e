"""The embedding cache: hits and misses, model changes, damaged files, and an ingest killed mid-way."""

from __future__ import annotations

import logging
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from bot.config import load_settings
from bot.core.essaybot import Essaybot
from bot.paths import seeds_dir
from bot.search.embed_cache import CACHE_FILE, EmbeddingCache, encode_cached, text_hash
from bot.search.embedder import DEFAULT_MODEL, Embedder, resolve_model_path

DIM = 8
TEXTS = [
    "No war but the class war.",
    "The workers of Russia and Ukraine have no interest in this slaughter.",
    "Solidarity with the Ukrainian resistance does not mean support for NATO.",
]
QUOTE = "Parts of the left disgraced themselves in the run-up to Putin’s attack on Ukraine"


def unit_vectors(n: int, seed: int = 0) -> npt.NDArray[np.float32]:
    v = np.random.default_rng(seed).standard_normal((n, DIM)).astype(np.float32)
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    return v


def rows_in(path: Path) -> int:
    with EmbeddingCache(path) as cache:
        return cache.count()


# -- the file itself (no model) ---------------------------------------------------------------------


def test_hit_after_put_and_miss_for_other_texts(tmp_path: Path) -> None:
    path = tmp_path / CACHE_FILE
    keys = [text_hash(t) for t in TEXTS]
    vectors = unit_vectors(3)
    with EmbeddingCache(path) as cache:
        assert cache.get("m", keys, DIM) == {}
        cache.put("m", keys[:2], vectors[:2])
    with EmbeddingCache(path) as cache:  # committed: a new connection reads it
        found = cache.get("m", keys, DIM)
    assert set(found) == set(keys[:2])
    for key, vector in zip(keys[:2], vectors[:2], strict=True):
        assert found[key].tobytes() == vector.tobytes()  # bit for bit


def test_another_model_never_reads_the_vectors(tmp_path: Path) -> None:
    path = tmp_path / CACHE_FILE
    keys = [text_hash(t) for t in TEXTS]
    with EmbeddingCache(path) as cache:
        cache.put("model-a", keys, unit_vectors(3))
        assert cache.get("model-b", keys, DIM) == {}
        assert len(cache.get("model-a", keys, DIM)) == 3
        assert cache.get("model-a", keys, DIM * 2) == {}  # another width is another model too


def test_a_damaged_row_is_a_miss(tmp_path: Path) -> None:
    path = tmp_path / CACHE_FILE
    keys = [text_hash(t) for t in TEXTS]
    with EmbeddingCache(path) as cache:
        cache.put("m", keys, unit_vectors(3))
    with sqlite3.connect(path) as db:  # flip bytes of one stored vector, as a bad sector would
        (stored,) = db.execute("SELECT vector FROM vectors WHERE text_hash = ?", (keys[1],)).fetchone()
        blob = bytearray(stored)
        blob[0] ^= 0xFF
        db.execute("UPDATE vectors SET vector = ? WHERE text_hash = ?", (bytes(blob), keys[1]))
    with EmbeddingCache(path) as cache:
        assert set(cache.get("m", keys, DIM)) == {keys[0], keys[2]}


def test_a_file_that_is_not_a_database_is_replaced(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / CACHE_FILE
    path.write_bytes(b"this is not SQLite" * 500)
    keys = [text_hash(t) for t in TEXTS]
    with caplog.at_level(logging.WARNING), EmbeddingCache(path) as cache:
        assert cache.enabled
        assert cache.get("m", keys, DIM) == {}
        cache.put("m", keys, unit_vectors(3))
    assert "damaged" in caplog.text
    assert rows_in(path) == 3


def test_a_file_cut_short_never_breaks_a_lookup(tmp_path: Path) -> None:
    path = tmp_path / CACHE_FILE
    keys = [text_hash(f"sentence number {i}") for i in range(400)]
    with EmbeddingCache(path) as cache:
        cache.put("m", keys, unit_vectors(400))
    size = path.stat().st_size
    with path.open("r+b") as fh:
        fh.truncate(size // 3)
    with EmbeddingCache(path) as cache:
        found = cache.get("m", keys, DIM)  # whatever survived, or nothing: never an exception
        assert len(found) < len(keys)
        cache.put("m", keys[:5], unit_vectors(5, seed=1))
        assert len(cache.get("m", keys[:5], DIM)) == 5


# -- with the real model ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def embedder() -> Embedder:
    return Embedder()


@pytest.mark.model
def test_encode_embeds_only_what_the_cache_lacks(tmp_path: Path, embedder: Embedder) -> None:
    path = tmp_path / CACHE_FILE
    first, embedded = encode_cached(embedder, [TEXTS[0], TEXTS[1], TEXTS[0]], path)
    assert embedded == 2  # a repeated text is embedded once
    assert first[0].tobytes() == first[2].tobytes()
    again, embedded = encode_cached(embedder, TEXTS, path)
    assert embedded == 1  # only the new text
    assert again[:2].tobytes() == first[:2].tobytes()
    assert np.allclose(again, embedder.encode(TEXTS), atol=1e-5)  # row order kept
    _, embedded = encode_cached(embedder, TEXTS, path, read=False)
    assert embedded == 3  # a reindex embeds afresh


@pytest.mark.model
def test_a_model_change_embeds_everything_again(tmp_path: Path, embedder: Embedder) -> None:
    path = tmp_path / CACHE_FILE
    encode_cached(embedder, TEXTS, path)
    # The same weights under another name are another model as far as the cache can tell.
    other = Embedder(resolve_model_path(DEFAULT_MODEL))
    _, embedded = encode_cached(other, TEXTS, path)
    assert embedded == len(TEXTS)


@pytest.mark.model
def test_ingest_killed_mid_way_resumes_where_it_stopped(tmp_path: Path) -> None:
    """``kill -9`` during the embedding: the next ingest embeds only what was not committed."""
    data_dir = tmp_path / "data"
    cache = data_dir / "index" / CACHE_FILE
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "--data-dir", str(data_dir), "ingest", "--json", str(seeds_dir())],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None:
            if cache.exists() and rows_in(cache) >= 64:
                break
            time.sleep(0.05)
        assert proc.poll() is None, "the ingest ended before it could be interrupted"
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait()
    cached = rows_in(cache)
    assert cached >= 64

    app = Essaybot(load_settings(None, data_dir=data_dir))
    try:
        assert app.counts()["essays"] == 0  # the killed ingest committed nothing to the library
        report = app.library.ingest([seeds_dir()])
        distinct = {p.text for p in app.retriever().snapshot.passages}
        assert report.embedded == len(distinct) - cached  # nothing committed was embedded twice
        assert rows_in(cache) == len(distinct)
        answer = app.who_said(QUOTE)
        assert answer.verdict == "found" and answer.quote_verdict == "exact"
        assert answer.results[0].essay.id == "mason-2022-marxist-position"
    finally:
        app.engine.dispose()
