"""The cost curve: ingest, start-up, latency, memory and ANN recall against library size.

Usage: python bench/scale.py [--sizes seeds 100 1000] [--big] [--rounds N] [--work DIR] [--plot PATH]

A size is ``seeds`` (the bundled essays alone) or a number N: the seeds plus N SYNTHETIC essays. The
synthetic essays are made of real text: every passage joins 2-3 clauses taken at random from different
sentences of seeds/, with a fixed seed, and no passage is repeated anywhere in the library (the table
checks it), so that recall figures are about distinct vectors. They read as prose to the model, not
as arguments anyone made: quality figures are not measured on them, only costs. Essay N of one size
is essay N of every larger size.

For each size, in one run: a fresh process ingests the library (and measures the model's bare
throughput, batch 32, on the same passages before and after); another fresh process answers a first
question (start to first answer, import and model load included), then the project's own questions
warm (who-said p50/p95 next to the bare pipeline: embed the question + one FAISS search), recall@10
of the persisted index against exact search, and its peak RSS. Vectors are cached per size under
``--work`` (the ingest's own embedding cache), so a rerun does not re-embed: its ingest rate is then
marked "cached" and is no figure of the model's speed. Sizes above 1,000 need ``--big``: run by hand.
"""

from __future__ import annotations

import sys
from pathlib import Path

import _essaybot_or_exit  # noqa: F401  (first: one clear line outside .venv)

# isort: split

import argparse
import json
import os
import random
import re
import shutil
import subprocess
import time

from bot.corpus.loader import load_corpus
from bot.corpus.prepare import prepare
from bot.paths import seeds_dir
from bot.search.embed_cache import CACHE_FILE

REPO = Path(__file__).resolve().parent.parent
SEED = 13
BIG = 1000  # larger sizes only with --big
PARAGRAPHS = (12, 28)  # per synthetic essay; with SENTENCES about the seeds' 95 passages per essay
SENTENCES = (3, 6)
_CLAUSE_SPLIT = re.compile(r"[,;:]\s+|\s[—–-]\s")
_QUOTES = re.compile('["“”]')
COLUMNS = (
    "size",
    "essays",
    "passages",
    "distinct",
    "embedded",
    "ingest_p/s",
    "bare_s/s",
    "ingest/bare",
    "index_s",
    "first_answer_s",
    "rss_ingest_mb",
    "rss_serve_mb",
    "who_said_p50/p95_ms",
    "bare_p50/p95_ms",
    "ratio_p50",
    "recall@10",
    "load_1m",
)


# -- synthetic essays ---------------------------------------------------------------------------------


def seed_sentences() -> list[str]:
    """The sentence passages of the bundled seeds, as the ingest cuts them."""
    return [p.text for e in load_corpus([seeds_dir()]) for p in prepare(e).passages if p.kind == "sentence"]


def clauses(sentences: list[str]) -> list[tuple[int, str]]:
    """(sentence number, clause) pairs: clauses of at least four words with no sentence end inside."""
    out = []
    for n, sentence in enumerate(sentences):
        for part in _CLAUSE_SPLIT.split(sentence):
            text = _QUOTES.sub("", part).strip(" ‘’'()").rstrip(".?!").strip()
            if len(text.split()) >= 4 and not re.search(r"[.?!]\s", text):
                out.append((n, text))
    return out


def write_essays(
    folder: Path, count: int, seed: int = SEED, paragraphs: tuple[int, int] = PARAGRAPHS
) -> list[str]:
    """Write ``count`` synthetic essays into ``folder``; returns their sentences, in order."""
    folder.mkdir(parents=True, exist_ok=True)
    pool = clauses(seed_sentences())
    seen: set[str] = set()
    written: list[str] = []
    for i in range(count):
        rng = random.Random(f"{seed}-{i}")
        blocks = []
        for _ in range(rng.randint(*paragraphs)):
            sentences: list[str] = []
            while len(sentences) < rng.randint(*SENTENCES):
                picked = rng.sample(pool, 3 if rng.random() < 0.3 else 2)
                if len({n for n, _ in picked}) < len(picked):
                    continue  # clauses of one sentence would rebuild it
                text = ", ".join(c for _, c in picked)
                text = text[0].upper() + text[1:] + "."
                if text not in seen:  # every passage of the library distinct
                    seen.add(text)
                    sentences.append(text)
            blocks.append(" ".join(sentences))
            written += sentences
        essay_id = f"synthetic-{i:05d}"
        front = {
            "id": essay_id,
            "title": f"Synthetic essay {i}",
            "authors": [f"Synthetic Writer {i // 3 + 1}"],  # three essays each, whatever the size
            "publication": "Synthetic (bench/scale.py)",
            "date": f"{rng.randint(2015, 2025)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
        }
        head = "\n".join(f"{k}: {json.dumps(v, ensure_ascii=False)}" for k, v in front.items())
        body = "\n\n".join([f"Synthetic essay {i}", *blocks])
        (folder / f"{essay_id}.md").write_text(f"---\n{head}\n---\n{body}\n", encoding="utf-8")
    return written


