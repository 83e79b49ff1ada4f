"""miniapps: gradual release (the share of users the released version reaches), and an
index for the sweeper of charged-but-unmarked orders

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-26 16:05:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("miniapps", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("rollout_percent", sa.Integer(), server_default="100", nullable=False)
        )
    with op.batch_alter_table("miniapp_orders", schema=None) as batch_op:
        batch_op.create_index("ix_miniapp_orders_status", ["status", "created_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("miniapp_orders", schema=None) as batch_op:
        batch_op.drop_index("ix_miniapp_orders_status")
    with op.batch_alter_table("miniapps", schema=None) as batch_op:
        batch_op.drop_column("rollout_percent")
