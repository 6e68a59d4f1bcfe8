"""programs: tables owned by kechuang.programs

Revision ID: 0004
Revises: 0003
"""
from alembic import op
import sqlalchemy as sa

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "program_results",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("as_of", sa.Date, nullable=False),
        sa.Column("uscc", sa.String(18), nullable=False),
        sa.Column("region_code", sa.String(16), nullable=False, server_default=""),
        sa.Column("program", sa.String(48), nullable=False),
        sa.Column("version", sa.String(16), nullable=False),
        sa.Column("result", sa.String(8), nullable=True),
        sa.Column("score", sa.Numeric(9, 4), nullable=True),
        sa.Column("score_min", sa.Numeric(9, 4), nullable=True),
        sa.Column("score_max", sa.Numeric(9, 4), nullable=True),
        sa.Column("close", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("gap_count", sa.Integer, nullable=False, server_default="0"),
        sa.Column("next_step", sa.String(400), nullable=False, server_default=""),
        sa.Column("gaps", sa.JSON, nullable=False),
        sa.Column("conditions", sa.JSON, nullable=False),
        sa.Column("missing", sa.JSON, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.UniqueConstraint("as_of", "uscc", "program", name="uq_program_results_asof_uscc_program"),
    )
    op.create_index("ix_program_results_program_asof", "program_results", ["program", "as_of"])
    op.create_index("ix_program_results_region", "program_results", ["region_code"])
    op.create_index("ix_program_results_list", "program_results", ["program", "as_of", "result", "close"])
    op.create_index("ix_program_results_uscc", "program_results", ["uscc"])


def downgrade() -> None:
    op.drop_index("ix_program_results_list", table_name="program_results")
    op.drop_index("ix_program_results_uscc", table_name="program_results")
    op.drop_index("ix_program_results_region", table_name="program_results")
    op.drop_index("ix_program_results_program_asof", table_name="program_results")
    op.drop_table("program_results")
