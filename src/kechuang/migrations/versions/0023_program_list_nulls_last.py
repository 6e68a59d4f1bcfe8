"""A program's list puts results without a score after the scored ones on every database: the list
orders by close and score_max descending, NULLs last. SQLite already sorts NULLs last when
descending; PostgreSQL sorts them first, so the same list came out in another order there. On
PostgreSQL the list index is made again with NULLS LAST, so the list is still read from the index
in order, without a sort.

Revision ID: 0023
Revises: 0022
"""
import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None

NAME = "ix_program_results_list"
HEAD = ["generation", "program", "result"]
TAIL = ["uscc", "region_code", "id"]


def _remake(nulls: str) -> None:
    op.drop_index(NAME, table_name="program_results")
    op.create_index(NAME, "program_results", [*HEAD, sa.text(f"close DESC{nulls}"), sa.text(f"score_max DESC{nulls}"),
                                              *TAIL])


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _remake(" NULLS LAST")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _remake("")
