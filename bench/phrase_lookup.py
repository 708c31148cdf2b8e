"""Exact-quote lookup by the rarest trigrams against the whole-phrase query, on a library's own table.

Usage: .venv/bin/python bench/phrase_lookup.py DATA_DIR [--rounds 3]

Reads the current generation's phrase table (``phrases.sqlite``) of DATA_DIR and copies it to a
temporary folder twice: one copy with the trigram counts, one without. The project's question files
are looked up in both, taking turns, in one run. A lookup is what changed: the FTS5 query and the
regex that confirms its candidates (mapping matches back to the essay's offsets is the same either
way). Prints the median, mean and largest time per question each way, their ratio, how many
candidates each way read, and checks that both confirm the same paragraphs for every question.
"""

from __future__ import annotations

from pathlib import Path

import _essaybot_or_exit  # noqa: F401  (first: one clear line outside .venv)

# isort: split

import argparse
import json
import re
import shutil
import sqlite3
import statistics
import tempfile
import time

from bot.search.phrase import EXACT_MIN_CHARS, PhraseIndex, Span, _needle, count_trigrams

DATA = Path(__file__).resolve().parent.parent / "tests" / "data"
FILES = ("own_who_said.jsonl", "nested_who_said.jsonl", "hard_paraphrases.jsonl", "claims_positive.jsonl")


def questions() -> list[str]:
    """The needles of the project's own questions that are long enough for an exact lookup."""
    out = []
    for name in FILES:
        for line in (DATA / name).read_text(encoding="utf-8").splitlines():
            if line.strip():
                needle = _needle(json.loads(line)["query"])
                if len(needle) >= EXACT_MIN_CHARS:
                    out.append(needle)
    return out


def copy_table(source: Path, folder: Path, *, counted: bool) -> Path:
    """A writable copy of ``source`` with (or without) the trigram counts."""
    target = folder / ("counted.sqlite" if counted else "plain.sqlite")
    shutil.copyfile(source, target)
    connection = sqlite3.connect(target)
    try:
        has = connection.execute("SELECT 1 FROM sqlite_master WHERE name = 'trigram_docs'").fetchone()
        if counted and not has:
            count_trigrams(connection)
        if not counted and has:
            connection.execute("DROP TABLE trigram_docs")
        connection.commit()
    finally:
        connection.close()
    return target


def _no_span(key: int) -> Span:
    raise AssertionError("a lookup never maps offsets")


def lookup(index: PhraseIndex, needle: str) -> tuple[float, list[int], int]:
    """Seconds for the FTS5 query and the regex, the confirmed keys, and the candidates read."""
    pattern = re.compile(r"(?<!\w)" + re.escape(needle) + r"(?!\w)")
    t0 = time.perf_counter()
    candidates = index.candidates(needle)
    keys = [key for key, norm in candidates if pattern.search(norm)]
    return time.perf_counter() - t0, keys, len(candidates)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_dir", type=Path)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    index_dir = args.data_dir / "index"
    source = index_dir / (index_dir / "CURRENT").read_text().strip() / "phrases.sqlite"
    needles = questions()
    with tempfile.TemporaryDirectory() as tmp:
        ways = {
            name: PhraseIndex(sqlite3.connect(copy_table(source, Path(tmp), counted=counted)), _no_span)
            for name, counted in (("phrase", False), ("rarest", True))
        }
        spans = ways["phrase"]._db.execute("SELECT count(*) FROM spans").fetchone()[0]
        times: dict[str, list[float]] = {name: [] for name in ways}
        read = dict.fromkeys(ways, 0)
        for needle in needles:  # warm the page cache for both copies
            for index in ways.values():
                lookup(index, needle)
        for _ in range(args.rounds):
            for needle in needles:
                found = {}
                for name, index in ways.items():
                    seconds, found[name], n = lookup(index, needle)
                    times[name].append(seconds)
                    read[name] += n
                if found["phrase"] != found["rarest"]:
                    raise SystemExit(f"the two lookups disagree on {needle!r}")
        for index in ways.values():
            index.close()
    table = f"{source.parent.name}/phrases.sqlite"
    print(f"{table}: {spans} paragraphs, {len(needles)} questions x {args.rounds}")
    for name, values in times.items():
        ms = [v * 1000 for v in values]
        print(
            f"{name:<7} median {statistics.median(ms):7.2f} ms   mean {statistics.mean(ms):7.2f} ms   "
            f"max {max(ms):7.2f} ms   candidates read {read[name] // args.rounds}"
        )
    ratio = statistics.mean(times["phrase"]) / statistics.mean(times["rarest"])
    print(f"mean phrase / rarest: {ratio:.1f}x; both confirmed the same paragraphs for every question")


if __name__ == "__main__":
    main()
