"""chain_decisions: an officer's confirmation or rejection of an enterprise's place on a chain node,
applied on top of every recomputation of the placements.

Revision ID: 0012
Revises: 0011
"""
import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "chain_decisions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("uscc", sa.String(18), nullable=False),
        sa.Column("chain", sa.String(64), nullable=False),
        sa.Column("node", sa.String(128), nullable=False),
        sa.Column("verdict", sa.String(16), nullable=False),
        sa.Column("region_code", sa.String(16), nullable=True),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("note", sa.String(500), nullable=False, server_default=""),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("uscc", "node", name="uq_chain_decisions_uscc_node"),
    )
    op.create_index("ix_chain_decisions_chain", "chain_decisions", ["chain", "uscc"])


def downgrade() -> None:
    op.drop_index("ix_chain_decisions_chain", table_name="chain_decisions")
    op.drop_table("chain_decisions")
