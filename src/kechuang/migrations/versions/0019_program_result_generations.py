"""program_results: generations and compact reasons

Results are saved under a generation (program_result_generations) that becomes the date's live
one in a single small transaction, so a save commits in batches and readers never see half of
it. The three JSON columns (gaps, conditions, missing) become one compressed document, detail;
the indexes lead with the generation, and the list index holds a list's whole order.

Existing rows are copied by SQL in committed batches (an upgrade stopped part-way starts the copy
again; the old table is replaced only in the last transaction), their reasons as one plain JSON
document that ``programs.store.unpack`` reads as well; each as-of date gets one live generation.

Revision ID: 0019
Revises: 0018
"""

from alembic import op
import sqlalchemy as sa

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

DETAIL = ("gaps", "conditions", "missing")


def _typed_columns() -> list[sa.Column]:
    return [
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
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    ]


def _typed() -> list[sa.ColumnClause]:
    return [sa.column(c.name, c.type) for c in _typed_columns()]


def _copy(src: sa.Table, dst: sa.Table, convert) -> None:
    bind = op.get_bind()
    last = 0
    while True:
        rows = bind.execute(sa.select(src).where(src.c.id > last).order_by(src.c.id).limit(2000)).mappings().all()
        if not rows:
            return
        last = rows[-1]["id"]
        out = [r for r in (convert(dict(r)) for r in rows) if r is not None]
        if out:
            bind.execute(sa.insert(dst), out)


COPY_ROWS = 20_000  # rows per committed batch of the copy (bounds SQLite's write-ahead log)


def _plain_json(col: str, pg: bool) -> str:
    """SQL text of a 0004 JSON column as JSON text: a list, [] for null, a JSON string unwrapped."""
    if pg:
        return (f"CASE WHEN p.{col} IS NULL OR json_typeof(p.{col}) = 'null' THEN '[]' "
                f"WHEN json_typeof(p.{col}) = 'string' THEN p.{col} #>> '{{}}' ELSE p.{col}::text END")
    return (f"CASE WHEN p.{col} IS NULL OR p.{col} = 'null' THEN '[]' "
            f"WHEN substr(p.{col}, 1, 1) = '\"' THEN json_extract(p.{col}, '$') ELSE p.{col} END")


def upgrade() -> None:
    bind = op.get_bind()
    pg = bind.dialect.name == "postgresql"
    op.execute("DROP TABLE IF EXISTS program_results_0019")  # left by an upgrade stopped during the copy
    op.execute("DROP TABLE IF EXISTS program_result_generations")
    op.create_table(
        "program_result_generations",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("as_of", sa.Date, nullable=False),
        sa.Column("state", sa.String(8), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )
    op.create_index("ix_program_result_generations_as_of", "program_result_generations", ["as_of"])
    op.create_table("program_results_0019", *_typed_columns(),
                    sa.Column("generation", sa.Integer, nullable=False),
                    sa.Column("detail", sa.LargeBinary, nullable=False),
                    sa.UniqueConstraint("generation", "uscc", "program",
                                        name="uq_program_results_generation_uscc_program"))
    op.execute("INSERT INTO program_result_generations (as_of, state) "
               "SELECT DISTINCT as_of, 'live' FROM program_results ORDER BY as_of")
    typed = [c.name for c in _typed_columns() if c.name != "id"]
    doc = " || ".join(f"'{sep}\"{k}\":' || ({_plain_json(k, pg)})" for sep, k in zip("{,,", DETAIL)) + " || '}'"
    detail = f"convert_to({doc}, 'UTF8')" if pg else f"CAST({doc} AS BLOB)"
    copy = sa.text(
        f"INSERT INTO program_results_0019 ({', '.join(typed)}, generation, detail) "
        f"SELECT {', '.join('p.' + c for c in typed)}, g.id, {detail} FROM program_results p "
        "JOIN program_result_generations g ON g.as_of = p.as_of WHERE p.id >= :lo AND p.id < :hi")
    low, high = bind.execute(sa.text("SELECT MIN(id), MAX(id) FROM program_results")).one()
    with op.get_context().autocommit_block():  # each batch commits by itself
        for lo in range(low or 0, (high or -1) + 1, COPY_ROWS):
            op.get_bind().execute(copy, {"lo": lo, "hi": lo + COPY_ROWS})
    if not pg:  # a build that zeroes freed pages would write the whole old table to the log again
        op.execute("PRAGMA secure_delete = FAST")
    op.drop_table("program_results")
    op.rename_table("program_results_0019", "program_results")
    # the order of a program's list (programs.store.page): result, close and score_max descending
    op.create_index("ix_program_results_list", "program_results",
                    ["generation", "program", "result", sa.text("close DESC"), sa.text("score_max DESC"), "uscc",
                     "region_code", "id"])
    op.create_index("ix_program_results_counts", "program_results",
                    ["generation", "program", "region_code", "result", "close"])


def downgrade() -> None:
    from kechuang.programs.store import unpack

    bind = op.get_bind()
    old = op.create_table("program_results_0004", *_typed_columns(),
                          *(sa.Column(c, sa.JSON, nullable=False) for c in DETAIL),
                          sa.UniqueConstraint("as_of", "uscc", "program", name="uq_program_results_asof_uscc_program"))
    new = sa.table("program_results", *_typed(), sa.column("generation", sa.Integer),
                   sa.column("detail", sa.LargeBinary))
    live = {g for (g,) in bind.execute(sa.text("SELECT id FROM program_result_generations WHERE state = 'live'"))}

    def convert(r):
        if r.pop("generation") not in live:
            return None
        r.pop("id")
        return dict(r, **unpack(r.pop("detail")))

    _copy(new, old, convert)
    op.drop_table("program_results")
    op.drop_table("program_result_generations")
    op.rename_table("program_results_0004", "program_results")
    op.create_index("ix_program_results_program_asof", "program_results", ["program", "as_of"])
    op.create_index("ix_program_results_region", "program_results", ["region_code"])
    op.create_index("ix_program_results_list", "program_results", ["program", "as_of", "result", "close"])
    op.create_index("ix_program_results_uscc", "program_results", ["uscc"])
    op.create_index("ix_program_results_counts", "program_results", ["as_of", "program", "region_code", "result", "close"])
