"""reader: tables owned by kechuang.reader

Revision ID: 0002
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "documents",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("title", sa.String(200), nullable=False, server_default=""),
        sa.Column("outlet", sa.String(128), nullable=False, server_default=""),
        sa.Column("published_on", sa.Date, nullable=True),
        sa.Column("filename", sa.String(255), nullable=False),
        sa.Column("checksum", sa.String(64), nullable=False),
        sa.Column("version", sa.Integer, nullable=False, server_default="1"),
        sa.Column("supersedes_id", sa.Integer, sa.ForeignKey("documents.id"), nullable=True),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("region_code", sa.String(16), nullable=True),
        sa.Column("ingested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ingested_by", sa.String(64), nullable=False, server_default=""),
    )
    op.create_index("ix_documents_checksum", "documents", ["checksum"])
    op.create_index("ix_documents_filename", "documents", ["filename"])
    op.create_table(
        "statements",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("document_id", sa.Integer, sa.ForeignKey("documents.id", ondelete="CASCADE"), nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("quote", sa.Text, nullable=False),
        sa.Column("start", sa.Integer, nullable=False),
        sa.Column("end_pos", sa.Integer, nullable=False),
        sa.Column("value", sa.Numeric(20, 6), nullable=False),
        sa.Column("unit", sa.String(16), nullable=False),
        sa.Column("indicator", sa.String(128), nullable=False, server_default=""),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("comparator", sa.String(4), nullable=False, server_default="="),
        sa.Column("region", sa.String(128), nullable=False, server_default=""),
        sa.Column("region_code", sa.String(16), nullable=True),
        sa.Column("actor", sa.String(128), nullable=False, server_default=""),
        sa.Column("period", sa.String(32), nullable=False, server_default=""),
        sa.Column("corrected", sa.Boolean, nullable=False, server_default=sa.false()),
    )
    op.create_index("ix_statements_kind_region", "statements", ["kind", "region_code"])
    op.create_index("ix_statements_document", "statements", ["document_id", "seq"])


def downgrade() -> None:
    op.drop_index("ix_statements_document", table_name="statements")
    op.drop_index("ix_statements_kind_region", table_name="statements")
    op.drop_table("statements")
    op.drop_index("ix_documents_filename", table_name="documents")
    op.drop_index("ix_documents_checksum", table_name="documents")
    op.drop_table("documents")
