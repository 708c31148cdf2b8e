"""bench/scale.py: its synthetic essays, and one quick run at the smallest size (the big ones run by hand)."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from bot.corpus.loader import load_corpus

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "bench" / "scale.py"


def load_bench() -> ModuleType:
    # As `python bench/scale.py` would: the script's folder first on sys.path, for its sibling guard.
    spec = importlib.util.spec_from_file_location("bench_scale", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(SCRIPT.parent))
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(SCRIPT.parent))
    return module


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    return load_bench()


def test_synthetic_essays_are_fixed_by_the_seed_and_grow_by_appending(
    bench: ModuleType, tmp_path: Path
) -> None:
    bench.write_essays(tmp_path / "a", 4, seed=7, paragraphs=(2, 3))
    bench.write_essays(tmp_path / "b", 6, seed=7, paragraphs=(2, 3))
    bench.write_essays(tmp_path / "c", 4, seed=8, paragraphs=(2, 3))
    a = {p.name: p.read_text() for p in (tmp_path / "a").iterdir()}
    b = {p.name: p.read_text() for p in (tmp_path / "b").iterdir()}
    c = {p.name: p.read_text() for p in (tmp_path / "c").iterdir()}
    assert len(a) == 4 and len(b) == 6
    assert all(b[name] == text for name, text in a.items())  # a larger size starts with the smaller
    assert a != c  # another seed, another library


def test_every_synthetic_passage_is_distinct_and_made_of_seed_clauses(
    bench: ModuleType, tmp_path: Path
) -> None:
    written = bench.write_essays(tmp_path, 10, paragraphs=(3, 4))
    essays = load_corpus([tmp_path])
    passages = [p.text for e in essays for p in bench.prepare(e).passages if p.kind == "sentence"]
    assert sorted(passages) == sorted(written)  # the chunker cuts exactly the sentences written
    assert len(set(passages)) == len(passages)
    clauses = {c for _, c in bench.clauses(bench.seed_sentences())}
    seeds = set(bench.seed_sentences())
    for text in passages[:50]:
        assert text not in seeds
        parts = text.rstrip(".").split(", ")
        assert len(parts) >= 2 and text[0].isupper()
        assert all(part[0].lower() + part[1:] in clauses or part in clauses for part in parts)


@pytest.mark.model
def test_a_tiny_run_prints_every_column(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    out = subprocess.run(
        [
            sys.executable,
            str(SCRIPT),
            *("--sizes", "20", "--paragraphs", "1", "2", "--rounds", "1", "--warm-questions", "3"),
            *("--sample", "64", "--work", str(tmp_path), "--no-plot", "--no-baseline"),
        ],
        env=env,
        check=True,
        capture_output=True,
        text=True,
        timeout=600,
    ).stdout
    lines = out.splitlines()
    header = lines[0].split()
    assert header == list(load_bench().COLUMNS)
    row = dict(zip(header, lines[1].split(), strict=True))
    assert row["size"] == "20" and row["essays"] == "25"  # the seeds and 20 synthetic essays
    assert int(row["passages"]) > 470
    assert row["distinct"] == row["passages"]
    assert row["embedded"] == row["passages"]  # a fresh cache: every vector computed
    assert row["recall@10"] == "exact"  # a flat index at this size
    assert float(row["first_answer_s"]) > 0
    assert (tmp_path / "cache" / "size-20-seed-13.sqlite").exists()  # kept for a rerun
