"""ledger_records: the enterprise ledger in name order (kechuang.ledgers.store.NAME_ORDER), so a
list sorted by name reads its pages from an index instead of sorting every enterprise per request.

Covering (id, region_code): a page, or the whole ordered id list within a user's regions, comes
from the index alone. The key is the name for enterprises and NULL for other kinds, so their
entries follow the id order and bulk loads append them (a partial index would do the same, but
SQLite's planner does not pick one without statistics). The expression is the one the list query
orders by, written out per dialect so that both planners recognise it.

Revision ID: 0018
Revises: 0017
"""
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

NAME = "ix_ledger_records_enterprise_name"


def upgrade() -> None:
    from kechuang.ledgers.store import name_order_sql

    expr = name_order_sql(op.get_bind().dialect.name)
    op.execute(f"CREATE INDEX {NAME} ON ledger_records (kind, ({expr}), id, region_code)")


def downgrade() -> None:
    op.drop_index(NAME, table_name="ledger_records")
