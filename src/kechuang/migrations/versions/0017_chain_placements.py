"""chain_placements: each enterprise's computed places on the chain nodes with the fingerprint of
the inputs they were computed from (kechuang.chains.store), so a chain page does not recompute them.

Revision ID: 0017
Revises: 0016
"""
import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "chain_placements",
        sa.Column("uscc", sa.String(18), primary_key=True),
        sa.Column("fingerprint", sa.String(40), nullable=False),
        sa.Column("placed", sa.Text(), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("chain_placements")
