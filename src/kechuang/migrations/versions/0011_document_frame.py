"""documents.frame_priors: what the uploader or an officer fixed of a document's frame (region,
publication date, kind) as JSON; the rest of the frame is derived from the text.

Revision ID: 0011
Revises: 0010
"""
import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("documents", sa.Column("frame_priors", sa.Text(), nullable=False, server_default="{}"))


def downgrade() -> None:
    op.drop_column("documents", "frame_priors")
