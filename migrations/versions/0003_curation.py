"""Curation: curated quotes, passage overrides, the audit log, per-guild settings and the quiz.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 10:04:15.077583
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("guild_id", sa.String(length=32), nullable=True),
        sa.Column("actor", sa.String(length=32), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("target", sa.String(length=120), nullable=False),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("undone_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("undone_by", sa.String(length=32), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index("ix_audit_log_guild_id_created_at", ["guild_id", "created_at"], unique=False)

    op.create_table(
        "curated_quotes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("guild_id", sa.String(length=32), nullable=False),
        sa.Column("essay_id", sa.String(length=80), nullable=False),
        sa.Column("passage_id", sa.String(length=16), nullable=False),
        sa.Column("start_offset", sa.Integer(), nullable=False),
        sa.Column("end_offset", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("saved_by", sa.String(length=32), nullable=False),
        sa.Column("saved_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_posted_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_curated_quotes")),
    )
    with op.batch_alter_table("curated_quotes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_curated_quotes_guild_id"), ["guild_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_curated_quotes_passage_id"), ["passage_id"], unique=False)

    op.create_table(
        "guild_settings",
        sa.Column("guild_id", sa.String(length=32), nullable=False),
        sa.Column("values", sa.JSON(), nullable=False),
        sa.Column("updated_by", sa.String(length=32), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("guild_id", name=op.f("pk_guild_settings")),
    )
    op.create_table(
        "passage_overrides",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("guild_id", sa.String(length=32), nullable=False),
        sa.Column("passage_id", sa.String(length=16), nullable=False),
        sa.Column("hidden", sa.Boolean(), nullable=False),
        sa.Column("speaker", sa.Text(), nullable=True),
        sa.Column("role", sa.String(length=32), nullable=True),
        sa.Column("updated_by", sa.String(length=32), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "role IS NULL OR role IN ('own', 'quoted', 'reported view', 'editors'' introduction')",
            name=op.f("ck_passage_overrides_role"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_passage_overrides")),
        sa.UniqueConstraint("guild_id", "passage_id", name=op.f("uq_passage_overrides_guild_id_passage_id")),
    )
    op.create_table(
        "quiz_rounds",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("guild_id", sa.String(length=32), nullable=False),
        sa.Column("channel_id", sa.String(length=32), nullable=False),
        sa.Column("message_id", sa.String(length=32), nullable=True),
        sa.Column("quote_id", sa.Integer(), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("choices", sa.JSON(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revealed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["quote_id"],
            ["curated_quotes.id"],
            name=op.f("fk_quiz_rounds_quote_id_curated_quotes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quiz_rounds")),
    )
    with op.batch_alter_table("quiz_rounds", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_quiz_rounds_guild_id"), ["guild_id"], unique=False)

    op.create_table(
        "quiz_guesses",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("choice", sa.Text(), nullable=False),
        sa.Column("correct", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["quiz_rounds.id"],
            name=op.f("fk_quiz_guesses_round_id_quiz_rounds"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quiz_guesses")),
        sa.UniqueConstraint("round_id", "user_id", name=op.f("uq_quiz_guesses_round_id_user_id")),
    )
    with op.batch_alter_table("quiz_guesses", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_quiz_guesses_user_id"), ["user_id"], unique=False)



def downgrade() -> None:
    with op.batch_alter_table("quiz_guesses", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_quiz_guesses_user_id"))

    op.drop_table("quiz_guesses")
    with op.batch_alter_table("quiz_rounds", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_quiz_rounds_guild_id"))

    op.drop_table("quiz_rounds")
    op.drop_table("passage_overrides")
    op.drop_table("guild_settings")
    with op.batch_alter_table("curated_quotes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_curated_quotes_passage_id"))
        batch_op.drop_index(batch_op.f("ix_curated_quotes_guild_id"))

    op.drop_table("curated_quotes")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_log_guild_id_created_at")

    op.drop_table("audit_log")
