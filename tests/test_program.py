"""``bot.program``: the installed ``essaybot`` command is the CLI plus ``run``, the Discord shell."""

from __future__ import annotations

import importlib
import tomllib
from pathlib import Path

import click

PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"


def test_the_installed_command_has_every_command() -> None:
    """The console script named in pyproject.toml: the CLI's commands, and `run` added above both shells."""
    target = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]["scripts"]["essaybot"]
    module, _, attr = target.partition(":")
    command = getattr(importlib.import_module(module), attr)
    assert isinstance(command, click.Group)
    expected = {"ingest", "who-said", "compare", "positions", "reindex", "db", "eval", "run", "forget-user"}
    expected |= {"backup", "restore", "doctor", "health", "quotes", "passages", "essays"}
    assert set(command.commands) == expected


def test_python_dash_m_runs_the_same_command() -> None:
    from bot.__main__ import main as module_main
    from bot.program import main

    assert module_main is main
