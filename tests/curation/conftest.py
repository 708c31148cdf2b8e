"""A one-essay library the curation tests share: "On *Walls*" by Ada Mason, two sentences (p1, p2)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from bot.store.db import make_engine, session_scope, upgrade
from bot.store.models import EssayRow, PassageRow

BODY = "On Walls\n\nA wall is a promise made in stone. Nobody remembers who first said it.\n"
SENTENCES = ("A wall is a promise made in stone.", "Nobody remembers who first said it.")


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    """A migrated database holding the essay; the title has markdown, which renderers must escape."""
    eng = make_engine(f"sqlite:///{tmp_path / 'data' / 'essaybot.db'}")
    upgrade(eng)
    with session_scope(eng) as session:
        session.add(
            EssayRow(
                id="on-walls",
                title="On *Walls*",
                authors=["Ada Mason"],
                aliases=[],
                body=BODY,
                content_hash="0" * 64,
                source="on-walls.md",
            )
        )
        for seq, text in enumerate(SENTENCES):
            start = BODY.index(text)
            session.add(
                PassageRow(
                    id=f"p{seq + 1}",
                    essay_id="on-walls",
                    seq=seq,
                    paragraph=1,
                    section=None,
                    start=start,
                    end=start + len(text),
                    text=text,
                    kind="sentence",
                )
            )
    yield eng
    eng.dispose()
