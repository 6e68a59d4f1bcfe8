"""program_results: generations and compact reasons

Results are saved under a generation (program_result_generations) that becomes the date's live
one in a single small transaction, so a save commits in batches and readers never see half of
it. The three JSON columns (gaps, conditions, missing) become one compressed document, detail;
the indexes lead with the generation, and the list index holds a list's whole order.

Existing rows are converted in batches; each as-of date gets one live generation.

Revision ID: 0019
Revises: 0018
"""
import json

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


def upgrade() -> None:
    from kechuang.programs.store import pack

    bind = op.get_bind()
    gens = op.create_table(
        "program_result_generations",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("as_of", sa.Date, nullable=False),
        sa.Column("state", sa.String(8), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )
    op.create_index("ix_program_result_generations_as_of", "program_result_generations", ["as_of"])
    new = op.create_table("program_results_0019", *_typed_columns(),
                          sa.Column("generation", sa.Integer, nullable=False),
                          sa.Column("detail", sa.LargeBinary, nullable=False),
                          sa.UniqueConstraint("generation", "uscc", "program",
                                              name="uq_program_results_generation_uscc_program"))
    old = sa.table("program_results", *_typed(), *(sa.column(c, sa.JSON) for c in DETAIL))
    gen_of = {}
    for (day,) in bind.execute(sa.select(old.c.as_of).distinct().order_by(old.c.as_of)).all():
        gen_of[day] = bind.execute(sa.insert(gens).values(as_of=day, state="live")).inserted_primary_key[0]

    def convert(r):
        detail = {k: (json.loads(r.pop(k)) if isinstance(r[k], str) else r.pop(k)) for k in DETAIL}
        r.pop("id")
        return dict(r, generation=gen_of[r["as_of"]], detail=pack(detail))

    _copy(old, new, convert)
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
