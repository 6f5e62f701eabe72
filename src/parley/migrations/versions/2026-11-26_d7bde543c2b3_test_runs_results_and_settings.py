"""test runs results and settings

Revision ID: d7bde543c2b3
Revises: c977c616eb31
Create Date: 2026-11-26 16:25:35.277226
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import parley.kit.db

revision: str = "d7bde543c2b3"
down_revision: str | None = "c977c616eb31"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "test_run",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("agent_id", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.String(length=40), nullable=False),
        sa.Column("branch_id", sa.String(length=32), nullable=True),
        sa.Column("environment", sa.String(length=16), nullable=False),
        sa.Column("deployment_id", sa.String(length=36), nullable=True),
        sa.Column("version", sa.String(length=64), nullable=True),
        sa.Column("trigger", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("test_cases", sa.JSON(), nullable=False),
        sa.Column("test_case_count", sa.Integer(), nullable=False),
        sa.Column("passed_count", sa.Integer(), nullable=False),
        sa.Column("failed_count", sa.Integer(), nullable=False),
        sa.Column("error_count", sa.Integer(), nullable=False),
        sa.Column("timed_out_count", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_by", sa.String(length=320), nullable=False),
        sa.Column("created_at", parley.kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("started_at", parley.kit.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("finished_at", parley.kit.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("claimed_by", sa.String(length=64), nullable=True),
        sa.Column("heartbeat_at", parley.kit.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agent_id"], ["agent.id"], name=op.f("fk_test_run_agent_id_agent"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_test_run")),
    )
    op.create_index("ix_test_run_agent_id_created_at", "test_run", ["agent_id", "created_at"], unique=False)
    op.create_index("ix_test_run_status", "test_run", ["status"], unique=False)
    op.create_table(
        "test_result",
        sa.Column("run_id", sa.String(length=40), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("test_case_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("conversation_id", sa.String(length=100), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("started_at", parley.kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", parley.kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"], ["test_run.id"], name=op.f("fk_test_result_run_id_test_run"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("run_id", "position", name=op.f("pk_test_result")),
    )
    op.create_table(
        "test_settings",
        sa.Column("agent_id", sa.String(length=64), nullable=False),
        sa.Column("run_on_deploy", sa.Boolean(), nullable=False),
        sa.Column("block_live_on_failure", sa.Boolean(), nullable=False),
        sa.Column("updated_at", parley.kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["agent_id"], ["agent.id"], name=op.f("fk_test_settings_agent_id_agent"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("agent_id", name=op.f("pk_test_settings")),
    )


def downgrade() -> None:
    op.drop_table("test_settings")
    op.drop_table("test_result")
    op.drop_index("ix_test_run_status", table_name="test_run")
    op.drop_index("ix_test_run_agent_id_created_at", table_name="test_run")
    op.drop_table("test_run")
