"""award_payouts: the payouts ledger of incentive awards (list generated → confirmed by the
enterprise → paid), one row per enterprise, policy, item and triggering year.

Revision ID: 0015
Revises: 0014
"""
import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "award_payouts",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("uscc", sa.String(18), nullable=False),
        sa.Column("name", sa.String(200), nullable=False, server_default=""),
        sa.Column("region_code", sa.String(16), nullable=False, server_default=""),
        sa.Column("policy", sa.String(64), nullable=False),
        sa.Column("version", sa.String(16), nullable=False),
        sa.Column("item", sa.String(64), nullable=False),
        sa.Column("item_name", sa.String(200), nullable=False, server_default=""),
        sa.Column("stack_group", sa.String(64), nullable=False, server_default=""),
        sa.Column("event_year", sa.Integer, nullable=False),
        sa.Column("payout_year", sa.Integer, nullable=False),
        sa.Column("amount", sa.Numeric(14, 4), nullable=False),
        sa.Column("payers", sa.JSON, nullable=False),
        sa.Column("status", sa.String(16), nullable=False, server_default="listed"),
        sa.Column("listed_on", sa.Date, nullable=False),
        sa.Column("confirmed_on", sa.Date, nullable=True),
        sa.Column("paid_on", sa.Date, nullable=True),
        sa.Column("updated_by", sa.String(64), nullable=False, server_default=""),
        sa.UniqueConstraint("uscc", "policy", "item", "event_year", name="uq_award_payouts_once"),
    )
    op.create_index("ix_award_payouts_region_year", "award_payouts", ["region_code", "payout_year"])


def downgrade() -> None:
    op.drop_index("ix_award_payouts_region_year", table_name="award_payouts")
    op.drop_table("award_payouts")
