"""ledger_records: covering index for the per-kind change marker read by dashboards

Revision ID: 0006
Revises: 0005
"""
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_ledger_records_kind_updated", "ledger_records", ["kind", "updated_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_ledger_records_kind_updated", table_name="ledger_records")
