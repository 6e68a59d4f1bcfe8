"""program_results: covering index for the counts by program, region and status (企业培育 dashboards)

Without it the aggregation reads every stored result with its JSON columns (seconds at a million
results); with it the database answers from the index alone.

Revision ID: 0008
Revises: 0007
"""
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_program_results_counts", "program_results",
                    ["as_of", "program", "region_code", "result", "close"])


def downgrade() -> None:
    op.drop_index("ix_program_results_counts", table_name="program_results")
