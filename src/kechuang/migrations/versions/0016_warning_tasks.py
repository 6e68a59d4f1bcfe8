"""督办 tasks made from warnings: assignee, due date, response, status.

Revision ID: 0016
Revises: 0015
"""
import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "warning_tasks",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("warning_key", sa.String(200), nullable=False, index=True),
        sa.Column("rule", sa.String(32), nullable=False),
        sa.Column("region_code", sa.String(16), nullable=False, index=True),
        sa.Column("uscc", sa.String(18), nullable=False, server_default=""),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("assignee", sa.String(64), nullable=False, index=True),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("response", sa.Text(), nullable=False, server_default=""),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("warning_tasks")
