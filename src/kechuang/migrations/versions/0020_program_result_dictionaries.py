"""program_result_dictionaries: preset zlib dictionaries of stored reasons

A reasons document (program_results.detail) is compressed with a dictionary of the wording the
rule files repeat in every document; the dictionary is kept under the id zlib writes into the
document (its Adler-32), so a row stays readable whatever rule files are installed later.
Downgrading recompresses such rows without a dictionary.

Revision ID: 0020
Revises: 0019
"""
import zlib

from alembic import op
import sqlalchemy as sa

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("program_result_dictionaries",
                    sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=False),
                    sa.Column("data", sa.LargeBinary, nullable=False))


def downgrade() -> None:
    bind = op.get_bind()
    zdicts = {k: bytes(v) for k, v in bind.execute(sa.text("SELECT id, data FROM program_result_dictionaries"))}
    rows = sa.table("program_results", sa.column("id", sa.Integer), sa.column("detail", sa.LargeBinary))
    last = 0
    while zdicts:
        batch = bind.execute(sa.select(rows.c.id, rows.c.detail).where(rows.c.id > last).order_by(rows.c.id)
                             .limit(2000)).all()
        if not batch:
            break
        last = batch[-1][0]
        for i, blob in batch:
            blob = bytes(blob)
            if blob[:1] != b"{" and blob[1] & 0x20:  # FDICT: compressed with a preset dictionary
                d = zlib.decompressobj(zdict=zdicts[int.from_bytes(blob[2:6], "big")])
                plain = zlib.compress(d.decompress(blob) + d.flush(), 1)
                bind.execute(sa.update(rows).where(rows.c.id == i).values(detail=plain))
    op.drop_table("program_result_dictionaries")
