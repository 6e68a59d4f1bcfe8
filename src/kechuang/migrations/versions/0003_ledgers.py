"""ledgers: tables owned by kechuang.ledgers

Revision ID: 0003
Revises: 0002
"""
from alembic import op
import sqlalchemy as sa

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ledger_records",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("key", sa.String(160), nullable=False),
        sa.Column("region_code", sa.String(16), nullable=False),
        sa.Column("uscc", sa.String(18), nullable=True),
        sa.Column("year", sa.Integer, nullable=True),
        sa.Column("record_date", sa.Date, nullable=True),
        sa.Column("data", sa.JSON, nullable=False),
        sa.Column("row_hash", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("kind", "key", name="uq_ledger_records_kind_key"),
    )
    op.create_index("ix_ledger_records_region_code", "ledger_records", ["region_code"])
    op.create_index("ix_ledger_records_uscc", "ledger_records", ["uscc"])
    op.create_index("ix_ledger_records_kind_region", "ledger_records", ["kind", "region_code"])


def downgrade() -> None:
    op.drop_index("ix_ledger_records_kind_region", table_name="ledger_records")
    op.drop_index("ix_ledger_records_uscc", table_name="ledger_records")
    op.drop_index("ix_ledger_records_region_code", table_name="ledger_records")
    op.drop_table("ledger_records")
