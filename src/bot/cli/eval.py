"""``essaybot eval``: the three-system quality table, and ``--tune`` to refit the calibration."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from rich.console import Console
from rich.table import Table

from bot.cli.common import handle_errors, open_app
from bot.errors import EssaybotError
from bot.evaluation.metrics import (
    SYSTEMS,
    Tally,
    WhoSaidScores,
    compare_with,
    read_jsonl,
    score_compare,
    score_who_said,
)

if TYPE_CHECKING:
    from bot.core.essaybot import Essaybot


def _split(files: tuple[Path, ...]) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[Path]]:
    who: list[dict[str, Any]] = []
    comp: list[dict[str, Any]] = []
    speakers: list[Path] = []
    for f in files:
        if not f.exists():
            raise EssaybotError(f"no such file: {str(f)!r}")
        if f.suffix in (".yaml", ".yml"):
            speakers.append(f)
            continue
        for row in read_jsonl(f):
            (comp if "topic" in row else who).append(row)
    return who, comp, speakers


def evaluate(app: Essaybot, files: tuple[Path, ...]) -> dict[str, Any]:
    """Every metric for every system, as plain data."""
    who, comp, speaker_files = _split(files)
    r = app.retriever()
    results: dict[str, Any] = {"systems": {}}
    for system in SYSTEMS:
        ws: WhoSaidScores = score_who_said(who, r, app.who_said, system)
        entry: dict[str, Any] = {"who_said": ws}
        if comp:
            entry["compare"] = score_compare(comp, compare_with(app, system))
        results["systems"][system] = entry
    if speaker_files:
        from bot.corpus.speakers_eval import evaluate_cases

        results["speaker_cases"] = [evaluate_cases(f) for f in speaker_files]
    return results


def _rows(results: dict[str, Any]) -> list[tuple[str, list[str]]]:
    rows: list[tuple[str, list[str]]] = []
    systems = results["systems"]

    def line(label: str, get: Any) -> None:
        cells = []
        for s in SYSTEMS:
            try:
                cells.append(str(get(systems[s])))
            except KeyError:
                cells.append("–")
        rows.append((label, cells))

    kinds = sorted({k for s in systems.values() for k in s["who_said"].essay_first})
    for kind in kinds:
        line(f"right essay first: {kind}", lambda e, k=kind: e["who_said"].essay_first[k])
    for kind in kinds:
        line(f"right passage in top 3: {kind}", lambda e, k=kind: e["who_said"].passage_top3[k])
    line("speaker of quoted words / reported view", lambda e: e["who_said"].speaker)
    line("not_found on negatives", lambda e: e["who_said"].negatives_not_found)
    line("found on positives", lambda e: e["who_said"].positives_found)
    line("compare side-hit@3", lambda e: e["compare"])
    return rows


def print_table(console: Console, results: dict[str, Any]) -> None:
    """One table, the three systems side by side."""
    table = Table(title="essaybot eval")
    table.add_column("metric")
    for s in SYSTEMS:
        table.add_column(
            {"bm25": "BM25 only", "dense": "dense only", "full": "full pipeline"}[s], justify="right"
        )
    for label, cells in _rows(results):
        table.add_row(label, *cells)
    console.print(table)
    for m in results.get("speaker_cases", []):
        console.print(
            f"speaker cases: speakers P {m.speaker_precision:.0%} R {m.speaker_recall:.0%}; "
            f"reported views P {m.reported_precision:.0%} R {m.reported_recall:.0%}"
        )
    misses = {k: v for k, v in _misses(results["systems"]["full"]).items() if v}
    if misses:
        console.print(
            "[dim]full pipeline misses: " + "; ".join(f"{k}: {', '.join(v)}" for k, v in misses.items())
        )


def _misses(entry: dict[str, Any]) -> dict[str, list[str]]:
    ws: WhoSaidScores = entry["who_said"]
    out = {f"essay first ({k})": t.misses for k, t in ws.essay_first.items()}
    out |= {f"top 3 ({k})": t.misses for k, t in ws.passage_top3.items()}
    out["speaker"] = ws.speaker.misses
    out["negatives"] = ws.negatives_not_found.misses
    out["positives"] = ws.positives_found.misses
    if "compare" in entry:
        out["compare"] = entry["compare"].misses
    return out


def to_json(results: dict[str, Any]) -> dict[str, Any]:
    """The results as JSON-ready data."""

    def conv(v: Any) -> Any:
        if isinstance(v, Tally):
            return {"hits": v.hits, "total": v.total, "misses": v.misses}
        if isinstance(v, WhoSaidScores):
            return {k: conv(x) for k, x in vars(v).items()}
        if isinstance(v, dict):
            return {k: conv(x) for k, x in v.items()}
        if isinstance(v, list):
            return [conv(x) for x in v]
        if hasattr(v, "__dataclass_fields__"):
            return {k: conv(x) for k, x in vars(v).items()}
        return v

    return {"schema_version": "1.0", "kind": "eval", **conv(results)}


# The project's own question files (tests/data of a source checkout, beside src/): what `essaybot eval`
# scores when given no files, so that a fresh clone reproduces its quality table without ../shared.
_CHECKOUT_QUESTIONS = Path(__file__).resolve().parents[3] / "tests" / "data"


def default_question_files() -> tuple[Path, ...]:
    """The project's own ``tests/data/*.jsonl``: of the checkout this code runs from, else of the cwd.

    Held-out files (``heldout_*.jsonl``) are left out: they are scored only when named, for final
    figures, so that day-to-day runs never tune against them.
    """
    for folder in (_CHECKOUT_QUESTIONS, Path("tests") / "data"):
        files = tuple(p for p in sorted(folder.glob("*.jsonl")) if not p.name.startswith("heldout"))
        if files:
            return files
    raise EssaybotError(
        "no question files given, and no tests/data/*.jsonl here: name FILE.jsonl paths "
        "(the project's own are in tests/data of a source checkout)"
    )


@click.command("eval")
@click.argument("files", nargs=-1, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option("--tune", is_flag=True, help="Refit fusion weights and abstention on FILES (development use).")
@click.option("--write", is_flag=True, help="With --tune: write bot/data/calibration.json.")
@click.pass_context
@handle_errors
def eval_command(ctx: click.Context, files: tuple[Path, ...], as_json: bool, tune: bool, write: bool) -> None:
    """Quality metrics on question files (JSON lines; speaker cases as YAML).

    Without FILES: the project's own question files, tests/data/*.jsonl of the source checkout.
    """
    if not files:
        if tune:
            # Refitting the calibration is a deliberate act on a named development set.
            raise EssaybotError("--tune needs the question FILES to fit on")
        files = default_question_files()
    app = open_app(ctx, show_progress=not as_json)
    if tune:
        from bot.evaluation.tune import tune as do_tune

        who, comp, _ = _split(files)
        calibration = do_tune(app, who, comp, write=write)
        click.echo(json.dumps(calibration, indent=2), err=True)
        app.calibration = app.calibration.load() if write else app.calibration
    results = evaluate(app, files)
    if as_json:
        click.echo(json.dumps(to_json(results)))
    else:
        print_table(Console(highlight=False), results)
