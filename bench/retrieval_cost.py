"""Warm retrieval cost against the bare pipeline (embed the query + one FAISS search).

Usage: nice -n 10 python bench/retrieval_cost.py [--passages 50000] [--rounds 2]

Measures, on the seeds and then on a synthetic library of ``--passages`` passages:
- retrieval (``Retriever.search``: every candidate, fusion, phrase lookup; not the verifier),
- the same with every allowed row as a candidate (``full scan``, what each question cost before),
- the bare pipeline: embedding the query plus one flat FAISS search of k=10,
as medians over the project's own question files, and the time to open a generation's persisted
keyword and phrase indexes against building them from the text.

The synthetic library is for timing only: each passage joins the first half of one seed sentence to
the second half of another (distinct texts, fixed seed 13), and its vector is the normalised sum of
the two sentences' stored vectors, so no recall can be claimed from it.
"""

from __future__ import annotations

from pathlib import Path

import _essaybot_or_exit  # noqa: F401  (first: one clear line outside .venv)

# isort: split

import argparse
import json
import resource
import statistics
import tempfile
import time
from collections.abc import Callable

import numpy as np

from bot.config import load_settings
from bot.core.essaybot import Essaybot
from bot.corpus.models import Essay, EssayMeta, Passage
from bot.search import candidates
from bot.search.dense import DenseIndex, IndexKind
from bot.search.embedder import Vectors
from bot.search.hybrid import Retriever
from bot.search.indexes import SearchIndexes
from bot.search.query import parse_query
from bot.search.snapshot import CorpusSnapshot

DATA = Path(__file__).resolve().parent.parent / "tests" / "data"
SENTENCES_PER_ESSAY = 96
PER_PARAGRAPH = 4


def questions() -> list[str]:
    rows = []
    for name in ("own_who_said.jsonl", "hard_paraphrases.jsonl"):
        rows += [json.loads(line) for line in (DATA / name).read_text().splitlines() if line.strip()]
    return [parse_query(r["query"]).text for r in rows]


def _timed(fn: Callable[[], object]) -> float:
    t0 = time.perf_counter()
    fn()
    return (time.perf_counter() - t0) * 1000


def measure(r: Retriever, app: Essaybot, texts: list[str], rounds: int, label: str) -> None:
    """Medians over the questions; the variants alternate per question, so load hits them alike."""
    qvs = r.embed(texts)
    flat = DenseIndex.build(np.ascontiguousarray(r.sentence_vectors))
    times: dict[str, list[float]] = {"embed": [], "faiss": [], "retrieval": [], "full": []}
    saved = candidates.DENSE_FIRST
    for _ in range(rounds):
        for i, text in enumerate(texts):
            qv = qvs[i : i + 1]
            times["embed"].append(_timed(lambda: app.embedder.encode_one(text)))  # noqa: B023
            times["faiss"].append(_timed(lambda: flat.search(qv, 10)))  # noqa: B023
            # Alternate which variant runs first: the second would find the first's caches warm.
            for variant in ("retrieval", "full") if i % 2 else ("full", "retrieval"):
                # "full": every allowed row a candidate, what a question cost before the indexes.
                candidates.DENSE_FIRST = 10**9 if variant == "full" else saved
                try:
                    times[variant].append(_timed(lambda: r.search(text, k=15, query_vector=qv)))  # noqa: B023
                finally:
                    candidates.DENSE_FIRST = saved
    med = {name: statistics.median(values) for name, values in times.items()}
    p95 = statistics.quantiles(times["retrieval"], n=20)[-1]
    bare = med["embed"] + med["faiss"]
    ratio, full_ratio = (med["embed"] + med["retrieval"]) / bare, (med["embed"] + med["full"]) / bare
    print(
        f"{label}: {len(r.snapshot):,} passages | embed {med['embed']:.1f} ms, FAISS flat k=10"
        f" {med['faiss']:.2f} ms | retrieval p50 {med['retrieval']:.1f} ms p95 {p95:.1f} ms"
        f" (full scan {med['full']:.1f} ms) | (embed+retrieval)/bare = {ratio:.2f}x"
        f" (full scan {full_ratio:.2f}x)",
        flush=True,
    )