# -- the two measured processes ----------------------------------------------------------------------


def _peak_rss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _bare_throughput(embedder: object, texts: list[str]) -> float:
    t = time.perf_counter()
    embedder.encode(texts)  # type: ignore[attr-defined]
    return len(texts) / (time.perf_counter() - t)


def child_ingest(
    data_dir: Path, paths: list[Path], sample: int, profile: Path | None, sample_file: Path | None
) -> None:
    """Ingest ``paths`` into a fresh data directory; print one JSON line of figures.

    The bare throughput is measured on ``sample`` of the library's passages (from ``sample_file``,
    one a line), before and after the ingest, and averaged: other load on the machine varies.
    """
    from bot.config import load_settings
    from bot.core.essaybot import Essaybot
    from bot.search.dense import DenseIndex
    from bot.search.hybrid import Retriever

    app = Essaybot(load_settings(None, data_dir=data_dir))
    if sample_file is not None:
        texts = sample_file.read_text(encoding="utf-8").splitlines()
    else:
        texts = [p.text for e in load_corpus(paths) for p in prepare(e).passages if p.kind == "sentence"]
    bare_texts = random.Random(SEED).sample(texts, min(sample, len(texts)))
    app.embedder.encode(bare_texts[:32])  # warm-up: first calls pay for lazy initialisation
    bare = [_bare_throughput(app.embedder, bare_texts)]
    last = [0.0]

    def progress(stage: str, done: int, total: int) -> None:
        if time.monotonic() - last[0] > 30 or done == total:
            last[0] = time.monotonic()
            print(f"  {stage} {done}/{total}", file=sys.stderr, flush=True)

    t = time.perf_counter()
    if profile is not None:
        import cProfile

        with cProfile.Profile() as prof:
            report = app.library.ingest(paths, progress=progress)
        prof.dump_stats(profile)
    else:
        report = app.library.ingest(paths, progress=progress)
    seconds = time.perf_counter() - t
    rss_ingest = _peak_rss_mb()  # before the index timing below builds the keyword indexes again
    bare.append(_bare_throughput(app.embedder, bare_texts))
    snap = app.library.snapshot()
    loaded = app.store.load(model=app.embedder.model_name, corpus_hash=snap.corpus_hash)
    vectors = loaded.sentences.reconstruct_all()
    t = time.perf_counter()
    DenseIndex.build(vectors, loaded.manifest.index_kind)
    Retriever(snap, app.embedder, vectors, app.calibration.fusion)  # keyword and phrase indexes
    index_s = time.perf_counter() - t
    figures = {
        "essays": len(snap.essays),
        "passages": len(snap),
        "distinct": len({p.text for p in snap.passages}),
        "embedded": report.embedded,
        "ingest_s": seconds,
        "bare_sps": sum(bare) / len(bare),
        "index_s": index_s,
        "index_kind": loaded.manifest.index_kind,
        "rss_ingest_mb": rss_ingest,
    }
    print(json.dumps(figures), flush=True)


def _questions() -> list[str]:
    return [
        json.loads(line)["query"]
        for name in ("own_who_said.jsonl", "heldout_who_said.jsonl")
        for line in (REPO / "tests" / "data" / name).read_text().splitlines()
        if line.strip()
    ]


def _p(times: list[float], q: float) -> float:
    ordered = sorted(times)
    return ordered[round(q * (len(ordered) - 1))]


def child_serve(data_dir: Path, rounds: int, warm_questions: int) -> None:
    """Answer a first question (signalled at once), then measure warm latency and recall."""
    import numpy as np

    from bot.config import load_settings
    from bot.core.essaybot import Essaybot
    from bot.search.dense import DenseIndex

    questions = _questions()
    app = Essaybot(load_settings(None, data_dir=data_dir))
    app.ensure_ready()
    app.who_said(questions[0])
    print("FIRST", flush=True)
    warm = questions[:warm_questions]
    for q in warm:  # warm-up
        app.who_said(q)
    who, bare = [], []
    index = app.retriever().indexes.dense  # the serving index itself: a second copy would add to the RSS
    for _ in range(rounds):
        for q in warm:
            t = time.perf_counter()
            app.who_said(q)
            who.append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            index.search(app.embedder.encode_one(q), 10)
            bare.append((time.perf_counter() - t) * 1000)
    rss_serve = _peak_rss_mb()  # before the exact index the recall figure builds
    recall: float | None = None
    if index.kind != "flat":
        exact = DenseIndex.build(index.reconstruct_all(), "flat")
        qv = app.embedder.encode(questions)
        _, approx_ids = index.search(qv, 10)
        _, exact_ids = exact.search(qv, 10)
        recall = float(
            np.mean([len(set(a) & set(e)) / len(e) for a, e in zip(approx_ids, exact_ids, strict=True)])
        )
    figures = {
        "who_p50": _p(who, 0.5),
        "who_p95": _p(who, 0.95),
        "bare_p50": _p(bare, 0.5),
        "bare_p95": _p(bare, 0.95),
        "recall": recall,
        "rss_serve_mb": rss_serve,
    }
    print(json.dumps(figures), flush=True)


