"""揭榜挂帅 workflow: bids (揭榜, one or several teams per demand) and the dated, attributed steps
发榜 → 揭榜 → 评审 → 签约 → 实施 → 验收.

Revision ID: 0013
Revises: 0012
"""
import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "match_bids",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("demand_no", sa.String(60), nullable=False),
        sa.Column("region_code", sa.String(16), nullable=False),
        sa.Column("supply_no", sa.String(60), nullable=True),
        sa.Column("solver", sa.String(200), nullable=False),
        sa.Column("solver_uscc", sa.String(18), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("amount", sa.Numeric(18, 4), nullable=True),
        sa.Column("contract_no", sa.String(60), nullable=True),
        sa.Column("coop_no", sa.String(60), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("demand_no", "solver", name="uq_match_bids_demand_solver"),
    )
    op.create_index("ix_match_bids_demand", "match_bids", ["demand_no"])
    op.create_index("ix_match_bids_region", "match_bids", ["region_code"])
    op.create_table(
        "match_steps",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("demand_no", sa.String(60), nullable=False),
        sa.Column("bid_id", sa.Integer(), sa.ForeignKey("match_bids.id", ondelete="CASCADE"), nullable=True),
        sa.Column("region_code", sa.String(16), nullable=False),
        sa.Column("step", sa.String(16), nullable=False),
        sa.Column("result", sa.String(16), nullable=True),
        sa.Column("on_date", sa.Date(), nullable=False),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("note", sa.Text(), nullable=False, server_default=""),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_match_steps_demand", "match_steps", ["demand_no"])


def downgrade() -> None:
    op.drop_index("ix_match_steps_demand", "match_steps")
    op.drop_table("match_steps")
    op.drop_index("ix_match_bids_region", "match_bids")
    op.drop_index("ix_match_bids_demand", "match_bids")
    op.drop_table("match_bids")
