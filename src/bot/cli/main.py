"""``essaybot``: the command-line shell around the core (ingest, who-said, compare, eval, ...).

Every user error prints one line and exits with code 2; ``--json`` prints one JSON object.
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from bot import __version__
from bot.errors import DataDirError, EssaybotError, friendly_failure

if TYPE_CHECKING:
    from bot.config import Settings
    from bot.core.essaybot import Essaybot

F = TypeVar("F", bound=Callable[..., Any])
log = logging.getLogger(__name__)
out = Console(highlight=False, soft_wrap=False)
err = Console(stderr=True, highlight=False)


class Context:
    """Lazily built application for the commands of one invocation."""

    def __init__(self, config: Path | None, data_dir: Path | None, verbose: bool):
        self.config, self.data_dir, self.verbose = config, data_dir, verbose
        self._app: Essaybot | None = None

    def settings(self) -> Settings:
        # Imported late so that --help and usage errors answer without loading the heavy stack.
        from bot.config import load_settings

        return load_settings(self.config, data_dir=self.data_dir)

    def app(self, *, ready: bool = True, show_progress: bool = True) -> Essaybot:
        if self._app is None:
            from bot.core.essaybot import Essaybot
            from bot.logs import setup_logging

            settings = self.settings()
            setup_logging(settings, cli=True, verbose=self.verbose)
            _ensure_dir(settings.data_dir)
            self._app = Essaybot(settings)
            if ready:
                with _progress(show_progress) as progress:
                    self._app.ensure_ready(progress=progress)
        return self._app


def _ensure_dir(path: Path) -> None:
    try:
        path.mkdir(parents=True, exist_ok=True)
        # A unique probe name: several processes (the bot and a `compose exec essaybot …`) may check the
        # same directory at once, and a fixed name lets one delete the other's probe.
        with tempfile.NamedTemporaryFile(dir=path, prefix=".write-test-"):
            pass
    except OSError as exc:
        raise DataDirError(f"cannot use data directory {str(path)!r}: {exc.strerror or exc}") from exc


class _ProgressSink:
    """Feeds pipeline progress (stage, done, total) to a rich progress bar, one task per stage."""

    def __init__(self, progress: Progress):
        self.progress = progress
        self.tasks: dict[str, TaskID] = {}

    def __call__(self, stage: str, done: int, total: int) -> None:
        if stage not in self.tasks:
            self.tasks[stage] = self.progress.add_task(stage, total=total)
        self.progress.update(self.tasks[stage], completed=done, total=total)


@contextlib.contextmanager
def _progress(enabled: bool) -> Iterator[_ProgressSink | None]:
    """A rich progress bar on stderr when asked for and stderr is a terminal; silent otherwise."""
    if not (enabled and err.is_terminal):
        yield None
        return
    columns = (TextColumn("{task.description:>10}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=err, transient=True) as bar:
        yield _ProgressSink(bar)


def _handle_errors(fn: F) -> F:
    """Turn user errors into one line on stderr and exit code 2 (no traceback).

    The one error wrapper of every command (the other CLI modules call it): besides essaybot's own
    errors it turns a full disk and a locked database (``bot.errors.friendly_failure``) into one
    line, since neither is a bug and a traceback would only hide what to do.
    """

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except EssaybotError as exc:
            _fail(exc)
        except Exception as exc:
            friendly = friendly_failure(exc)
            if friendly is None:
                raise
            _fail(friendly)

    return wrapper  # type: ignore[return-value]


def _fail(exc: EssaybotError) -> NoReturn:
    click.echo(f"error: {_one_line(str(exc))}", err=True)
    sys.exit(exc.exit_code)


def _one_line(text: str) -> str:
    """A message on one line, stripped of terminal control characters (it may quote file content)."""
    from bot.cli.render import strip_control

    return " ".join(strip_control(text).split())


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


def _emit_json(obj: dict[str, Any]) -> None:
    click.echo(json.dumps(obj, ensure_ascii=False))


def _app(ctx: click.Context, *, ready: bool = True, show_progress: bool = True) -> Essaybot:
    obj: Context = ctx.obj
    return obj.app(ready=ready, show_progress=show_progress)


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--force", is_flag=True, help="Re-import unchanged essays and essays removed earlier.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.pass_context
@_handle_errors
def ingest(ctx: click.Context, paths: tuple[Path, ...], force: bool, as_json: bool) -> None:
    """Import essays (default: the bundled seeds) and rebuild the index incrementally."""
    for p in paths:
        if not p.exists():
            raise EssaybotError(f"no such file or directory: {str(p)!r}")
    app = _app(ctx, ready=False)
    with _progress(not as_json) as progress:
        report = app.ingest(list(paths) or None, force=force, progress=progress)
    if as_json:
        _emit_json({"schema_version": "1.0", "kind": "ingest", **vars(report)})
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
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option("--batch", type=click.Path(path_type=Path), help='JSON lines {"query": ...}; "-" for stdin.')
@click.pass_context
@_handle_errors
def who_said(
    ctx: click.Context,
    query: str | None,
    author: str | None,
    top: int | None,
    as_json: bool,
    batch: Path | None,
) -> None:
    """Which author and essay said QUERY (a quote or a claim)?"""
    from bot.cli.render import print_who_said

    if batch is not None:

        def answer_line(app: Essaybot, obj: dict[str, Any]) -> dict[str, Any]:
            from bot.cli.batch import WhoSaidLine

            line = WhoSaidLine.model_validate(obj)
            return app.who_said(line.query, author=line.author or author, top_k=line.top or top).to_json()

        _run_batch(ctx, batch, answer_line)
        return
    if query is None:
        raise EssaybotError("give a QUERY (or --batch FILE)")
    app = _app(ctx, show_progress=not as_json)
    with app.recorded("who-said", {"query": query, "author": author}) as entry:
        answer = app.who_said(query, author=author, top_k=top)
        entry.describe_answer(answer, app.calibration.id)
        entry.passage_ids = [q.passage_id for q in answer.results]
    if as_json:
        _emit_json(answer.to_json())
    else:
        print_who_said(out, answer)


@main.command()
@click.argument("a", required=False)
@click.argument("b", required=False)
@click.argument("topic", required=False)
@click.option("--top", "top", type=click.IntRange(1, 10), default=3, help="Passages per side.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option("--batch", type=click.Path(path_type=Path), help='JSON lines {"a":…,"b":…,"topic":…}.')
@click.pass_context
@_handle_errors
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
    from bot.cli.render import print_compare

    if batch is not None:

        def compare_line(app: Essaybot, obj: dict[str, Any]) -> dict[str, Any]:
            from bot.cli.batch import CompareLine

            line = CompareLine.model_validate(obj)
            return app.compare(line.a, line.b, line.topic, top_k=line.top or top).to_json()

        _run_batch(ctx, batch, compare_line)
        return
    if a is None or b is None or topic is None:
        raise EssaybotError(
            'compare needs A, B and TOPIC, e.g. essaybot compare Mason ICL "the Zelensky government"'
        )
    app = _app(ctx, show_progress=not as_json)
    with app.recorded("compare", {"a": a, "b": b, "topic": topic}) as entry:
        answer = app.compare(a, b, topic, top_k=top)
        entry.describe_compare(answer)
    if as_json:
        _emit_json(answer.to_json())
    else:
        print_compare(out, answer)


@main.command()
@click.argument("topic")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.pass_context
@_handle_errors
def positions(ctx: click.Context, topic: str, as_json: bool) -> None:
    """The best passage of every author on TOPIC: a map of the debate."""
    from bot.cli.render import print_positions

    app = _app(ctx, show_progress=not as_json)
    with app.recorded("positions", {"topic": topic}) as entry:
        answer = app.positions(topic)
        entry.describe_positions(answer)
    if as_json:
        _emit_json(answer.to_json())
    else:
        print_positions(out, answer)


@main.command()
@click.pass_context
@_handle_errors
def reindex(ctx: click.Context) -> None:
    """Re-embed every passage (e.g. after changing the embedding model)."""
    app = _app(ctx, ready=False)
    with _progress(True) as progress:
        manifest = app.reindex(progress=progress)
    out.print(
        f"reindexed {manifest.passage_count} passages with {manifest.model}; generation {manifest.generation}"
    )


@main.group()
def db() -> None:
    """Database maintenance."""


@db.command("upgrade")
@click.pass_context
@_handle_errors
def db_upgrade(ctx: click.Context) -> None:
    """Apply pending database migrations (they also run on start)."""
    from bot.store.db import current_revision, make_engine, upgrade

    settings = ctx.obj.settings()
    _ensure_dir(settings.data_dir)
    engine = make_engine(settings.resolved_database_url)
    upgrade(engine)
    out.print(f"database at revision {current_revision(engine)}")


@main.command("run")
@click.pass_context
@_handle_errors
def run_command(ctx: click.Context) -> None:
    """Run the Discord bot (token from DISCORD_TOKEN or DISCORD_TOKEN_FILE) until SIGTERM or Ctrl-C."""
    from bot.discord.runner import run
    from bot.logs import setup_logging

    settings = ctx.obj.settings()
    setup_logging(settings, cli=False, verbose=ctx.obj.verbose)
    _ensure_dir(settings.data_dir)
    sys.exit(run(settings))


def _run_batch(
    ctx: click.Context, path: Path, answer: Callable[[Essaybot, dict[str, Any]], dict[str, Any]]
) -> None:
    """One JSON object out per JSON line in; a bad line yields {"error": ...} and the batch goes on."""
    from bot.cli.batch import answer_lines

    app = _app(ctx, show_progress=False)
    for obj in answer_lines(path, lambda line: answer(app, line)):
        _emit_json(obj)


from bot.cli.eval import eval_command  # noqa: E402  (kept apart: it is the largest command)

main.add_command(eval_command)

from bot.cli.privacy import forget_user  # noqa: E402

main.add_command(forget_user)

from bot.cli.ops import backup, doctor, health, restore  # noqa: E402

for _command in (backup, doctor, health, restore):
    main.add_command(_command)

from bot.cli.curation import passages, quotes  # noqa: E402

main.add_command(quotes)
main.add_command(passages)

from bot.cli.essays import essays  # noqa: E402  (list by default; add, remove, restore, edit)

main.add_command(essays)
