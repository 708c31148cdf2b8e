"""Feedback on answers; the Discord message of an interaction; per-user index for "forget me".

Revision ID: 0002
Revises: 0001
Create Date: 2025-02-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # interactions first, while nothing references it: adding a nullable column and an index is done
    # in place on SQLite, but should batch mode ever rebuild the table, the DROP of the old copy
    # would cascade into feedback rows (foreign keys are on in every essaybot connection).
    with op.batch_alter_table("interactions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("message_id", sa.String(length=32), nullable=True))
        batch_op.create_index(batch_op.f("ix_interactions_user_ref"), ["user_ref"], unique=False)

    op.create_table(
        "feedback",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("interaction_id", sa.Integer(), nullable=False),
        sa.Column("user_ref", sa.String(length=64), nullable=False),
        sa.Column("vote", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=16), nullable=True),
        sa.Column("passage_id", sa.String(length=16), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "reason IS NULL OR reason IN ('wrong_author', 'out_of_context', 'misquote', 'not_relevant')",
            name=op.f("ck_feedback_reason"),
        ),
        sa.CheckConstraint("vote IN (1, -1)", name=op.f("ck_feedback_vote")),
        sa.ForeignKeyConstraint(
            ["interaction_id"],
            ["interactions.id"],
            name=op.f("fk_feedback_interaction_id_interactions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback")),
        sa.UniqueConstraint("interaction_id", "user_ref", name=op.f("uq_feedback_interaction_id_user_ref")),
    )
    with op.batch_alter_table("feedback", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_feedback_user_ref"), ["user_ref"], unique=False)


def downgrade() -> None:
    op.drop_table("feedback")  # its indexes go with it
    with op.batch_alter_table("interactions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_interactions_user_ref"))
        batch_op.drop_column("message_id")
