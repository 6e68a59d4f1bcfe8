"""一步之遥 (close): a failing result that one single change turns into pass — or into depends when
only expert-judged items stay open. Hand-made profiles where one change obviously flips it."""

from helpers_programs import AS_OF, frame, result, run

from kechuang.programs.engine import evaluate
from kechuang.programs.explain import records
from test_programs_hnte import rd_rows
from test_programs_tech_sme import with_ as sme

EXPERT = dict(hnte_tech_band="A", hnte_core_band="A", hnte_ip_source="own", hnte_standards=True,
              hnte_management_score=18)


def _close(prog, rows):
    res = evaluate(frame([{"uscc": f"U{i:03d}", **r} for i, r in enumerate(rows)]), [prog], AS_OF)
    s = res[prog].summary().sort("uscc")
    return s["result"].to_list(), s["close"].to_list(), list(records(res))


def test_hnte_failing_only_on_rd_ratio_is_close():
    ok = rd_rows(5000, 0.05)
    short = rd_rows(5000, 0.045)
    res, close, recs = _close("hnte", [ok | EXPERT, short | EXPERT, short])
    assert res == ["pass", "fail", "fail"]
    assert close == [False, True, True]
    # expert items judged: the change makes it pass; not judged: it makes it depend on the experts
    words = [[g["text"] for g in r["gaps"] if g["field"] == "rd_expense_y1"][0] for r in recs[1:]]
    assert words[0].endswith("（仅此一项即可使结果变为符合）")
    assert words[1].endswith("（仅此一项即可不再不符合，其余待专家评定）")
    fixed = run("hnte", [short | {"rd_expense_y1": recs[2]["gaps"][0]["needed"]}])
    assert result(fixed) == ["depends"]


def test_hnte_two_failures_are_not_close():
    row = rd_rows(5000, 0.045) | {"tech_staff_y1": 5}
    res, close, _ = _close("hnte", [row])
    assert res == ["fail"] and close == [False]


def test_tech_sme_a_few_points_short_is_close():
    # 16 (staff 25%) + 40 (R&D 5%) + 0 (no IP) = 56 < 60: one more Ⅱ-class IP (+6) or staff 30% (+4)
    row = sme(tech_staff_y1=25, rd_expense_y1=250, total_cost_y1=None, ip_class1=0, ip_class2=0)
    res, close, recs = _close("tech_sme", [row, sme(employees_y1=800)])
    assert recs[0]["score"] == 56
    assert res == ["fail", "fail"] and close == [True, False]  # size cannot be "gapped"
    first = recs[0]["gaps"][0]
    assert first["text"].endswith("（仅此一项即可使结果变为符合）")
    fixed = run("tech_sme", [row | {first["field"]: first["needed"]}])
    assert result(fixed) == ["pass"]


def test_close_change_leaving_missing_data_is_not_close():
    # fixing R&D leaves the score unknown (conversions missing): unknown is not a flip
    row = rd_rows(5000, 0.045) | {"conversions_3y": None}
    res, close, _ = _close("hnte", [row])
    assert res == ["fail"] and close == [False]


def test_one_step_means_a_modest_change():
    import polars as pl

    from kechuang.programs.engine import modest

    pairs = [(300, 400, True),     # R&D expense from 300 to 400 万元: a third of the way left
             (0, 1, True),         # one more patent
             (0, 500, False),      # equity financing from nothing to 500 万元
             (100, 400, False),    # three quarters of the way still to go
             (None, 10, False)]    # unknown current value
    df = pl.DataFrame({"cur": [p[0] for p in pairs], "need": [p[1] for p in pairs]},
                      schema={"cur": pl.Float64, "need": pl.Float64})
    got = df.select(modest(pl.col("cur"), pl.col("need")))[:, 0].to_list()
    assert got == [p[2] for p in pairs]
