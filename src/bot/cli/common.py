"""What every ``essaybot`` command shares: the invocation's context, error handling and output.

The command modules (essays, curation, privacy, ops, eval) import from here, never from main or each
other; main imports them only to register their commands. Only light modules are imported at the top:
``--help`` and ``essaybot health`` must answer without loading the embedding stack, so the core, the
store and the configuration are imported where they are used.
"""

from __future__ import annotations

import contextlib
import functools
import json
import re
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from bot.errors import DataDirError, EssaybotError, friendly_failure

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from bot.config import Settings
    from bot.core.essaybot import Essaybot

F = TypeVar("F", bound=Callable[..., Any])
out = Console(highlight=False, soft_wrap=False)
err = Console(stderr=True, highlight=False)

# A Discord snowflake (a server or user id): an unsigned 64-bit integer, at most 20 digits.
_SNOWFLAKE = re.compile(r"[1-9][0-9]{0,19}")


class Context:
    """Lazily built application for the commands of one invocation."""

    def __init__(self, config: Path | None, data_dir: Path | None, verbose: bool):
        self.config, self.data_dir, self.verbose = config, data_dir, verbose
        self._app: Essaybot | None = None

    def settings(self) -> Settings:
        """The settings of this invocation (config file, environment, ``--data-dir``)."""
        from bot.config import load_settings

        return load_settings(self.config, data_dir=self.data_dir)

    def app(self, *, ready: bool = True, show_progress: bool = True) -> Essaybot:
        """The application, built on first use; ``ready`` also loads (or builds) the index."""
        if self._app is None:
            from bot.core.essaybot import Essaybot
            from bot.logs import setup_logging

            settings = self.settings()
            setup_logging(settings, cli=True, verbose=self.verbose)
            ensure_dir(settings.data_dir)
            self._app = Essaybot(settings)
            if ready:
                with progress(show_progress) as sink:
                    self._app.ensure_ready(progress=sink)
        return self._app


def context(ctx: click.Context) -> Context:
    """The :class:`Context` the main group put on ``ctx``."""
    obj: Context = ctx.obj
    return obj


def open_app(ctx: click.Context, *, ready: bool = True, show_progress: bool = True) -> Essaybot:
    """The invocation's application (see :meth:`Context.app`)."""
    return context(ctx).app(ready=ready, show_progress=show_progress)


def ensure_dir(path: Path) -> None:
    """Create the data directory if needed and prove it writable, or raise a one-line DataDirError."""
    try:
        path.mkdir(parents=True, exist_ok=True)
        # A unique probe name: several processes (the bot and a `compose exec essaybot …`) may check the
        # same directory at once, and a fixed name lets one delete the other's probe.
        with tempfile.NamedTemporaryFile(dir=path, prefix=".write-test-"):
            pass
    except OSError as exc:
        raise DataDirError(f"cannot use data directory {str(path)!r}: {exc.strerror or exc}") from exc


@contextlib.contextmanager
def database(url: str) -> Iterator[Session]:
    """One transaction on the database at ``url``, migrated first; the engine is closed after.

    For the commands that need only the database (curation, forget-user): no model, no index.
    """
    from bot.store.db import make_engine, session_scope, upgrade

    engine = make_engine(url)
    try:
        upgrade(engine)
        with session_scope(engine) as session:
            yield session
    finally:
        engine.dispose()


def discord_id(text: str, kind: str, *, maximum: int | None = None) -> str:
    """The Discord ``kind`` ("server", "user") id in ``text``: digits, as "Copy ID" gives them."""
    value = text.strip()
    if not _SNOWFLAKE.fullmatch(value) or (maximum is not None and int(value) > maximum):
        raise EssaybotError(f"not a Discord {kind} id: {text!r} (expected digits, e.g. 80351110224678912)")
    return value


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
def progress(enabled: bool) -> Iterator[_ProgressSink | None]:
    """A rich progress bar on stderr when asked for and stderr is a terminal; silent otherwise."""
    if not (enabled and err.is_terminal):
        yield None
        return
    columns = (TextColumn("{task.description:>10}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=err, transient=True) as bar:
        yield _ProgressSink(bar)


def emit_json(obj: dict[str, Any]) -> None:
    """Print one JSON object on one line of stdout."""
    click.echo(json.dumps(obj, ensure_ascii=False))


def handle_errors(fn: F) -> F:
    """Turn user errors into one line on stderr and exit code 2 (no traceback).

    The one error wrapper of every command: besides essaybot's own errors it turns a full disk and a
    locked database (``bot.errors.friendly_failure``) into one line, since neither is a bug and a
    traceback would only hide what to do.
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
    from bot.cli.render import strip_control  # rendering pulls in the answer types: only on an error

    return " ".join(strip_control(text).split())
