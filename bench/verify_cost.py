"""What verification costs: the bare pipeline, retrieval, verification and the whole warm who-said.

Usage: .venv/bin/python bench/verify_cost.py [--rounds N]
All four are timed in one run on the same questions (the project's own question files), after a
warm-up, so their ratios hold even when absolute times on a shared machine do not:

- bare: embed the query and one flat FAISS search over the sentence vectors;
- retrieval: embed plus the hybrid search (dense, BM25, phrase) that feeds the verifier;
- verification: the verifier alone on those hits;
- who-said: the whole answer as a member gets it.
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

import faiss
import numpy as np

from bot.answer.who_said import claim_of
from bot.config import load_settings
from bot.core.essaybot import Essaybot
from bot.search.query import parse_query

DATA = Path(__file__).resolve().parent.parent / "tests" / "data"
FILES = ("own_who_said.jsonl", "claims_positive.jsonl", "claims_negative.jsonl")


def _median_ms(fn: Callable[[str], object], queries: list[str], rounds: int) -> float:
    times = []
    for _ in range(rounds):
        for q in queries:
            t = time.perf_counter()
            fn(q)
            times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    queries = [
        json.loads(line)["query"]
        for name in FILES
        for line in (DATA / name).read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    with tempfile.TemporaryDirectory() as tmp:
        app = Essaybot(load_settings(None, data_dir=Path(tmp)))
        app.ensure_ready()
        r, verifier = app.retriever(), app.verifier()
        flat = faiss.IndexFlatIP(r.sentence_vectors.shape[1])
        flat.add(np.ascontiguousarray(r.sentence_vectors))
        k = app.settings.top_k * 3

        def bare(q: str) -> object:
            return flat.search(r.embed([parse_query(q).text]), k)

        def retrieval(q: str) -> object:
            text = parse_query(q).text
            return r.search(text, k=k, query_vector=r.embed([text]))

        prepared = {}
        for q in queries:
            query = parse_query(q)
            qv = r.embed([query.text])
            prepared[q] = (claim_of(query), r.search(query.text, k=k, query_vector=qv).hits, qv)

        def verification(q: str) -> object:
            claim, hits, qv = prepared[q]
            return verifier.check(claim, hits, qv)

        for fn in (bare, retrieval, verification, app.who_said):  # warm-up
            for q in queries[:20]:
                fn(q)
        ms = {
            name: _median_ms(fn, queries, args.rounds)
            for name, fn in (
                ("bare", bare),
                ("retrieval", retrieval),
                ("verification", verification),
                ("who-said", app.who_said),
            )
        }
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{len(queries)} questions × {args.rounds} rounds, medians:")
    for name, value in ms.items():
        print(f"  {name:<13} {value:6.1f} ms   {value / ms['bare']:.2f}× bare")
    print(f"peak RSS: {rss_mb:.0f} MB")


if __name__ == "__main__":
    main()
