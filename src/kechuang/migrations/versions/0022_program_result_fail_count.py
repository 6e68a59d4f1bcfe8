"""program_results.fail_count: how many of a result's conditions fail, stored beside gap_count, so
lists ranked by it (小升高: fewest failing conditions first) read a column instead of decoding
every result's reasons. Rows saved before this revision hold NULL, and readers count their
conditions from the reasons until results are saved again.

Revision ID: 0022
Revises: 0021
"""
import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("program_results", sa.Column("fail_count", sa.Integer(), nullable=True))


def downgrade() -> None:
    op.drop_column("program_results", "fail_count")
