"""Excel export of evaluation records: summary, conditions and gaps sheets (Chinese headers)."""

from __future__ import annotations

import polars as pl

from .fields import fields
from .catalog import program_names, result_name


def _v(v):
    if isinstance(v, list):
        return f"{v[0]}–{v[1]}"
    return v


def workbook_frames(recs: list[dict]) -> dict[str, pl.DataFrame]:
    names = program_names()
    summary, conds, gaps = [], [], []
    for r in recs:
        pname = names.get(r["program"], r["program"])
        summary.append({
            "统一社会信用代码": r["uscc"], "项目": pname, "规则版本": r["version"],
            "结果": result_name(r["result"]),
            "得分": r["score"], "最低分": r["score_min"], "最高分": r["score_max"],
            "一步之遥": "是" if r.get("_close") else "",
            "首要差距": r["gaps"][0]["text"] if r["gaps"] else "",
            "缺少数据": "、".join(fields()[m].full_label if m in fields() else m for m in r["missing"]),
        })
        for c in r["conditions"]:
            conds.append({"统一社会信用代码": r["uscc"], "项目": pname, "编号": c["id"], "条件/指标": c["text"],
                          "取值": str(_v(c["value"])) if c["value"] is not None else "", "比较": c["op"] or "",
                          "门槛": str(c["threshold"]) if c["threshold"] is not None else "",
                          "结果": result_name(c["result"]) if c["result"] else "", "依据": c["cite"]})
        for g in r["gaps"]:
            f = fields().get(g["field"])
            gaps.append({"统一社会信用代码": r["uscc"], "项目": pname, "字段": f.full_label if f else g["field"],
                         "现值": g["current"], "需达到": g["needed"], "差额": g["delta"], "说明": g["text"]})
    return {"评价汇总": pl.DataFrame(summary, infer_schema_length=None),
            "条件明细": pl.DataFrame(conds, infer_schema_length=None),
            "差距": pl.DataFrame(gaps, infer_schema_length=None)}
