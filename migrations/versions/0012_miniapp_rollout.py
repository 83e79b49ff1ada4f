"""miniapps: gradual release (the share of users the released version reaches)

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


def downgrade() -> None:
    with op.batch_alter_table("miniapps", schema=None) as batch_op:
        batch_op.drop_column("rollout_percent")
