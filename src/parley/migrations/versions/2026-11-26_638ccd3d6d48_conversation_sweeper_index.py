"""conversation sweeper index

Revision ID: 638ccd3d6d48
Revises: 947951d32cdb
Create Date: 2026-11-26 23:51:30.716182
"""

from collections.abc import Sequence

from alembic import op

revision: str = "638ccd3d6d48"
down_revision: str | None = "947951d32cdb"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("conversation", schema=None) as batch_op:
        batch_op.create_index(
            "ix_conversation_status_last_activity_at", ["status", "last_activity_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("conversation", schema=None) as batch_op:
        batch_op.drop_index("ix_conversation_status_last_activity_at")
