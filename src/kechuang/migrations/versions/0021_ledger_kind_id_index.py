"""ledger_records on PostgreSQL: each kind's records in id order, so a ledger's pages in id order
(the default list, and paging on from the last id seen) read their ids from an index alone.

Bulk loads interleave the kinds' ids, and PostgreSQL's statistics cannot tell that one kind's ids
thin out past some point: without this index the planner walks the primary key from the cursor and
discards every record of the other kinds on the way (hundreds of thousands at 100,000
enterprises). Covering region_code: a user's regions are checked in the index too. SQLite needs no
such index: its (kind, region_code) index ends in the rowid, which is the id.

Revision ID: 0021
Revises: 0020
"""
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

NAME = "ix_ledger_records_kind_id"


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.create_index(NAME, "ledger_records", ["kind", "id", "region_code"])


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index(NAME, table_name="ledger_records")
