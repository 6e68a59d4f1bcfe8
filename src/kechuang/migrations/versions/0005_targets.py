"""targets: tables owned by kechuang.targets

Revision ID: 0005
Revises: 0004
"""
from alembic import op
import sqlalchemy as sa

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "targets",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("region_code", sa.String(16), nullable=False),
        sa.Column("region", sa.String(128), nullable=False, server_default=""),
        sa.Column("indicator", sa.String(256), nullable=False),
        sa.Column("metric_id", sa.String(64), nullable=True),
        sa.Column("period", sa.String(32), nullable=False, server_default=""),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("comparator", sa.String(4), nullable=False, server_default=">="),
        sa.Column("value", sa.Numeric(20, 6), nullable=False),
        sa.Column("unit", sa.String(16), nullable=False),
        sa.Column("source_statement_id", sa.Integer, nullable=True),
        sa.Column("source_doc", sa.String(256), nullable=False, server_default=""),
        sa.Column("source_quote", sa.Text, nullable=False, server_default=""),
        sa.Column("binding_status", sa.String(16), nullable=False, server_default="unbound"),
        sa.Column("created_by", sa.String(64), nullable=False, server_default=""),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("source_statement_id", name="uq_targets_source_statement"),
    )
    op.create_index("ix_targets_region_year", "targets", ["region_code", "year"])
    op.create_index("ix_targets_binding", "targets", ["binding_status"])
    op.create_table(
        "target_snapshots",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("target_id", sa.Integer, sa.ForeignKey("targets.id", ondelete="CASCADE"), nullable=False),
        sa.Column("as_of", sa.Date, nullable=False),
        sa.Column("current", sa.Numeric(20, 6), nullable=True),
        sa.Column("expected", sa.Numeric(20, 6), nullable=True),
        sa.Column("share", sa.Numeric(12, 6), nullable=True),
        sa.Column("status", sa.String(16), nullable=True),
        sa.UniqueConstraint("target_id", "as_of", name="uq_target_snapshots_target_date"),
    )


def downgrade() -> None:
    op.drop_table("target_snapshots")
    op.drop_index("ix_targets_binding", table_name="targets")
    op.drop_index("ix_targets_region_year", table_name="targets")
    op.drop_table("targets")
