"""The office's year: documents withdrawn (kept, marked, out of counts), targets split down to
districts with their answers, reporting rounds with each district's submission and files, and
enterprise service (分包服务): officers assigned to enterprises, visit records, application status.

Revision ID: 0014
Revises: 0013
"""
import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("documents", sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("documents", sa.Column("withdrawn_by", sa.String(64), nullable=False, server_default=""))
    op.add_column("documents", sa.Column("withdrawn_reason", sa.Text(), nullable=False, server_default=""))
    op.create_table(
        "target_shares",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("parent_id", sa.Integer(), sa.ForeignKey("targets.id", ondelete="CASCADE"), nullable=False,
                  index=True),
        sa.Column("child_id", sa.Integer(), sa.ForeignKey("targets.id", ondelete="CASCADE"), nullable=False,
                  unique=True),
        sa.Column("method", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False, server_default=""),
        sa.Column("answered_by", sa.String(64), nullable=False, server_default=""),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by", sa.String(64), nullable=False, server_default=""),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "report_rounds",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("region_code", sa.String(16), nullable=False, index=True),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("period_kind", sa.String(16), nullable=False),
        sa.Column("period", sa.String(16), nullable=False),
        sa.Column("kinds", sa.JSON(), nullable=False),
        sa.Column("deadline", sa.Date(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False, server_default=""),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "round_submissions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("round_id", sa.Integer(), sa.ForeignKey("report_rounds.id", ondelete="CASCADE"), nullable=False),
        sa.Column("region_code", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("submitted_by", sa.String(64), nullable=False, server_default=""),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reviewed_by", sa.String(64), nullable=False, server_default=""),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False, server_default=""),
        sa.UniqueConstraint("round_id", "region_code", name="uq_round_submissions_round_region"),
    )
    op.create_table(
        "round_files",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("submission_id", sa.Integer(), sa.ForeignKey("round_submissions.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("filename", sa.String(255), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("uploaded_by", sa.String(64), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("submission_id", "kind", name="uq_round_files_submission_kind"),
    )
    op.create_table(
        "service_assignments",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("uscc", sa.String(18), nullable=False, unique=True),
        sa.Column("region_code", sa.String(16), nullable=False, index=True),
        sa.Column("officer", sa.String(64), nullable=False, index=True),
        sa.Column("assigned_by", sa.String(64), nullable=False),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "service_visits",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("uscc", sa.String(18), nullable=False, index=True),
        sa.Column("region_code", sa.String(16), nullable=False),
        sa.Column("visited_on", sa.Date(), nullable=False),
        sa.Column("officer", sa.String(64), nullable=False),
        sa.Column("needs", sa.Text(), nullable=False, server_default=""),
        sa.Column("promises", sa.Text(), nullable=False, server_default=""),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "program_applications",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("uscc", sa.String(18), nullable=False, index=True),
        sa.Column("region_code", sa.String(16), nullable=False),
        sa.Column("program", sa.String(32), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("updated_by", sa.String(64), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("uscc", "program", "year", name="uq_program_applications_uscc_program_year"),
    )


def downgrade() -> None:
    op.drop_table("program_applications")
    op.drop_table("service_visits")
    op.drop_table("service_assignments")
    op.drop_table("round_files")
    op.drop_table("round_submissions")
    op.drop_table("report_rounds")
    op.drop_table("target_shares")
    op.drop_column("documents", "withdrawn_reason")
    op.drop_column("documents", "withdrawn_by")
    op.drop_column("documents", "withdrawn_at")
