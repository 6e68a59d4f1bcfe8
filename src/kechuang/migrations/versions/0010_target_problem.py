"""targets.problem: why a target cannot be measured yet (e.g. a unit the unit registry does not
know), in Chinese; the target is kept and shown with this reason instead of being dropped.

Revision ID: 0010
Revises: 0009
"""
import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("targets", sa.Column("problem", sa.Text(), nullable=False, server_default=""))


def downgrade() -> None:
    op.drop_column("targets", "problem")  # SQLite 3.35+ and PostgreSQL drop a column in place
