"""miniapps: remembered consents (an app may read the user's profile until revoked)

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-26 15:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import hutong.core.db

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "miniapp_grants",
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("app_id", sa.BigInteger(), nullable=False),
        sa.Column("scope", sa.String(length=20), nullable=False),
        sa.Column("granted_at", hutong.core.db.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("user_id", "app_id", "scope", name=op.f("pk_miniapp_grants")),
    )


def downgrade() -> None:
    op.drop_table("miniapp_grants")
