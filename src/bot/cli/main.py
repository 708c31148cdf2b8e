"""``essaybot``: the command-line shell around the core (ingest, who-said, compare, eval, ...).

Every user error prints one line and exits with code 2; ``--json`` prints one JSON object. The
commands of the other modules of this package are registered here; ``essaybot run`` (the Discord
shell) is added by ``bot.program``, so that neither shell imports the other.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, cast

import click

from bot import __version__
from bot.cli.common import (
    Context,
    context,
    emit_json,
    ensure_dir,
    err,
    handle_errors,
    open_app,
    out,
    progress,
)
from bot.cli.curation import passages, quotes
from bot.cli.essays import essays
from bot.cli.eval import eval_command
from bot.cli.ops import backup, doctor, health, restore
from bot.cli.privacy import forget_user
from bot.errors import EssaybotError

if TYPE_CHECKING:
    from pydantic import BaseModel
    from rich.console import Console

    from bot.answer.types import CompareAnswer, WhoSaidAnswer
    from bot.core.essaybot import Essaybot


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="essaybot")
@click.option(
    "--config",
    "config",
    type=click.Path(path_type=Path),
    default=None,
    help="TOML config file (default: $ESSAYBOT_CONFIG or ./essaybot.toml).",
)
@click.option(
    "--data-dir",
    type=click.Path(path_type=Path),
    default=None,
    help="Where the database and index live (env ESSAYBOT_DATA_DIR, default ./data).",
)
@click.option("-v", "--verbose", is_flag=True, help="Log progress details to stderr.")
@click.pass_context
def main(ctx: click.Context, config: Path | None, data_dir: Path | None, verbose: bool) -> None:
    """essaybot: who said it, quoted exactly, from a shared library of essays."""
    ctx.obj = Context(config, data_dir, verbose)


class _Answer(Protocol):
    def to_json(self) -> dict[str, Any]: ...


A = TypeVar("A", bound=_Answer)
F = TypeVar("F", bound=Callable[..., Any])
L = TypeVar("L", bound="BaseModel")


def _show(answer: A, as_json: bool, printer: Callable[[Console, A], None]) -> None:
    """One answer: a JSON object, or printed for people."""
    if as_json:
        emit_json(answer.to_json())
    else:
        printer(out, answer)


def _question_options(batch_help: str) -> Callable[[F], F]:
    """What who-said and compare share: ``--json``, ``--batch FILE``, the context and error handling."""

    def decorate(fn: F) -> F:
        # Applied as a decorator stack applies them: the bottom one first.
        command: Any = click.pass_context(handle_errors(fn))
        command = click.option("--batch", type=click.Path(path_type=Path), help=batch_help)(command)
        command = click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")(command)
        return cast(F, command)

    return decorate


def _answer_batch(
    ctx: click.Context, path: Path, line_type: type[L], answer: Callable[[Essaybot, L], _Answer]
) -> None:
    """One JSON object out per JSON line in; a bad line yields {"error": ...} and the batch goes on."""
    from bot.cli.batch import answer_lines

    app = open_app(ctx, show_progress=False)
    for obj in answer_lines(path, lambda line: answer(app, line_type.model_validate(line)).to_json()):
        emit_json(obj)


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--force", is_flag=True, help="Re-import unchanged essays and essays removed earlier.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.pass_context
@handle_errors
def ingest(ctx: click.Context, paths: tuple[Path, ...], force: bool, as_json: bool) -> None:
    """Import essays (default: the bundled seeds) and rebuild the index incrementally."""
    for p in paths:
        if not p.exists():
            raise EssaybotError(f"no such file or directory: {str(p)!r}")
    app = open_app(ctx, ready=False)
    with progress(not as_json) as sink:
        report = app.library.ingest(list(paths) or None, force=force, progress=sink)
    if as_json:
        emit_json({"schema_version": "1.0", "kind": "ingest", **vars(report)})
        return
    for w in report.warnings:
        err.print(f"[yellow]warning:[/] {w}", markup=True)
    out.print(
        f"ingested: {len(report.added)} added, {len(report.updated)} updated, "
        f"{len(report.unchanged)} unchanged, "
        f"{len(report.skipped)} skipped; {report.passages} passages ({report.embedded} embedded) "
        f"in {report.seconds:.1f}s; index generation {report.generation}"
    )


@main.command("who-said")
@click.argument("query", required=False)
@click.option("--author", help="Only look in this author's (or essay's) texts.")
@click.option("--top", "top", type=click.IntRange(1, 25), default=None, help="How many results.")
@_question_options('JSON lines {"query": ...}; "-" for stdin.')
def who_said(
    ctx: click.Context,
    query: str | None,
    author: str | None,
    top: int | None,
    as_json: bool,
    batch: Path | None,
) -> None:
    """Which author and essay said QUERY (a quote or a claim)?"""
    from bot.cli.batch import WhoSaidLine
    from bot.cli.render import print_who_said

    def ask(app: Essaybot, line: WhoSaidLine) -> WhoSaidAnswer:
        # A batch line's own author and top win over the options.
        return app.who_said(line.query, author=line.author or author, top_k=line.top or top)

    if batch is not None:
        _answer_batch(ctx, batch, WhoSaidLine, ask)
        return
    if query is None:
        raise EssaybotError("give a QUERY (or --batch FILE)")
    app = open_app(ctx, show_progress=not as_json)
    with app.recorded("who-said", {"query": query, "author": author}) as entry:
        answer = app.who_said(query, author=author, top_k=top)
        entry.describe_answer(answer, app.calibration.id)
        entry.passage_ids = [q.passage_id for q in answer.results]
    _show(answer, as_json, print_who_said)


@main.command()
@click.argument("a", required=False)
@click.argument("b", required=False)
@click.argument("topic", required=False)
@click.option("--top", "top", type=click.IntRange(1, 10), default=3, help="Passages per side.")
@_question_options('JSON lines {"a":…,"b":…,"topic":…}.')
def compare(
    ctx: click.Context,
    a: str | None,
    b: str | None,
    topic: str | None,
    top: int,
    as_json: bool,
    batch: Path | None,
) -> None:
    """Passages of A and B (authors or essays) on TOPIC, side by side."""
    from bot.cli.batch import CompareLine
    from bot.cli.render import print_compare

    def ask(app: Essaybot, line: CompareLine) -> CompareAnswer:
        return app.compare(line.a, line.b, line.topic, top_k=line.top or top)

    if batch is not None:
        _answer_batch(ctx, batch, CompareLine, ask)
        return
    if a is None or b is None or topic is None:
        raise EssaybotError(
            'compare needs A, B and TOPIC, e.g. essaybot compare Mason ICL "the Zelensky government"'
        )
    app = open_app(ctx, show_progress=not as_json)
    with app.recorded("compare", {"a": a, "b": b, "topic": topic}) as entry:
        answer = app.compare(a, b, topic, top_k=top)
        entry.describe_compare(answer)
    _show(answer, as_json, print_compare)


@main.command()
@click.argument("topic")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.pass_context
@handle_errors
def positions(ctx: click.Context, topic: str, as_json: bool) -> None:
    """The best passage of every author on TOPIC: a map of the debate."""
    from bot.cli.render import print_positions

    app = open_app(ctx, show_progress=not as_json)
    with app.recorded("positions", {"topic": topic}) as entry:
        answer = app.positions(topic)
        entry.describe_positions(answer)
    _show(answer, as_json, print_positions)


@main.command()
@click.option(
    "--keep-vectors",
    is_flag=True,
    help="Reuse the vectors the index has and only write its files anew (minutes, not hours).",
)
@click.pass_context
@handle_errors
def reindex(ctx: click.Context, keep_vectors: bool) -> None:
    """Re-embed every passage (e.g. after changing the embedding model) and rebuild the index."""
    app = open_app(ctx, ready=False)
    with progress(True) as sink:
        manifest = app.library.reindex(progress=sink, reembed=not keep_vectors)
    out.print(
        f"reindexed {manifest.passage_count} passages with {manifest.model}; generation {manifest.generation}"
    )


@main.group()
def db() -> None:
    """Database maintenance."""


@db.command("upgrade")
@click.pass_context
@handle_errors
def db_upgrade(ctx: click.Context) -> None:
    """Apply pending database migrations (they also run on start)."""
    from bot.store.db import current_revision, make_engine, upgrade

    settings = context(ctx).settings()
    ensure_dir(settings.data_dir)
    engine = make_engine(settings.resolved_database_url)
    upgrade(engine)
    out.print(f"database at revision {current_revision(engine)}")


for _command in (eval_command, forget_user, backup, doctor, health, restore, quotes, passages, essays):
    main.add_command(_command)