def synthetic(seed_snap: CorpusSnapshot, vectors: Vectors, n: int) -> tuple[CorpusSnapshot, Vectors]:
    rng = np.random.default_rng(13)
    words = [p.text.split() for p in seed_snap.passages]
    usable = [i for i, w in enumerate(words) if len(w) >= 6]
    essays, passages, rows = [], [], []
    for e in range(-(-n // SENTENCES_PER_ESSAY)):
        essay_id = f"synthetic-{e:05d}"
        body, pos = [], 0
        count = min(SENTENCES_PER_ESSAY, n - e * SENTENCES_PER_ESSAY)
        for s in range(count):
            a, b = rng.choice(usable, 2, replace=False)
            text = " ".join(words[a][: len(words[a]) // 2] + words[b][len(words[b]) // 2 :])
            sep = "" if s == 0 else ("\n\n" if s % PER_PARAGRAPH == 0 else " ")
            pos += len(sep)
            body.append(sep + text)
            passages.append(
                Passage(f"{essay_id}-{s}", essay_id, s, s // PER_PARAGRAPH, None, pos, pos + len(text), text)
            )
            pos += len(text)
            rows.append((a, b))
        essays.append(Essay(EssayMeta(essay_id, f"Synthetic {e}", (f"Author {e % 97}",)), "".join(body)))
    pairs = np.asarray(rows)
    v = vectors[pairs[:, 0]] + vectors[pairs[:, 1]]
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    return CorpusSnapshot(essays, passages), v.astype(np.float32)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--passages", type=int, default=50_000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--kind", choices=["flat", "hnsw", "hnsw-sq8"], default="flat")
    parser.add_argument("--data-dir", type=Path, help="reuse this data directory (seeds ingested once)")
    parser.add_argument("--threads", type=int, default=1, help="FAISS and torch threads (1: steadier)")
    args = parser.parse_args()
    texts = questions()
    with tempfile.TemporaryDirectory() as tmp:
        app = Essaybot(load_settings(None, data_dir=args.data_dir or Path(tmp), threads=args.threads))
        app.ensure_ready()
        r = app.retriever()
        r.search(texts[0], k=15)  # warm-up
        measure(r, app, texts, args.rounds, "seeds")

        snap, vectors = synthetic(r.snapshot, np.asarray(r.sentence_vectors), args.passages)
        folder = Path(tmp) / "synthetic"
        folder.mkdir()
        t0 = time.perf_counter()
        SearchIndexes.write_text_indexes(folder, snap)
        written = time.perf_counter() - t0
        kind: IndexKind = args.kind
        t0 = time.perf_counter()
        dense = DenseIndex.build(vectors, kind)
        dense_built = time.perf_counter() - t0
        t0 = time.perf_counter()
        opened = SearchIndexes.open(folder, snap, dense)
        opening = time.perf_counter() - t0
        dense.save(folder / "sentences.faiss")
        sizes = {p.name: p.stat().st_size for p in folder.rglob("*") if p.is_file()}
        text_mb = sum(v for k, v in sizes.items() if k != "sentences.faiss") / 2**20
        print(
            f"synthetic: write keyword+phrase files {written:.1f} s ({text_mb:.0f} MB), build FAISS {kind}"
            f" {dense_built:.1f} s ({sizes['sentences.faiss'] / 2**20:.0f} MB), open keyword+phrase files"
            f" {opening * 1000:.0f} ms",
            flush=True,
        )
        big = Retriever(snap, app.embedder, weights=app.calibration.fusion, indexes=opened)
        big.search(texts[0], k=15)
        measure(big, app, texts, args.rounds, f"synthetic ({kind})")
        app.engine.dispose()
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
