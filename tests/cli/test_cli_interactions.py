"""The CLI logs every answer command in the interaction log, failures included, as the bot does."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from bot.cli.main import main
from bot.store.db import make_engine, session_scope
from bot.store.models import InteractionRow

pytestmark = pytest.mark.model


def cli_rows(data_dir: Path) -> list[InteractionRow]:
    engine = make_engine(f"sqlite:///{(data_dir / 'essaybot.db').as_posix()}")
    with session_scope(engine) as session:
        rows = list(session.scalars(select(InteractionRow).where(InteractionRow.source == "cli")))
        session.expunge_all()
    engine.dispose()
    return sorted(rows, key=lambda r: r.id)


def test_compare_and_positions_are_logged_with_their_errors(clone_seeded: Callable[[str], Path]) -> None:
    data_dir = clone_seeded("cli-interactions")
    runner = CliRunner()

    def run(*args: str) -> int:
        return runner.invoke(main, ["--data-dir", str(data_dir), *args]).exit_code

    assert run("compare", "Mason", "ICL", "the Zelensky government", "--json") == 0
    assert run("compare", "Mason", "Nobody In Particular", "war", "--json") == 2
    assert run("positions", "sanctions on Russia", "--json") == 0
    assert run("positions", "?!", "--json") == 2
    assert run("who-said", "?!", "--json") == 2
    compared, refused, placed, empty, asked = cli_rows(data_dir)

    assert (compared.command, compared.error, compared.options["b"]) == ("compare", None, "ICL")
    assert compared.verdict in ("found", "partial") and compared.passage_ids
    assert refused.command == "compare" and refused.verdict is None
    assert refused.error is not None and refused.error.startswith("UnknownSideError: ")
    assert (placed.command, placed.verdict, placed.error) == ("positions", "found", None)
    assert placed.passage_ids and placed.latency_ms is not None
    assert empty.command == "positions" and (empty.error or "").startswith("BadQueryError: ")
    assert asked.command == "who-said" and (asked.error or "").startswith("BadQueryError: ")
