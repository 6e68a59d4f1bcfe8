"""Stored ledgers of a small chain scene: 亭湖区 has vehicle makers and motor makers, no battery
maker; 盐都区 and 南京 have battery makers (补链 candidates)."""

from pathlib import Path

from kechuang.ledgers import import_file
from kechuang.ledgers.uscc import check_char


FIXTURES = Path(__file__).parent / "templates"


def uscc(n: int) -> str:
    s = f"91320900MA2{n:06d}"
    return s + check_char(s)


# n, name, region, industry code, revenue (万元)
ENTERPRISES = [
    (1, "盐城甲新能源汽车有限公司", "320902", "C3612", 30000),
    (2, "盐城乙汽车有限公司", "320902", "C3612", 20000),
    (3, "盐城丙客车有限公司", "320902", "C3612", 5000),
    (4, "盐城丁电机有限公司", "320902", "C3812", 3000),
    (5, "盐城戊电机有限公司", "320902", "C3812", 2000),
    (6, "盐城己软件有限公司", "320902", "I6513", 900),
    (7, "盐都庚电池有限公司", "320903", "C3841", 40000),
    (8, "南京辛电池有限公司", "320105", "C3841", 60000),
]


def write_scene(tmp: Path, engine) -> None:
    e = tmp / "enterprise.csv"
    e.write_text("统一社会信用代码,企业名称,行政区划代码,国民经济行业代码\n"
                 + "".join(f"{uscc(n)},{name},{reg},{code}\n" for n, name, reg, code, _ in ENTERPRISES),
                 encoding="utf-8")
    y = tmp / "enterprise_year.csv"
    y.write_text("统一社会信用代码,年度,销售收入\n"
                 + "".join(f"{uscc(n)},2024,{rev}\n" for n, *_, rev in ENTERPRISES), encoding="utf-8")
    c = tmp / "certification.csv"
    c.write_text("统一社会信用代码,资质类型,级别,认定日期\n"
                 f"{uscc(2)},高新技术企业,国家级,2024-01-10\n"
                 f"{uscc(8)},高新技术企业,国家级,2024-01-10\n", encoding="utf-8")
    ip = tmp / "ip.csv"
    ip.write_text("申请号,统一社会信用代码,知识产权名称,知识产权类型,法律状态,申请日期\n"
                  f"CN2023100001,{uscc(7)},一种动力电池模组的散热结构,发明专利,申请中,2023-05-01\n",
                  encoding="utf-8")
    for kind, path in (("enterprise", e), ("enterprise_year", y), ("certification", c), ("ip", ip)):
        rep = import_file(engine, kind, path)
        assert rep.ok, rep.problems
