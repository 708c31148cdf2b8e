"""Corpus token: a value the database changes itself whenever the searchable corpus may have changed.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05

- ``corpus_state``: one row whose ``token`` is replaced by a fresh random value, by triggers, on every
  insert, update or delete of ``passages`` and on every insert or delete of ``essays`` or update of
  an essay's ``id``, ``status`` or ``body`` (what decides which passages are searchable and their
  text; metadata edits do not touch it).

An index generation records the token of the corpus it was built from. A start that finds the same
token reads the passages' columns from the generation instead of reading every passage row and
hashing the corpus. Triggers, not application code, keep it honest: any writer, a restored backup
or a hand-written SQL statement changes the token, and the start then reads the database in full.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (trigger name, event, table) for both dialects.
_EVENTS = [
    ("passages_insert", "INSERT", "passages"),
    ("passages_update", "UPDATE", "passages"),
    ("passages_delete", "DELETE", "passages"),
    ("essays_insert", "INSERT", "essays"),
    ("essays_update", "UPDATE OF id, status, body", "essays"),
    ("essays_delete", "DELETE", "essays"),
]


def upgrade() -> None:
    op.create_table(
        "corpus_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=32), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_corpus_state_single_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_corpus_state")),
    )
    if op.get_bind().dialect.name == "sqlite":
        op.execute("INSERT INTO corpus_state (id, token) VALUES (1, lower(hex(randomblob(16))))")
        # SQLite has row-level triggers only: one UPDATE of a one-row table per changed row.
        for name, event, table in _EVENTS:
            op.execute(
                f"CREATE TRIGGER corpus_token_{name} AFTER {event} ON {table} BEGIN "
                "UPDATE corpus_state SET token = lower(hex(randomblob(16))); END"
            )
    else:
        fresh = "md5(random()::text || clock_timestamp()::text)"
        op.execute(f"INSERT INTO corpus_state (id, token) VALUES (1, {fresh})")
        op.execute(
            "CREATE FUNCTION essaybot_corpus_touched() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            f"UPDATE corpus_state SET token = {fresh}; "
            "RETURN NULL; END $$"
        )
        for name, event, table in [*_EVENTS, ("passages_truncate", "TRUNCATE", "passages")]:
            op.execute(
                f"CREATE TRIGGER corpus_token_{name} AFTER {event} ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION essaybot_corpus_touched()"
            )


def downgrade() -> None:
    postgres = op.get_bind().dialect.name != "sqlite"
    for name, _event, table in _EVENTS:
        op.execute(f"DROP TRIGGER corpus_token_{name}" + (f" ON {table}" if postgres else ""))
    if postgres:
        op.execute("DROP TRIGGER corpus_token_passages_truncate ON passages")
        op.execute("DROP FUNCTION essaybot_corpus_touched()")
    op.drop_table("corpus_state")
