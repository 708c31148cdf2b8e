"""Migration 0004 (essays.meta_hash) upgrades a populated database: the digest of the metadata each
file gave at its last import, reconstructed from the audit log for essays a moderator edited."""

from __future__ import annotations

import json
from pathlib import Path

import sqlalchemy as sa
from test_migration_0003 import migrate_to

from bot.corpus.models import EssayMeta
from bot.store.db import make_engine
from bot.store.models import utcnow

ORIGINAL = EssayMeta(id="x", title="Original title", authors=("Ada",), date="2020", notes="kept")


def _essay(conn: sa.Connection, essay_id: str, meta: EssayMeta) -> None:
    now = utcnow().replace(tzinfo=None)
    conn.execute(
        sa.text(
            "INSERT INTO essays (id, title, subtitle, authors, aliases, publication, date, url, notes, body,"
            " content_hash, source, status, created_at, updated_at)"
            " VALUES (:id, :title, NULL, :authors, '[]', NULL, :date, NULL, :notes, 'Body text here.',"
            " 'h-' || :id, 'f.md', 'active', :t, :t)"
        ),
        {
            "id": essay_id,
            "title": meta.title,
            "authors": json.dumps(list(meta.authors)),
            "date": meta.date,
            "notes": meta.notes,
            "t": now,
        },
    )
    conn.execute(
        sa.text(
            "INSERT INTO passages (id, essay_id, seq, paragraph, start_offset, end_offset, text, kind)"
            " VALUES (:pid, :id, 0, 0, 0, 15, 'Body text here.', 'sentence')"
        ),
        {"pid": f"p-{essay_id}", "id": essay_id},
    )


def _edit(conn: sa.Connection, essay_id: str, before: EssayMeta, after: EssayMeta, undone: bool) -> None:
    def state(m: EssayMeta) -> str:
        fields = {"title": m.title, "authors": list(m.authors), "date": m.date, "url": m.url}
        return json.dumps({"status": "active", **fields, "publication": m.publication})

    now = utcnow().replace(tzinfo=None)
    conn.execute(
        sa.text(
            "INSERT INTO audit_log (guild_id, actor, action, target, before, after, created_at, undone_at)"
            " VALUES (NULL, 'cli', 'essay.edit', :id, :before, :after, :t, :undone)"
        ),
        {
            "id": essay_id,
            "before": state(before),
            "after": state(after),
            "t": now,
            "undone": now if undone else None,
        },
    )


def test_upgrade_from_0003_records_what_each_file_gave(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    migrate_to(engine, "0003")
    first = EssayMeta(id="x", title="Moderator's title", authors=("Ada",), date="2020", notes="kept")
    second = EssayMeta(id="x", title="Moderator's title", authors=("Bea",), date="2020", notes="kept")
    with engine.begin() as conn:
        _essay(conn, "plain", ORIGINAL)  # never edited
        _essay(conn, "edited", second)  # edited twice since its import
        _edit(conn, "edited", ORIGINAL, first, undone=False)
        _edit(conn, "edited", first, second, undone=False)
        _essay(conn, "undone", ORIGINAL)  # edited, and the edit undone
        _edit(conn, "undone", ORIGINAL, first, undone=True)
    migrate_to(engine, "0004")
    with engine.begin() as conn:
        hashes: dict[str, str] = dict(conn.execute(sa.text("SELECT id, meta_hash FROM essays")).all())
        assert conn.execute(sa.text("SELECT count(*) FROM passages")).scalar() == 3
    # The migration's frozen digest agrees with the application's.
    assert hashes == {"plain": ORIGINAL.meta_hash, "edited": ORIGINAL.meta_hash, "undone": ORIGINAL.meta_hash}
    assert second.meta_hash != ORIGINAL.meta_hash
    migrate_to(engine, "0003")  # in place: the essays table is not rebuilt, so no passage is cascaded away
    with engine.begin() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM passages")).scalar() == 3
        assert "meta_hash" not in {c["name"] for c in sa.inspect(conn).get_columns("essays")}
    engine.dispose()
