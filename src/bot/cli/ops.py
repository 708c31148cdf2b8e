"""Operations commands: ``essaybot health``, ``doctor``, ``backup PATH`` and ``restore PATH``.

Heavy modules are imported inside the commands, and ``health`` imports nothing of the embedding stack:
Docker runs it every 30 s.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from bot.cli.common import context, handle_errors


@click.command()
@click.option(
    "--max-age",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    metavar="SECONDS",
    help="Oldest acceptable heartbeat (default: 3 x discord.heartbeat_seconds).",
)
@click.option("--no-heartbeat", is_flag=True, help="Skip the bot check (installs that only use the CLI).")
@click.pass_context
def health(ctx: click.Context, max_age: float | None, no_heartbeat: bool) -> None:
    """Exit 0 when the database, the index and the bot's heartbeat are healthy, 1 otherwise."""
    from bot.errors import EssaybotError
    from bot.ops.health import check_health

    obj = context(ctx)
    # Docker reserves exit code 2 for health checks, so even a configuration error is "unhealthy".
    try:
        report = check_health(obj.settings(), max_age=max_age, heartbeat=not no_heartbeat)
    except EssaybotError as exc:
        click.echo(f"FAIL config: {exc}")
        sys.exit(1)
    for line in report.lines():
        click.echo(line)
    sys.exit(0 if report.healthy else 1)


@click.command()
@click.option("--no-token", is_flag=True, help="Do not require a Discord token (CLI-only installs).")
@click.pass_context
def doctor(ctx: click.Context, no_token: bool) -> None:
    """Check the configuration, token, database, index, model and disk; exit 1 if any fails."""
    from bot.ops.doctor import run_doctor

    obj = context(ctx)
    checks = run_doctor(obj.settings, require_token=not no_token, echo=click.echo)
    failed = [c.name for c in checks if not c.ok]
    summary = f"{len(checks) - len(failed)}/{len(checks)} checks passed"
    click.echo(summary + (f": fix {', '.join(failed)}" if failed else ""))
    sys.exit(1 if failed else 0)


@click.command("backup")
@click.argument("path", type=click.Path(path_type=Path))
@click.pass_context
@handle_errors
def backup(ctx: click.Context, path: Path) -> None:
    """Back up the SQLite database and the index to PATH (a new folder, or a file ending .tar.gz)."""
    from bot.ops.backup import backup as run_backup

    obj = context(ctx)
    dest = run_backup(obj.settings(), path)
    click.echo(f"backed up to {dest}")


@click.command("restore")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--force", is_flag=True, help="Replace an existing database (it is backed up first).")
@click.pass_context
@handle_errors
def restore(ctx: click.Context, path: Path, force: bool) -> None:
    """Restore a backup made by `essaybot backup` into the data directory (stop the bot first)."""
    from bot.ops.restore import restore as run_restore

    obj = context(ctx)
    settings = obj.settings()
    run_restore(settings, path, force=force)
    click.echo(f"restored {path} into {settings.data_dir}; start the bot to migrate and check the index")
