"""app_state: the shared data-version counter that tells cached views they are stale

Revision ID: 0007
Revises: 0006
"""
import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    table = op.create_table(
        "app_state",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("value", sa.BigInteger, nullable=False, server_default="0"),
    )
    op.bulk_insert(table, [{"name": "data_version", "value": 0}])


def downgrade() -> None:
    op.drop_table("app_state")
