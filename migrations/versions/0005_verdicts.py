"""Verdicts: moderators' verdict overrides, 👎 reasons about the verdict, the calibration of each answer.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-05

- ``verdict_overrides``: a guild's reading of one claim against one passage (supports, contradicts,
  or does not address it), which replaces the verifier's.
- ``feedback.reason`` accepts ``essay_says_it`` and ``doesnt_say_it``; ``feedback.detail`` holds the
  member's words with it (which essay does say it).
- ``interactions.calibration``: the ``Calibration.id`` in force when a question was answered.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OLD_REASONS = "reason IS NULL OR reason IN ('wrong_author', 'out_of_context', 'misquote', 'not_relevant')"
_NEW_REASONS = (
    "reason IS NULL OR reason IN ('wrong_author', 'out_of_context', 'misquote', 'not_relevant',"
    " 'essay_says_it', 'doesnt_say_it')"
)


def _drop_column(table: str, column: str) -> None:
    if op.get_bind().dialect.name == "sqlite":
        # In place (SQLite >= 3.35): batch mode would rebuild the table, and dropping the old copy of
        # interactions would cascade into feedback.
        op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
    else:
        op.drop_column(table, column)


def upgrade() -> None:
    # A nullable column is added in place (ALTER TABLE ADD COLUMN), never by rebuilding interactions.
    op.add_column("interactions", sa.Column("calibration", sa.String(length=40), nullable=True))
    # feedback is referenced by nothing, so rebuilding it (SQLite cannot alter a CHECK) loses nothing.
    with op.batch_alter_table("feedback", schema=None) as batch_op:
        batch_op.add_column(sa.Column("detail", sa.Text(), nullable=True))
        batch_op.drop_constraint(batch_op.f("ck_feedback_reason"), type_="check")
        batch_op.create_check_constraint("reason", _NEW_REASONS)
    op.create_table(
        "verdict_overrides",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("guild_id", sa.String(length=32), nullable=False),
        sa.Column("claim_key", sa.String(length=64), nullable=False),
        sa.Column("claim", sa.Text(), nullable=False),
        sa.Column("passage_id", sa.String(length=16), nullable=False),
        sa.Column("verdict", sa.String(length=16), nullable=False),
        sa.Column("updated_by", sa.String(length=32), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "verdict IN ('supports', 'contradicts', 'unrelated')", name=op.f("ck_verdict_overrides_verdict")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_verdict_overrides")),
        sa.UniqueConstraint(
            "guild_id",
            "claim_key",
            "passage_id",
            name=op.f("uq_verdict_overrides_guild_id_claim_key_passage_id"),
        ),
    )


def downgrade() -> None:
    op.drop_table("verdict_overrides")
    # The reasons added here have no older equivalent: those 👎 keep their vote and lose the reason.
    op.execute("UPDATE feedback SET reason = NULL WHERE reason IN ('essay_says_it', 'doesnt_say_it')")
    with op.batch_alter_table("feedback", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_feedback_reason"), type_="check")
        batch_op.create_check_constraint("reason", _OLD_REASONS)
        batch_op.drop_column("detail")
    _drop_column("interactions", "calibration")
