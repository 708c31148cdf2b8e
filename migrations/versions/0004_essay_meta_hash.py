"""Essays: a digest of the metadata their file gave, so front-matter edits and moderators' edits are seen.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-05

Rows stored before this revision get the digest of the metadata their file gave at the last import.
That is the stored metadata, unless a moderator edited the essay since (an ``essay.edit`` in the audit
log that was not undone): then it is the stored metadata with the fields as they were before the first
such edit, so the next ingest keeps the edit instead of taking it for a change in the file.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_EDITABLE = ("title", "authors", "date", "url", "publication")

_essays = sa.table(
    "essays",
    sa.column("id", sa.String()),
    sa.column("title", sa.Text()),
    sa.column("subtitle", sa.Text()),
    sa.column("authors", sa.JSON()),
    sa.column("aliases", sa.JSON()),
    sa.column("publication", sa.Text()),
    sa.column("date", sa.String()),
    sa.column("url", sa.Text()),
    sa.column("notes", sa.Text()),
    sa.column("meta_hash", sa.String()),
)
_audit = sa.table(
    "audit_log",
    sa.column("id", sa.Integer()),
    sa.column("action", sa.String()),
    sa.column("target", sa.String()),
    sa.column("before", sa.JSON()),
    sa.column("undone_at", sa.DateTime()),
)


def _meta_hash(fields: dict[str, Any]) -> str:
    # Frozen copy of bot.corpus.models.EssayMeta.meta_hash (a test checks they agree).
    canonical = json.dumps(
        {
            "title": fields["title"],
            "subtitle": fields["subtitle"],
            "authors": list(fields["authors"] or []),
            "aliases": list(fields["aliases"] or []),
            "publication": fields["publication"],
            "date": fields["date"],
            "url": fields["url"],
            "notes": fields["notes"],
        },
        ensure_ascii=False,
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def upgrade() -> None:
    # A nullable column is added in place (ALTER TABLE ADD COLUMN), never by rebuilding the table,
    # whose DROP would cascade into passages and quote spans.
    op.add_column("essays", sa.Column("meta_hash", sa.String(length=64), nullable=True))
    conn = op.get_bind()
    first_edit: dict[str, dict[str, Any]] = {}
    edits = (
        sa.select(_audit.c.target, _audit.c.before)
        .where(_audit.c.action == "essay.edit", _audit.c.undone_at.is_(None))
        .order_by(_audit.c.id)
    )
    for target, before in conn.execute(edits):
        if isinstance(before, dict):
            first_edit.setdefault(target, before)
    columns = [c for c in _essays.c if c.name != "meta_hash"]
    for row in conn.execute(sa.select(*columns)).mappings().all():
        fields = dict(row)
        before = first_edit.get(row["id"], {})
        fields.update({k: before[k] for k in _EDITABLE if k in before})
        conn.execute(_essays.update().where(_essays.c.id == row["id"]).values(meta_hash=_meta_hash(fields)))


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        # SQLite >= 3.35 drops a column in place; batch mode would rebuild the table, and dropping the
        # old copy would cascade into every passage.
        op.execute("ALTER TABLE essays DROP COLUMN meta_hash")
    else:
        op.drop_column("essays", "meta_hash")