def child_baseline() -> None:
    """Import and load the model, embed one question: the start-up no library size changes."""
    from bot.search.embedder import Embedder

    Embedder().encode_one("no truce in the class war")


# -- the parent: one row per size ---------------------------------------------------------------------


def _run_child(args: list[str], env: dict[str, str]) -> dict[str, object]:
    out = subprocess.run(
        [sys.executable, __file__, *args], env=env, check=True, stdout=subprocess.PIPE, text=True
    ).stdout
    result: dict[str, object] = json.loads(out.strip().splitlines()[-1])
    return result


def _first_answer(data_dir: Path, args: argparse.Namespace, env: dict[str, str]) -> dict[str, object]:
    """Serve process: wall time from its start to its first answer, then its own figures."""
    cmd = [
        sys.executable,
        __file__,
        "--child-serve",
        str(data_dir),
        "--rounds",
        str(args.rounds),
        "--warm-questions",
        str(args.warm_questions),
    ]
    t = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    first = None
    lines = []
    for line in proc.stdout:
        if line.strip() == "FIRST":
            first = time.perf_counter() - t
        elif line.strip():
            lines.append(line)
    if proc.wait() != 0 or first is None:
        raise SystemExit(f"the serve process failed (exit {proc.returncode})")
    result: dict[str, object] = json.loads(lines[-1])
    result["first_answer_s"] = first
    return result


def measure(size: str, args: argparse.Namespace, env: dict[str, str]) -> dict[str, object]:
    """Build the library of one size in a fresh data directory and measure it."""
    work: Path = args.work
    folder = work / f"size-{size}"
    data_dir = folder / "data"
    shutil.rmtree(data_dir, ignore_errors=True)
    paths = [seeds_dir()]
    sentences = seed_sentences()
    if size != "seeds":
        essays = folder / "essays"
        shutil.rmtree(essays, ignore_errors=True)
        sentences += write_essays(essays, int(size), args.seed, tuple(args.paragraphs))
        paths.append(essays)
    sample_file = folder / "sentences.txt"
    folder.mkdir(parents=True, exist_ok=True)  # the seeds size writes no essays folder first
    sample_file.write_text("\n".join(sentences) + "\n", encoding="utf-8")
    # The size's own vector cache goes into the fresh data directory for the ingest, and back after.
    kept = work / "cache" / f"size-{size}-seed-{args.seed}.sqlite"
    index_dir = data_dir / "index"
    index_dir.mkdir(parents=True)
    if kept.exists():
        kept.rename(index_dir / CACHE_FILE)
    print(f"size {size}: ingesting", file=sys.stderr, flush=True)
    cmd = ["--child-ingest", str(data_dir), *map(str, paths), "--sample", str(args.sample)]
    cmd += ["--sample-file", str(sample_file)]
    if args.profile:
        cmd += ["--profile-to", str(folder / "ingest.prof")]
    try:
        row = {"size": size, **_run_child(cmd, env)}
    finally:
        kept.parent.mkdir(parents=True, exist_ok=True)
        if (index_dir / CACHE_FILE).exists():
            (index_dir / CACHE_FILE).rename(kept)
    print(f"size {size}: serving", file=sys.stderr, flush=True)
    row.update(_first_answer(data_dir, args, env))
    # Other processes' load: the figures above are only comparable at similar load.
    row["load_1m"] = os.getloadavg()[0]
    return row


def cells(row: dict[str, object]) -> list[str]:
    """The printed columns of one row (COLUMNS, in order)."""
    r: dict[str, float] = {k: v for k, v in row.items() if isinstance(v, int | float)}
    ingest = r["passages"] / r["ingest_s"]
    cached = r["embedded"] < r["distinct"]
    recall = row["recall"]
    return [
        str(row["size"]),
        f"{r['essays']:.0f}",
        f"{r['passages']:.0f}",
        f"{r['distinct']:.0f}",
        f"{r['embedded']:.0f}",
        f"{ingest:.0f}",
        f"{r['bare_sps']:.0f}",
        "cached" if cached else f"{ingest / r['bare_sps']:.0%}",
        f"{r['index_s']:.1f}",
        f"{r['first_answer_s']:.1f}",
        f"{r['rss_ingest_mb']:.0f}",
        f"{r['rss_serve_mb']:.0f}",
        f"{r['who_p50']:.1f}/{r['who_p95']:.1f}",
        f"{r['bare_p50']:.1f}/{r['bare_p95']:.1f}",
        f"{r['who_p50'] / r['bare_p50']:.1f}x",
        "exact" if recall is None else f"{recall:.3f}({row['index_kind']})",
        f"{row.get('load_1m', float('nan')):.1f}",
    ]


