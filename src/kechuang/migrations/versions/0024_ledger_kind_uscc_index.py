"""ledger_records by kind and credit code: profiles are built from the ledgers a range of credit
codes at a time (``ledgers.profiles.profile_batches``), so a province's million enterprises are not
all decoded at once. Each kind's records of a range are one range of this index; the index also
holds the region, so the credit codes of a region's enterprises are read from it alone.

Revision ID: 0024
Revises: 0023
"""
from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None

NAME = "ix_ledger_records_kind_uscc"


def upgrade() -> None:
    op.create_index(NAME, "ledger_records", ["kind", "uscc", "region_code"])


def downgrade() -> None:
    op.drop_index(NAME, table_name="ledger_records")
