"""sms messages and opt-outs

Revision ID: c977c616eb31
Revises: 9401c1872f1d
Create Date: 2026-11-26 16:25:26.442622
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import parley.kit.db

revision: str = "c977c616eb31"
down_revision: str | None = "9401c1872f1d"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sms_message",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("agent_id", sa.String(length=64), nullable=False),
        sa.Column("direction", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("to_number", sa.String(length=64), nullable=True),
        sa.Column("from_number", sa.String(length=64), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("template", sa.String(length=200), nullable=True),
        sa.Column("environment", sa.String(length=16), nullable=True),
        sa.Column("source", sa.String(length=24), nullable=False),
        sa.Column("conversation_id", sa.String(length=100), nullable=True),
        sa.Column("connector_id", sa.String(length=40), nullable=True),
        sa.Column("provider", sa.String(length=16), nullable=True),
        sa.Column("provider_message_id", sa.String(length=100), nullable=True),
        sa.Column("created_at", parley.kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["agent_id"], ["agent.id"], name=op.f("fk_sms_message_agent_id_agent"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sms_message")),
    )
    with op.batch_alter_table("sms_message", schema=None) as batch_op:
        batch_op.create_index("ix_sms_message_agent_id_created_at", ["agent_id", "created_at"], unique=False)
        batch_op.create_index("ix_sms_message_agent_id_to_number", ["agent_id", "to_number"], unique=False)

    op.create_table(
        "sms_opt_out",
        sa.Column("agent_id", sa.String(length=64), nullable=False),
        sa.Column("number", sa.String(length=64), nullable=False),
        sa.Column("keyword", sa.String(length=16), nullable=False),
        sa.Column("created_at", parley.kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["agent_id"], ["agent.id"], name=op.f("fk_sms_opt_out_agent_id_agent"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("agent_id", "number", name=op.f("pk_sms_opt_out")),
    )


def downgrade() -> None:
    op.drop_table("sms_opt_out")
    with op.batch_alter_table("sms_message", schema=None) as batch_op:
        batch_op.drop_index("ix_sms_message_agent_id_to_number")
        batch_op.drop_index("ix_sms_message_agent_id_created_at")
    op.drop_table("sms_message")