def table(rows: list[dict[str, object]]) -> str:
    """The rows as an aligned text table under COLUMNS."""
    grid = [list(COLUMNS), *(cells(r) for r in rows)]
    widths = [max(len(line[i]) for line in grid) for i in range(len(COLUMNS))]
    return "\n".join("  ".join(c.rjust(w) for c, w in zip(line, widths, strict=True)) for line in grid)


def plot(rows: list[dict[str, object]], path: Path) -> None:
    """Latency and peak RSS against library size (passages, log x), as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    x = [float(r["passages"]) for r in rows]  # type: ignore[arg-type]
    fig, (lat, mem) = plt.subplots(1, 2, figsize=(10, 4))
    for key, label in (("who_p50", "who-said p50"), ("who_p95", "who-said p95"), ("bare_p50", "bare p50")):
        lat.plot(x, [r[key] for r in rows], marker="o", label=label)
    lat.set(xscale="log", xlabel="passages (log)", ylabel="ms", title="Warm latency")
    lat.legend()
    for key, label in (("rss_serve_mb", "answering process"), ("rss_ingest_mb", "ingest process")):
        mem.plot(x, [r[key] for r in rows], marker="o", label=label)
    mem.set(xscale="log", xlabel="passages (log)", ylabel="MB", title="Peak RSS")
    mem.legend()
    for ax in (lat, mem):
        ax.grid(True, which="both", alpha=0.3)
    fig.suptitle("essaybot cost against library size (synthetic essays from real sentences)")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", default=["seeds", "100", "1000"])
    parser.add_argument("--big", action="store_true", help=f"allow sizes above {BIG} essays")
    parser.add_argument("--rounds", type=int, default=3, help="rounds over the warm questions")
    parser.add_argument("--warm-questions", type=int, default=25)
    parser.add_argument("--sample", type=int, default=1024, help="passages for the bare throughput")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument(
        "--paragraphs", type=int, nargs=2, default=PARAGRAPHS, help="paragraphs per essay: min max"
    )
    parser.add_argument("--replot", type=Path, help="only draw the plot from a saved rows file")
    parser.add_argument("--work", type=Path, default=Path("/tmp/essaybot-scale"))
    parser.add_argument("--plot", type=Path, default=REPO / "docs" / "scale.png")
    parser.add_argument("--no-plot", action="store_true")
    parser.add_argument("--table", type=Path, help="also write the table here after each size")
    parser.add_argument("--baseline", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument("--profile", action="store_true", help="cProfile each ingest (size-*/ingest.prof)")
    parser.add_argument("--child-ingest", nargs="+", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--profile-to", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--sample-file", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--child-serve", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--child-baseline", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_ingest:
        child_ingest(
            args.child_ingest[0], args.child_ingest[1:], args.sample, args.profile_to, args.sample_file
        )
        return
    if args.child_serve:
        child_serve(args.child_serve, args.rounds, args.warm_questions)
        return
    if args.child_baseline:
        child_baseline()
        return
    if args.replot:
        plot(json.loads(args.replot.read_text()), args.plot)
        return
    for size in args.sizes:
        if size != "seeds" and (not size.isdigit() or (int(size) > BIG and not args.big)):
            parser.error(f"size {size!r}: 'seeds' or a number of synthetic essays (above {BIG}: --big)")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    rows = []
    for size in args.sizes:
        rows.append(measure(size, args, env))
        if args.table:  # each size as it ends: the largest may run for hours
            args.table.write_text(table(rows) + "\n")
            args.table.with_suffix(".json").write_text(json.dumps(rows, indent=1))
    print(table(rows))
    if args.baseline:
        t = time.perf_counter()
        subprocess.run([sys.executable, __file__, "--child-baseline"], env=env, check=True)
        print(
            f"start-up with no library (import, model load, one embedding): {time.perf_counter() - t:.1f} s"
        )
    print("sizes: the seeds, or the seeds plus N synthetic essays (real clauses recombined, fixed seed)")
    if not args.no_plot:
        plot(rows, args.plot)
        print(f"wrote {args.plot}")


if __name__ == "__main__":
    main()
