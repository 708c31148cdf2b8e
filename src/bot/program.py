"""The ``essaybot`` program: the command line's commands, plus ``run``, which starts the Discord bot.

The one module that sees both shells: ``bot.cli`` and ``bot.discord`` never import each other, so the
command that hands the process over to the Discord shell is added here, above both.
"""

from __future__ import annotations

import sys

import click

from bot.cli.common import context, ensure_dir, handle_errors
from bot.cli.main import main

__all__ = ["main"]


@main.command("run")
@click.pass_context
@handle_errors
def run_command(ctx: click.Context) -> None:
    """Run the Discord bot (token from DISCORD_TOKEN or DISCORD_TOKEN_FILE) until SIGTERM or Ctrl-C."""
    # Imported here: discord.py and the core load only when the bot is started, not for --help.
    from bot.discord.runner import run
    from bot.logs import setup_logging

    obj = context(ctx)
    settings = obj.settings()
    setup_logging(settings, cli=False, verbose=obj.verbose)
    ensure_dir(settings.data_dir)
    sys.exit(run(settings))
