"""Synthetic demo ledgers for a city and its districts (``kechuang demo-data``).

Everything generated here is FICTITIOUS and marked so: enterprise, carrier and project names
start with 【演示】, people are named 演示·…, and every document number (patent, certificate,
contract, project, cooperation) starts with ``DEMO-``. The USCCs are synthetic (organisation part
``MD`` + a serial) but carry valid GB 32100 check characters so that they pass validation.
Deterministic for a given ``--seed`` and ``--today``; vectorized with NumPy/Polars.

Distributions (chosen to look like a Jiangsu prefecture city; not statistics of any real place):
- Districts: weights below for 盐城市 (roughly by economic size); other cities: equal weights.
- Size classes: micro 55 % (3–20 staff), small 30 % (20–300), medium 12 % (300–1000),
  large 3 % (1000–6000); revenue per head log-normal, median 50 万元 (services × 0.6).
- Industries: GB/T 4754-2017 codes of the city's chains (光伏, 储能, 风电, 新能源汽车, 汽车零部件,
  装备, 电子材料, 半导体, 医药, 新材料, 软件) plus traditional industries and trade.
- 主营产品 / 经营范围: one or two products from a pool per industry code (mostly products of that
  industry's chain, a few look-alikes such as 铅酸蓄电池 or 保健食品 among traders) and a 经营范围 in
  the usual registration wording for that code, starting 【演示】; drawn from a second random stream
  so that the other columns stay as they were for a given seed.
- Innovative firms: 45 % of firms in high-tech industries, 10 % elsewhere. R&D intensity
  log-normal, median 4.5 % (innovative) / 0.8 % (others, 60 % of whom report no R&D);
  technical staff 10–45 % (innovative) / 1–12 %; high-tech revenue 50–95 % / 0–30 % of income.
- History: four fiscal years (today.year−4 … today.year−1), revenue growth N(8 %, 15 %),
  8 % of innovative firms grow fast (N(35 %, 10 %)); no data before the registration year.
- IP: Poisson counts per firm, inventions λ = 0.8 + R&D/300 万元 (innovative) else 0.05;
  utility models λ = 3 + R&D/100; designs, software. Grant lags: invention 1.5–3.5 y,
  utility 0.5–1.2 y, design 0.3–0.8 y, software 0.1–0.5 y; not yet granted when after today.
- Certifications follow the official hard conditions (see docs/programs.md):
  高新技术企业 only when R&D ≥ 5 % / 4 % / 3 % of revenue (≤ 5000万 / ≤ 2亿 / above),
  technical staff ≥ 10 %, high-tech revenue ≥ 60 %, ≥ 1 granted IP, registered ≥ 1 year;
  80 % of those certified, in 3-year cycles (renewal 85 %), certificates dated Oct–Dec,
  valid 3 years. 科技型中小企业: staff ≤ 500, revenue and assets ≤ 2亿, innovative; 80 % register
  each year, valid to 31 Dec. 创新型中小企业 (from 2022) → 专精特新 → 小巨人 nested ladder, 3-year
  validity. 瞪羚: 3-year revenue CAGR ≥ 20 % and revenue ≥ 1000万, annual list (1 year).
  潜在独角兽/独角兽 by valuation (≥ 1亿美元 / > 10亿美元), annual list.
- Talents per city and year (scaled by enterprises/20000): national key 12, 省双创 40, other
  provincial 30, city 200, district 250, doctors 150, high-level 80.
- Carriers per district: Poisson means 众创空间 6, 孵化器 4, 加速器 1, 园区 2, 新型研发机构 3,
  飞地 0.6 each; areas by type (m²).
- Projects ≈ 0.15 × firms, contracts ≈ 0.75 × firms, cooperation ≈ 0.2 × firms, spread over
  the five years up to today, with year-to-date records in the current year.
"""

from __future__ import annotations

import datetime as dt
from typing import Callable, Iterator

import numpy as np
import polars as pl
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from . import store
from .kinds import get_kind
from .uscc import check_char_expr
from .validate import natural_key

DISTRICT_WEIGHTS = {  # 盐城市
    "320902": 0.13, "320903": 0.13, "320904": 0.11, "320921": 0.06, "320922": 0.07,
    "320923": 0.07, "320924": 0.08, "320925": 0.08, "320981": 0.14, "320900Z01": 0.07, "320971": 0.06,
}

# (GB/T 4754 code, name word, hitech domain or None, weight, is service)
INDUSTRIES = [
    ("C3825", "光伏", "new_energy", 0.07, False), ("C3841", "储能", "new_energy", 0.05, False),
    ("C3415", "风电", "new_energy", 0.04, False), ("C3612", "新能源汽车", "advanced_manufacturing", 0.03, False),
    ("C3670", "汽车部件", "advanced_manufacturing", 0.09, False), ("C3484", "机械", "advanced_manufacturing", 0.10, False),
    ("C3985", "电子材料", "electronic_info", 0.04, False), ("C3973", "半导体", "electronic_info", 0.02, False),
    ("C2710", "医药", "biomed", 0.03, False), ("C2661", "新材料", "new_materials", 0.05, False),
    ("I6513", "软件", "electronic_info", 0.05, True), ("M7320", "工程技术", "hitech_services", 0.03, True),
    ("C1713", "纺织", None, 0.09, False), ("C3311", "钢结构", None, 0.06, False),
    ("C2929", "塑料制品", None, 0.05, False), ("C1391", "食品", None, 0.04, False),
    ("F5179", "贸易", None, 0.10, True), ("E4813", "建设", None, 0.06, True),
]

# 主营产品 pools and 经营范围 wording per industry code (synthetic, modelled on common registration text)
PRODUCTS = {
    "C3825": (["单晶PERC电池片", "TOPCon电池片", "异质结电池片", "双玻光伏组件", "双面光伏组件", "光伏接线盒",
               "组串式光伏逆变器", "光伏焊带"],
              "光伏设备及元器件制造；光伏设备及元器件销售；太阳能发电技术服务；电子元器件制造"),
    "C3841": (["磷酸铁锂储能电芯", "储能电池模组", "工商业储能柜", "户用储能系统", "动力电池包", "三元锂动力电池",
               "两轮车锂电池", "电池管理系统"],
              "电池制造；电池销售；电池零配件生产；储能技术服务；新兴能源技术研发"),
    "C3415": (["风电叶片", "风力发电机组", "风电塔筒", "风电齿轮箱", "偏航轴承", "风机主控系统"],
              "风力发电机组及零部件销售；风电场相关装备销售；发电机及发电机组制造；海上风电相关装备销售"),
    "C3612": (["纯电动乘用车", "纯电动物流车", "插电式混合动力汽车", "新能源专用车"],
              "许可项目：道路机动车辆生产。一般项目：新能源汽车整车销售；汽车零部件研发；新能源汽车电附件销售"),
    "C3670": (["汽车座椅", "汽车线束", "制动器总成", "汽车冲压件", "铝合金压铸件", "汽车内饰件", "驱动电机",
               "电机控制器", "汽车减震器"],
              "汽车零部件及配件制造；汽车零配件批发；模具制造；金属材料销售"),
    "C3484": (["机械零部件加工件", "精密减速器", "风电法兰", "液压件", "轴类零件", "齿轮", "机床配件"],
              "机械零件、零部件加工；通用零部件制造；金属切削加工服务；五金产品批发"),
    "C3985": (["覆铜板", "导热界面材料", "电子功能胶带", "锂电铜箔", "光伏银浆", "半导体抛光片", "硅胶保护膜"],
              "电子专用材料制造；电子专用材料销售；电子专用材料研发；新材料技术研发"),
    "C3973": (["集成电路封装", "功率模块封装测试", "芯片测试", "IGBT模块", "MCU芯片", "电源管理芯片"],
              "集成电路制造；集成电路销售；集成电路芯片及产品制造；半导体分立器件制造"),
    "C2710": (["化学原料药", "医药中间体", "发酵原料药", "维生素类原料药", "抗生素原料"],
              "许可项目：药品生产；药品委托生产。一般项目：医学研究和试验发展；化工产品销售（不含许可类化工产品）"),
    "C2661": (["聚氨酯助剂", "水处理剂", "脱硝催化剂", "电子级化学试剂", "塑料助剂", "涂料助剂"],
              "化学试剂和助剂制造（不含危险化学品）；专用化学产品销售（不含危险化学品）；新材料技术研发"),
    "I6513": (["工业互联网平台", "MES系统", "智慧园区管理软件", "政务信息系统", "物联网平台", "企业管理软件"],
              "软件开发；信息系统集成服务；物联网技术服务；信息技术咨询服务；数据处理服务"),
    "M7320": (["新能源技术研发服务", "检验检测服务", "工程技术研究服务", "储能技术开发", "环保技术研发"],
              "工程和技术研究和试验发展；技术服务、技术开发、技术咨询、技术交流、技术转让、技术推广"),
    "C1713": (["印染面料", "棉布", "功能性面料", "除尘滤料", "家纺面料"],
              "面料印染加工；针纺织品及原料销售；产业用纺织制成品制造"),
    "C3311": (["钢结构件", "光伏支架", "风电塔筒", "钢结构厂房", "网架"],
              "金属结构制造；金属结构销售；建筑用钢筋产品销售；钢压延加工"),
    "C2929": (["塑料零件", "汽车塑料件", "EVA胶膜", "塑料包装容器", "光伏背板"],
              "塑料制品制造；塑料制品销售；汽车零部件及配件制造"),
    "C1391": (["玉米淀粉", "变性淀粉", "粉丝", "淀粉糖"],
              "食品生产；淀粉及淀粉制品制造；食品销售（仅销售预包装食品）"),
    "F5179": (["电子元器件销售", "电路板销售", "机械设备销售", "光伏组件销售", "五金产品批发", "保健食品销售",
               "锂电池销售", "铅酸蓄电池销售"],
              "机械设备销售；电子元器件批发；五金产品批发；电子产品销售"),
    "E4813": (["市政道路工程", "桥梁工程", "园林绿化工程", "分布式光伏安装"],
              "许可项目：建设工程施工。一般项目：园林绿化工程施工；土石方工程施工；对外承包工程"),
}
SCOPE_TAIL = "（除依法须经批准的项目外，凭营业执照依法自主开展经营活动）"

WORDS = list("恒华瑞鑫盛泰达宏昌兴隆嘉源通远润丰海联创新晟卓越锦宸博睿弘德瀚中天成正信安骏航")
SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾")
GIVEN = list("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红娥玲")
INSTITUTIONS = ["江苏大学", "南京工业大学", "东南大学", "华中科技大学", "江南大学", "武汉理工大学",
                "上海交通大学", "清华大学", "南京大学", "河海大学", "盐城工学院", "盐城师范学院",
                "南京航空航天大学", "中国矿业大学", "江苏省产业技术研究院"]
TOPICS = ["高效电池片工艺", "储能系统热管理", "风机叶片材料", "智能产线改造", "工业视觉检测", "生物发酵工艺",
          "新型涂层材料", "数字孪生平台", "电驱动系统", "废水资源化", "功率器件封装", "海上风电运维"]

BLOCK = 20_000  # enterprises per random stream (see generate_blocks)

SIZE_P = [0.55, 0.30, 0.12, 0.03]
SIZE_EMP = [(3, 20), (20, 300), (300, 1000), (1000, 6000)]


def _log_uniform(rng, lo, hi, n):
    return np.exp(rng.uniform(np.log(lo), np.log(hi), n))


def _dates(rng, start: dt.date, end: np.ndarray | dt.date, n: int) -> np.ndarray:
    """Uniform dates in [start, end] (end may be per row)."""
    s = np.datetime64(start, "D")
    e = end.astype("datetime64[D]") if isinstance(end, np.ndarray) else np.full(n, np.datetime64(end, "D"))
    span = np.maximum((e - s).astype(np.int64), 0)
    return s + (rng.random(n) * (span + 1)).astype(np.int64).astype("timedelta64[D]")


def _year_dates(rng, years: np.ndarray, today: dt.date, m1=1, m2=12) -> np.ndarray:
    """Random dates within [years-m1-01, years-m2-end], never after today."""
    start = (years - 1970).astype("datetime64[Y]").astype("datetime64[M]") + (m1 - 1)
    end = (years - 1970).astype("datetime64[Y]").astype("datetime64[M]") + m2
    start_d = start.astype("datetime64[D]")
    end_d = np.minimum(end.astype("datetime64[D]") - np.timedelta64(1, "D"), np.datetime64(today, "D"))
    span = np.maximum((end_d - start_d).astype(np.int64), 0) + 1
    d = start_d + (rng.random(len(years)) * span).astype(np.int64).astype("timedelta64[D]")
    return np.minimum(d, np.datetime64(today, "D"))


def _points_inputs(rng, n: int, innovative: np.ndarray, emp: np.ndarray, rd: np.ndarray) -> dict:
    """One year of the 创新积分 inputs (enterprise_year ledger); about 1 in 12 left missing."""
    gone = rng.random(n) < 0.08

    def count(lam_innov: float, lam_other: float) -> pl.Series:
        v = rng.poisson(np.where(innovative, lam_innov, lam_other), n)
        return pl.Series(np.where(gone, None, v).tolist(), dtype=pl.Int64)

    return {
        "invention_apps": count(2.0, 0.1), "pct_apps": count(0.3, 0.0),
        "postgrad_staff": pl.Series(np.where(gone, None, np.floor(emp * rng.uniform(0, 0.2, n) * innovative)
                                             .astype(int)).tolist(), dtype=pl.Int64),
        "rd_tax_relief": _money(np.where(gone, np.nan, rd * 0.25 * (rng.random(n) < 0.8))),
        "fresh_graduates": count(3.0, 0.8),
        "vc_amount": _money(np.where(gone, np.nan, np.where(innovative & (rng.random(n) < 0.04),
                                                           np.exp(rng.normal(np.log(1500), 1.0, n)), 0.0))),
        "prov_platforms": count(0.1, 0.0), "prov_awards": count(0.05, 0.0), "prov_projects": count(0.2, 0.01),
    }


def _money(x: np.ndarray | pl.Series) -> pl.Series:
    """万元 rounded to 2 decimals, as exact Decimal."""
    arr = np.round(np.asarray(x, dtype=np.float64), 2)
    return pl.Series(arr, nan_to_null=True).cast(pl.Decimal(38, 4))


def _zfill(values: np.ndarray, width: int) -> np.ndarray:
    """Zero-padded decimal strings (object array; works for empty input)."""
    return pl.Series(np.asarray(values, dtype=np.int64)).cast(pl.String).str.zfill(width).to_numpy().astype(object)


def _pick(rng, items: list[str], n: int) -> np.ndarray:
    return np.asarray(items, dtype=object)[rng.integers(0, len(items), n)]


def _districts(city_code: str) -> tuple[list[str], np.ndarray, dict[str, str]]:
    from ..regions import registry

    reg = registry()
    kids = [r for r in reg.children(city_code) if r.level in ("county", "zone")] or [reg.get(city_code)]
    codes = [r.code for r in kids]
    names = {r.code: r.short_name or r.name for r in kids}
    w = np.array([DISTRICT_WEIGHTS.get(c, 1.0 / len(codes)) for c in codes], dtype=float)
    return codes, w / w.sum(), names


def _products_and_scope(seed: int, ind_code: np.ndarray, block: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """主营产品 (one or two products of the firm's industry) and 经营范围, from their own random stream."""
    rng = np.random.default_rng([seed, 4754] if block == 0 else [seed, 4754, block])
    n = len(ind_code)
    products = np.empty(n, dtype=object)
    scope = np.empty(n, dtype=object)
    trade = np.where(rng.random(n) < 0.5, "；货物进出口；技术进出口", "")
    for code, (pool, words) in PRODUCTS.items():
        idx = np.flatnonzero(ind_code == code)
        if not len(idx):
            continue
        a = rng.integers(0, len(pool), len(idx))
        b = (a + rng.integers(1, len(pool), len(idx))) % len(pool)  # a different second product
        two = rng.random(len(idx)) < 0.6
        first, second = np.asarray(pool, dtype=object)[a], np.asarray(pool, dtype=object)[b]
        products[idx] = np.where(two, first + "、" + second, first)
        head = "【演示】" if words.startswith("许可项目") else "【演示】一般项目："
        scope[idx] = head + words + trade[idx] + SCOPE_TAIL
    return products, scope


class _Serials:
    """Running numbers of the document numbers (IP, certificates, projects …) across blocks."""

    def __init__(self) -> None:
        self.used: dict[str, int] = {}

    def take(self, name: str, m: int) -> int:
        """The first of ``m`` numbers for ``name``; the next call continues after them."""
        first = self.used.get(name, 0)
        self.used[name] = first + m
        return first


def generate(city_code: str, enterprises: int = 20000, seed: int = 2026,
             today: dt.date = dt.date(2026, 11, 25), block: int | None = None) -> dict[str, pl.DataFrame]:
    """Typed frames per kind (fields + key), not yet stored: all blocks of ``generate_blocks`` at once."""
    parts: dict[str, list[pl.DataFrame]] = {}
    for frames in generate_blocks(city_code, enterprises, seed, today, block=block):
        for kid, frame in frames.items():
            parts.setdefault(kid, []).append(frame)
    return {kid: pl.concat(fs) for kid, fs in parts.items()}


def generate_blocks(city_code: str, enterprises: int = 20000, seed: int = 2026,
                    today: dt.date = dt.date(2026, 11, 25), block: int | None = None
                    ) -> Iterator[dict[str, pl.DataFrame]]:
    """Typed frames per kind for each block of ``block`` enterprises (BLOCK by default) and the records
    that belong to them, block after block: memory holds one block, whatever the city's size.

    Each block draws from its own random stream (seed, block number), and the running numbers of
    document numbers continue from block to block, so the records depend on the seed and the block
    size only, not on how they are written. Block 0 draws from the seed alone: a city up to one block
    is the same as before blocks existed. City-wide records (carriers) come with block 0."""
    block = block or BLOCK
    codes, weights, dnames = _districts(city_code)
    serials = _Serials()
    for b, start in enumerate(range(0, int(enterprises), block)):
        yield _generate_block(city_code, min(block, int(enterprises) - start), seed, today, b, start,
                              codes, weights, dnames, serials)


def _generate_block(city_code, n, seed, today, b, start, codes, weights, dnames, serials):
    rng = np.random.default_rng(seed if b == 0 else [seed, b])
    region = np.asarray(codes, dtype=object)[rng.choice(len(codes), n, p=weights)]
    ind_idx = rng.choice(len(INDUSTRIES), n, p=np.array([i[3] for i in INDUSTRIES]) / sum(i[3] for i in INDUSTRIES))
    ind_code = np.array([INDUSTRIES[i][0] for i in range(len(INDUSTRIES))], dtype=object)[ind_idx]
    ind_word = np.array([i[1] for i in INDUSTRIES], dtype=object)[ind_idx]
    ind_domain = np.array([i[2] for i in INDUSTRIES], dtype=object)[ind_idx]
    service = np.array([i[4] for i in INDUSTRIES])[ind_idx]
    hitech_ind = ind_domain != None  # noqa: E711 - numpy object comparison

    # identity
    y_last = today.year - 1
    age = np.floor(rng.exponential(9.0, n)).astype(int)
    reg_year = np.clip(today.year - 1 - age + rng.integers(0, 2, n), 1993, today.year)
    reg_date = _year_dates(rng, reg_year, today)
    reg_year = reg_date.astype("datetime64[Y]").astype(int) + 1970
    serial = rng.permutation(n) + 31 ** 3 + start
    alphabet = np.array(list("0123456789ABCDEFGHJKLMNPQRTUWXY"))
    body = np.full(n, "", dtype=object)
    s = serial.copy()
    for _ in range(7):
        body = alphabet[s % 31].astype(object) + body
        s //= 31
    region6 = np.array([c[:6] for c in region], dtype=object)
    first17 = pl.Series("f", "91" + region6 + "MD" + body, dtype=pl.String)
    uscc = pl.DataFrame({"f": first17}).select(pl.col("f") + check_char_expr(pl.col("f"))).to_series()

    w1, w2 = _pick(rng, WORDS, n), _pick(rng, WORDS, n)
    dname = np.array([dnames[c] for c in region], dtype=object)
    suffix = np.where(service, "科技有限公司", np.where(rng.random(n) < 0.5, "科技有限公司", "股份有限公司"))
    name = "【演示】" + dname + w1 + w2 + ind_word + suffix.astype(object)

    # size and economics of the last fiscal year
    size = rng.choice(4, n, p=SIZE_P)
    lo = np.array([SIZE_EMP[k][0] for k in size]); hi = np.array([SIZE_EMP[k][1] for k in size])
    emp1 = np.round(np.exp(rng.uniform(np.log(lo), np.log(hi)))).astype(int)
    rpe = np.exp(rng.normal(np.log(50), 0.6, n)) * np.where(service, 0.6, 1.0)
    rev1 = np.maximum(emp1 * rpe, 10.0)
    innovative = rng.random(n) < np.where(hitech_ind, 0.45, 0.10)
    rd_int = np.where(innovative, np.clip(np.exp(rng.normal(np.log(0.045), 0.45, n)), 0.005, 0.25),
                      np.where(rng.random(n) < 0.6, 0.0, np.clip(np.exp(rng.normal(np.log(0.008), 0.6, n)), 0.003, 0.03)))
    tech_ratio = np.where(innovative, rng.uniform(0.10, 0.45, n), rng.uniform(0.01, 0.12, n))
    hitech_share = np.where(innovative, rng.uniform(0.5, 0.95, n), rng.uniform(0.0, 0.3, n))
    fast = innovative & (rng.random(n) < 0.08)
    growth = np.where(fast, rng.normal(0.35, 0.10, n), rng.normal(0.08, 0.15, n)).clip(-0.3, 1.0)

    # four fiscal years of history
    years = np.arange(y_last, y_last - 4, -1)
    rows = []
    rng_points = np.random.default_rng([seed, 15] if b == 0 else [seed, 15, b])  # 创新积分 inputs: a stream of their own
    for k, y in enumerate(years):
        factor = (1 + growth) ** k
        g_noise = np.exp(rng.normal(0, 0.05, n))
        rev = rev1 / factor * g_noise
        emp = np.maximum(np.round(emp1 / (1 + growth / 2) ** k), 1).astype(int)
        tech = np.floor(emp * tech_ratio).astype(int)
        rd_staff = np.floor(tech * rng.uniform(0.5, 0.9, n)).astype(int)
        rd = rev * rd_int * np.exp(rng.normal(0, 0.1, n))
        total_income = rev * rng.uniform(1.0, 1.05, n)
        assets = rev * rng.uniform(0.6, 1.5, n)
        liab = assets * rng.uniform(0.2, 0.7, n)
        cost = rev * rng.uniform(0.80, 1.02, n)
        keep = reg_year <= y
        rows.append(pl.DataFrame({
            "uscc": uscc, "year": np.full(n, y), "name": name.astype(str), "region_code": region.astype(str),
            "employees": emp, "tech_staff": tech, "rd_staff": rd_staff,
            "revenue": _money(rev), "main_revenue": _money(rev * rng.uniform(0.85, 1.0, n)),
            "total_income": _money(total_income), "hitech_revenue": _money(total_income * hitech_share),
            "rd_expense": _money(rd), "rd_domestic": _money(rd * rng.uniform(0.9, 1.0, n)),
            "sci_expense": _money(rd * rng.uniform(1.0, 1.2, n)), "total_cost": _money(cost),
            "net_profit": _money(rev - cost), "net_assets": _money(assets - liab),
            "total_assets": _money(assets), "total_liabilities": _money(liab),
            "conversions": np.where(innovative, rng.poisson(1.2, n), 0),
            "equity_financing": _money(np.where(innovative & (rng.random(n) < 0.05),
                                                np.exp(rng.normal(np.log(2000), 1.0, n)), 0.0)),
            "niche_years": np.where(innovative, np.maximum(y - reg_year, 0), -1),
            "digital_level": rng.integers(1, 7, n),
            "rd_institution_level": np.where(innovative, rng.choice(
                ["below", "municipal", "provincial", "national"], n, p=[0.4, 0.35, 0.22, 0.03]), "none"),
            "major_incident": rng.random(n) < 0.002, "dishonest_list": rng.random(n) < 0.01,
            "standard_led": innovative & (rng.random(n) < 0.03),
            **_points_inputs(rng_points, n, innovative, emp, rd),
        }).filter(pl.Series(keep)))
    ey = pl.concat(rows, how="diagonal_relaxed")
    ey = ey.with_columns(pl.when(pl.col("niche_years") >= 0).then(pl.col("niche_years")).cast(pl.Int64)
                         .alias("niche_years"))

    # valuations for a few fast growers (unicorn programs)
    products, scope = _products_and_scope(seed, ind_code, b)
    val = np.where(fast & (rng.random(n) < 0.05), np.exp(rng.normal(np.log(1.5), 0.9, n)), np.nan)
    ent = pl.DataFrame({
        "uscc": uscc, "name": name.astype(str), "region_code": region.astype(str),
        "industry_code": ind_code.astype(str), "registered_on": pl.Series(reg_date).cast(pl.Date),
        "above_scale": (~service) & (rev1 >= 2000), "listed": (size == 3) & (rng.random(n) < 0.15),
        "hitech_domain": pl.Series(np.where(innovative, ind_domain, None).tolist(), dtype=pl.String),
        "strategic_emerging": innovative & hitech_ind & (rng.random(n) < 0.7),
        "restricted_industry": rng.random(n) < 0.005,
        "main_products": pl.Series(products.tolist(), dtype=pl.String),
        "business_scope": pl.Series(scope.tolist(), dtype=pl.String),
    }).with_columns(pl.col("hitech_domain").cast(pl.String))
    ey = ey.join(pl.DataFrame({"uscc": uscc, "v": val}).filter(pl.col("v").is_not_nan()), on="uscc",
                 how="left").with_columns(
        pl.when(pl.col("year") == y_last).then(pl.col("v").round(2)).cast(pl.Decimal(38, 4)).alias("valuation_usd_100m"),
        pl.when(pl.col("year") == y_last).then(pl.col("v").is_not_null()).alias("pe_backed"),
    ).drop("v")

    ip = _gen_ip(rng, uscc, name, region, innovative, rev1 * rd_int, service, reg_date, today, serials)
    cert = _gen_certs(rng, ent, ey, ip, innovative, growth, val, today, serials)
    talent = _gen_talents(rng, ent, innovative, codes, weights, n, today)
    carrier = _gen_carriers(rng, codes, dnames, today)
    if b:  # the city's carriers come once, with the first block
        carrier = carrier.clear()
    project = _gen_projects(rng, ent, n, today, serials)
    contract = _gen_contracts(rng, ent, innovative, n, today, serials)
    coop = _gen_cooperation(rng, ent, innovative, n, today, serials)
    out = {"enterprise": ent, "enterprise_year": ey, "ip": ip, "certification": cert, "talent": talent,
           "carrier": carrier, "project": project, "tech_contract": contract, "cooperation": coop}
    return {k: natural_key(get_kind(k), _conform(get_kind(k), f)) for k, f in out.items()}


def _conform(kind, frame: pl.DataFrame) -> pl.DataFrame:
    """Columns in kind order with the dtypes validation would produce."""
    cols = []
    for f in kind.fields:
        c = pl.col(f.id) if f.id in frame.columns else pl.lit(None)
        if f.is_decimal:
            c = c.cast(pl.Decimal(38, 4))
        elif f.type in ("int", "year"):
            c = c.cast(pl.Int64)
        elif f.type == "date":
            c = c.cast(pl.Date)
        elif f.type == "bool":
            c = c.cast(pl.Boolean)
        else:
            c = c.cast(pl.String)
        cols.append(c.alias(f.id))
    return frame.select(cols)


def _gen_ip(rng, uscc, name, region, innovative, rd1, service, reg_date, today, serials):
    n = len(uscc)
    lam = {
        "invention": np.where(innovative, np.minimum(0.8 + rd1 / 300, 40), 0.05),
        "utility": np.where(innovative, np.minimum(3 + rd1 / 100, 80), 0.4),
        "design": np.where(innovative, 0.5, 0.2),
        "software": np.where(service, np.where(innovative, 3.0, 0.3), np.where(innovative, 0.5, 0.05)),
    }
    lags = {"invention": (1.5, 3.5), "utility": (0.5, 1.2), "design": (0.3, 0.8), "software": (0.1, 0.5)}
    digit = {"invention": "1", "utility": "2", "design": "3", "software": "SR"}
    cls = {"invention": "I", "utility": "II", "design": "II", "software": "II"}
    things = ["电池组件", "逆变装置", "检测方法", "控制系统", "散热结构", "连接器", "制备方法", "传动机构"]
    parts = []
    for t, l in lam.items():
        cnt = rng.poisson(l)
        idx = np.repeat(np.arange(n), cnt)
        m = len(idx)
        applied = _dates(rng, dt.date(2012, 1, 1), reg_date[idx] + np.timedelta64(3650, "D"), m)
        applied = np.maximum(applied, reg_date[idx])
        applied = np.minimum(applied, np.datetime64(today, "D"))
        lag = (rng.uniform(*lags[t], m) * 365).astype(np.int64).astype("timedelta64[D]")
        granted = applied + lag
        pending = granted > np.datetime64(today, "D")
        lapsed = (~pending) & (rng.random(m) < 0.08)
        ayear = applied.astype("datetime64[Y]").astype(int) + 1970
        seq0 = serials.take("ip", m)
        seq = np.arange(seq0, seq0 + m)
        ip_no = pl.Series(ayear.astype(str)).to_numpy().astype(object)
        ip_no = "DEMO-" + ("CN" if t != "software" else "") + ip_no + digit[t] + _zfill(seq, 7)
        parts.append(pl.DataFrame({
            "ip_no": ip_no.astype(str), "uscc": uscc.gather(idx) if m else pl.Series([], dtype=pl.String),
            "name": name[idx].astype(str), "region_code": region[idx].astype(str),
            "title": ("【演示】一种" + _pick(rng, things, m)).astype(str) if m else np.array([], dtype=str),
            "ip_type": np.full(m, t), "ip_class": np.full(m, cls[t]),
            "status": np.where(pending, "pending", np.where(lapsed, "lapsed", "granted")),
            "applied_on": pl.Series(applied).cast(pl.Date),
            "granted_on": pl.Series(np.where(pending, np.datetime64("NaT"), granted)).cast(pl.Date),
            "self_developed": rng.random(m) < 0.9,
            "high_value": (rng.random(m) < 0.3) & (t == "invention"),
            "pct": (rng.random(m) < 0.05) & (t == "invention"),
            "main_product_related": rng.random(m) < 0.85,
        }))
    ip = pl.concat(parts, how="diagonal_relaxed")
    return ip.with_columns(pl.col("granted_on").dt.year().cast(pl.Int64).alias("year"))


def _cycles(rng, first: np.ndarray, renew_p: float, period: int, last_year: int) -> tuple[np.ndarray, np.ndarray]:
    """Expand first certification years into (row index, year) for every renewal."""
    idx_all, yr_all = [], []
    alive = np.ones(len(first), dtype=bool)
    y = first.copy()
    while True:
        ok = alive & (y <= last_year)
        if not ok.any():
            break
        idx_all.append(np.nonzero(ok)[0])
        yr_all.append(y[ok])
        alive = ok & (rng.random(len(first)) < renew_p)
        y = y + period
    if not idx_all:
        return np.array([], dtype=int), np.array([], dtype=int)
    return np.concatenate(idx_all), np.concatenate(yr_all)


def _cert_frame(ent, idx, years, ctype, level, issued, expires, prefix, region6, serials):
    m = len(idx)
    first = serials.take(f"{ctype}{years[0] if ctype in _YEARLY else ''}" if m else ctype, m)
    seq = _zfill(np.arange(first, first + m), 6)
    return pl.DataFrame({
        "uscc": ent.get_column("uscc").gather(idx), "name": ent.get_column("name").gather(idx),
        "region_code": ent.get_column("region_code").gather(idx),
        "cert_type": np.full(m, ctype), "level": np.full(m, level),
        "cert_no": ("DEMO-" + prefix + years.astype(str).astype(object) + region6[idx] + seq).astype(str),
        "issued_on": pl.Series(issued).cast(pl.Date), "expires_on": pl.Series(expires).cast(pl.Date),
        "year": years,
    })


def _plus_years(d: np.ndarray, k: int) -> np.ndarray:
    """date + k years − 1 day (Feb 29 → Feb 28)."""
    s = pl.Series(d).cast(pl.Date)
    return pl.select(s.dt.offset_by(f"{k}y") - pl.duration(days=1)).to_series().to_numpy()


_YEARLY = {"tech_sme", "gazelle", "potential_unicorn", "unicorn"}  # numbered per year of the list


def _gen_certs(rng, ent, ey, ip, innovative, growth, val, today, serials):
    n = ent.height
    last = today.year
    y1 = ey.filter(pl.col("year") == today.year - 1)
    base = ent.select("uscc").join(y1, on="uscc", how="left")
    rev = base.get_column("revenue").cast(pl.Float64).fill_null(0).to_numpy()
    rd = base.get_column("rd_expense").cast(pl.Float64).fill_null(0).to_numpy()
    rd_dom = base.get_column("rd_domestic").cast(pl.Float64).fill_null(0).to_numpy()
    emp = base.get_column("employees").fill_null(0).to_numpy()
    tech = base.get_column("tech_staff").fill_null(0).to_numpy()
    hit = base.get_column("hitech_revenue").cast(pl.Float64).fill_null(0).to_numpy()
    inc = base.get_column("total_income").cast(pl.Float64).fill_null(0).to_numpy()
    assets = base.get_column("total_assets").cast(pl.Float64).fill_null(0).to_numpy()
    granted = ip.filter(pl.col("status") == "granted").group_by("uscc").len()
    n_ip = ent.select("uscc").join(granted, on="uscc", how="left").get_column("len").fill_null(0).to_numpy()
    reg_year = ent.get_column("registered_on").dt.year().to_numpy()
    region6 = np.array([c[:6] for c in ent.get_column("region_code").to_list()], dtype=object)
    with np.errstate(divide="ignore", invalid="ignore"):
        rd_ratio = np.where(rev > 0, rd / rev, 0)
        need = np.where(rev <= 5000, 0.05, np.where(rev <= 20000, 0.04, 0.03))
        hnte_ok = ((rd_ratio >= need) & (emp > 0) & (tech / np.maximum(emp, 1) >= 0.10)
                   & (inc > 0) & (hit / np.maximum(inc, 1e-9) >= 0.60) & (n_ip >= 1)
                   & (rd_dom >= 0.6 * rd) & (reg_year <= last - 1))
    frames = []
    # 高新技术企业: 3-year cycles
    sel = hnte_ok & (rng.random(n) < 0.8)
    first = np.maximum(reg_year + 1 + rng.integers(0, 5, n), 2013 + rng.integers(0, 3, n))
    idx, yrs = _cycles(rng, np.where(sel, first, 9999), 0.85, 3, last)
    keep = yrs >= 2019
    idx, yrs = idx[keep], yrs[keep]
    issued = _year_dates(rng, yrs, today, 10, 12)
    issued = np.where(yrs == last, _year_dates(rng, yrs, today, 9, 11), issued)
    frames.append(_cert_frame(ent, idx, yrs, "hnte", "national", issued, _plus_years(issued, 3), "GR", region6, serials))
    # 科技型中小企业: yearly registration
    tsme_ok = innovative & (emp <= 500) & (rev <= 20000) & (assets <= 20000)
    for y in range(2021, last + 1):
        s = tsme_ok & (rng.random(n) < 0.8) & (reg_year <= y)
        idx = np.nonzero(s)[0]
        yrs = np.full(len(idx), y)
        issued = _year_dates(rng, yrs, today, 3, 10)
        expires = np.full(len(idx), np.datetime64(f"{y}-12-31", "D"))
        frames.append(_cert_frame(ent, idx, yrs, "tech_sme", "national", issued, expires, "TS", region6, serials))
    # 创新型中小企业 → 专精特新 → 小巨人
    sme = (emp < 1000) & (rev < 40000) & innovative & (rd_ratio >= 0.03)
    inno = sme & (rng.random(n) < 0.5)
    inno_first = np.maximum(2022, reg_year + 1) + rng.integers(0, 5, n)
    idx, yrs = _cycles(rng, np.where(inno, inno_first, 9999), 0.8, 3, last)
    issued = _year_dates(rng, yrs, today, 4, 10)
    frames.append(_cert_frame(ent, idx, yrs, "innovative_sme", "provincial", issued, _plus_years(issued, 3), "IS", region6, serials))
    srdi = inno & (rev >= 1000) & (rng.random(n) < 0.35)
    srdi_first = inno_first + rng.integers(0, 2, n)
    idx, yrs = _cycles(rng, np.where(srdi, srdi_first, 9999), 0.85, 3, last)
    issued = _year_dates(rng, yrs, today, 5, 11)
    frames.append(_cert_frame(ent, idx, yrs, "srdi_sme", "provincial", issued, _plus_years(issued, 3), "ZJ", region6, serials))
    giant = srdi & (rev >= 5000) & (rng.random(n) < 0.25)
    giant_first = srdi_first + 1 + rng.integers(0, 2, n)
    idx, yrs = _cycles(rng, np.where(giant, giant_first, 9999), 0.9, 3, last)
    issued = _year_dates(rng, yrs, today, 6, 9)
    frames.append(_cert_frame(ent, idx, yrs, "little_giant", "national", issued, _plus_years(issued, 3), "XJ", region6, serials))
    # 瞪羚: annual list for fast growers
    y4 = ey.filter(pl.col("year") == today.year - 4).select("uscc", pl.col("revenue").alias("r4"))
    r4 = ent.select("uscc").join(y4, on="uscc", how="left").get_column("r4").cast(pl.Float64).fill_null(0).to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        cagr = np.where(r4 > 0, (rev / np.maximum(r4, 1e-9)) ** (1 / 3) - 1, 0)
    gaz = (cagr >= 0.20) & (rev >= 1000) & (rd_ratio > 0.04)
    for y in range(2021, last + 1):
        s = gaz & (rng.random(n) < 0.5) & (reg_year <= y - 3)
        idx = np.nonzero(s)[0]
        yrs = np.full(len(idx), y)
        issued = _year_dates(rng, yrs, today, 7, 11)
        frames.append(_cert_frame(ent, idx, yrs, "gazelle", "provincial", issued, _plus_years(issued, 1), "DL", region6, serials))
    # (潜在)独角兽 by valuation (亿美元)
    v = np.nan_to_num(val, nan=0.0)
    for ctype, cond in (("potential_unicorn", (v >= 1) & (v <= 10)), ("unicorn", v > 10)):
        for y in range(max(2023, last - 2), last + 1):
            idx = np.nonzero(cond & (rng.random(n) < 0.7))[0]
            yrs = np.full(len(idx), y)
            issued = _year_dates(rng, yrs, today, 6, 10)
            frames.append(_cert_frame(ent, idx, yrs, ctype, "provincial", issued, _plus_years(issued, 1), "DJ", region6, serials))
    return pl.concat(frames, how="diagonal_relaxed")


# applications not selected per selection (national programs are the most selective)
TALENT_REJECTED = {"national_key": 3.0, "js_innovation": 2.0, "js_other": 1.5, "city_program": 1.0,
                   "district_program": 0.5}
TALENT_INTAKE = {"graduate": "graduate", "doctor": "doctor", "high_level": "high_level",
                 "national_key": "high_level", "js_innovation": "high_level", "js_other": "high_level",
                 "city_program": "high_level"}


def _gen_talents(rng, ent, innovative, codes, weights, n, today):
    """Applications and their results on the same rows: selected ⊂ applied; in the current year the
    results of part of the applications are not yet announced. Intake programs (大学生, 博士,
    高层次人才) have no application stage."""
    scale = n / 20000
    means = {"national_key": (12, "national"), "js_innovation": (40, "provincial"),
             "js_other": (30, "provincial"), "city_program": (200, "municipal"),
             "district_program": (250, "district"), "doctor": (150, "municipal"),
             "high_level": (80, "municipal"), "graduate": (2000, "district")}
    inno_idx = np.nonzero(innovative)[0]
    if len(inno_idx) == 0:
        inno_idx = np.arange(n)
    all_idx = np.arange(n)
    frac = today.timetuple().tm_yday / 366
    parts = []
    for y in range(today.year - 5, today.year + 1):
        for prog, (mean, level) in means.items():
            grow = mean * scale * (1.05 ** (y - today.year + 5))
            sel = rng.poisson(grow)
            rej = rng.poisson(grow * TALENT_REJECTED.get(prog, 0.0))
            pend = 0
            if y == today.year:  # results announced through the year: the rest still pending
                sel, rej = int(sel * frac), int(rej * frac)
                if prog in TALENT_REJECTED:
                    pend = rng.poisson(grow * (1 + TALENT_REJECTED[prog]) * (1 - frac))
            m = sel + rej + pend
            if m == 0:
                continue
            pool = all_idx if prog == "graduate" else inno_idx
            emp = pool[rng.integers(0, len(pool), m)]
            yrs = np.full(m, y)
            stage = np.array(["selected"] * sel + ["rejected"] * rej + ["applied"] * pend, dtype=object)
            if prog not in TALENT_REJECTED:
                applied = pl.Series([None] * m, dtype=pl.Date)
            else:
                applied = pl.Series(_year_dates(rng, yrs, today, 1, 3)).cast(pl.Date)
            result = pl.Series(_year_dates(rng, yrs, today, 4, 12)).cast(pl.Date)
            result = pl.select(pl.when(pl.Series(stage) == "applied").then(None).otherwise(
                pl.max_horizontal(result, applied))).to_series()
            person = "演示·" + _pick(rng, SURNAMES, m) + _pick(rng, GIVEN, m) + _pick(rng, GIVEN, m) + \
                _zfill(rng.integers(0, 10000, m), 4)
            if prog == "graduate":
                degree = rng.choice(["bachelor", "master"], m, p=[.7, .3])
                category = np.full(m, "youth")
            else:
                degree = np.where(prog == "doctor", "doctor", rng.choice(["doctor", "master", "bachelor"], m, p=[.6, .3, .1]))
                category = rng.choice(["innovation", "entrepreneurship", "team", "youth"], m, p=[.5, .3, .1, .1])
            base = {"national": 300.0, "provincial": 100.0}.get(level, 30.0 if prog != "graduate" else np.nan)
            parts.append(pl.DataFrame({
                "person_name": person.astype(str), "program": np.full(m, prog), "level": np.full(m, level),
                "year": yrs, "stage": stage, "applied_on": applied, "selected_on": result,
                "employer": ent.get_column("name").gather(emp), "uscc": ent.get_column("uscc").gather(emp),
                "region_code": ent.get_column("region_code").gather(emp),
                "category": category, "degree": degree, "intake": np.full(m, TALENT_INTAKE.get(prog)),
                "funding": _money(np.where(stage == "selected", base, np.nan)),
            }))
    return pl.concat(parts, how="diagonal_relaxed").unique(["program", "year", "person_name", "employer"],
                                                            keep="first", maintain_order=True)


CARRIER_TYPES = {  # type: (mean per district, area range m², label)
    "maker_space": (6, (1000, 10000), "众创空间"), "incubator": (4, (5000, 80000), "科技企业孵化器"),
    "accelerator": (1, (10000, 100000), "科技企业加速器"), "tech_park": (2, (30000, 500000), "科技企业园区"),
    "new_rd_institution": (3, (1000, 20000), "新型研发机构"), "sci_enclave": (0.6, (500, 5000), "科创飞地"),
    "talent_enclave": (0.6, (300, 3000), "人才飞地"),
}


def _gen_carriers(rng, codes, dnames, today):
    rows = []
    k = 0
    for code in codes:
        for ctype, (mean, (a0, a1), label) in CARRIER_TYPES.items():
            for _ in range(rng.poisson(mean)):
                k += 1
                rec = _dates(rng, dt.date(2012, 1, 1), today, 1)[0]
                area = float(np.round(_log_uniform(rng, a0, a1, 1)[0]))
                rows.append({
                    "carrier_name": f"【演示】{dnames[code]}{WORDS[k % len(WORDS)]}{label}{k:03d}",
                    "carrier_type": ctype,
                    "level": str(rng.choice(["national", "provincial", "municipal", "district"], p=[.1, .3, .35, .25])),
                    "region_code": code, "operator": f"【演示】{dnames[code]}科创发展有限公司",
                    "area_m2": area, "tenants": int(area // rng.integers(300, 900)),
                    "recognized_on": rec.astype(dt.date),
                    "location": str(rng.choice(["上海市", "南京市", "苏州市", "深圳市"])) if "enclave" in ctype else None,
                })
    f = pl.DataFrame(rows, infer_schema_length=None)
    return f.with_columns(pl.col("recognized_on").dt.year().cast(pl.Int64).alias("year"),
                          pl.col("area_m2").cast(pl.Decimal(38, 4)))


def _gen_projects(rng, ent, n, today, serials):
    m = int(n * 0.15)
    first = serials.take("project", m)
    types = ["major", "smart_digital", "tech_renovation", "conversion", "sci_plan"]
    t = rng.choice(types, m, p=[.15, .35, .30, .12, .08])
    median = {"major": 50000, "smart_digital": 1500, "tech_renovation": 8000, "conversion": 800, "sci_plan": 200}
    clip = {"major": (10000, 800000), "smart_digital": (100, 20000), "tech_renovation": (500, 200000),
            "conversion": (50, 10000), "sci_plan": (20, 3000)}
    med = np.array([median[x] for x in t], dtype=float)
    inv = np.exp(rng.normal(np.log(med), 0.9))
    inv = np.clip(inv, [clip[x][0] for x in t], [clip[x][1] for x in t])
    start = _dates(rng, dt.date(today.year - 5, 1, 1), today, m)
    syear = start.astype("datetime64[Y]").astype(int) + 1970
    end = start + (rng.uniform(0.5, 3.0, m) * 365).astype(np.int64).astype("timedelta64[D]")
    done = end <= np.datetime64(today, "D")
    status = np.where(done, np.where(rng.random(m) < 0.5, "completed", "accepted"),
                      np.where(rng.random(m) < 0.9, "started", "signed"))
    status = np.where(rng.random(m) < 0.02, "stopped", status)
    who = rng.integers(0, n, m)
    funding = np.where(np.isin(t, ["sci_plan", "conversion"]), inv * rng.uniform(0.05, 0.3, m), np.nan)
    # 完成投资: this year's share of the planned investment, spread evenly over the construction period,
    # up to the report date (the last day of the previous month, or the completion date)
    t_now = np.datetime64(today, "D")
    jan1 = np.datetime64(dt.date(today.year, 1, 1), "D")
    report = np.minimum(end, np.maximum(t_now.astype("datetime64[M]").astype("datetime64[D]") - np.timedelta64(1, "D"), jan1))
    span = np.maximum((end - start).astype(np.int64), 1)
    this_year = np.maximum((report - np.maximum(start, jan1)).astype(np.int64), 0)
    active = (status != "stopped") & (status != "signed") & (end >= jan1) & (start <= report)
    done_inv = np.where(active, inv * np.minimum(this_year / span, 1.0) * rng.uniform(0.8, 1.0, m), np.nan)
    reported = pl.Series(np.where(active, report, np.datetime64("NaT"))).cast(pl.Date)
    label = {"major": "重大产业项目", "smart_digital": "智能化改造数字化转型项目", "tech_renovation": "技术改造项目",
             "conversion": "科技成果转化项目", "sci_plan": "科技计划项目"}
    return pl.DataFrame({
        "project_no": [f"DEMO-XM{y}{i:06d}" for i, y in enumerate(syear, first)],
        "project_name": ("【演示】" + _pick(rng, TOPICS, m) + np.array([label[x] for x in t], dtype=object)).astype(str),
        "project_type": t, "uscc": ent.get_column("uscc").gather(who), "name": ent.get_column("name").gather(who),
        "region_code": ent.get_column("region_code").gather(who),
        "investment": _money(inv), "funding": _money(funding),
        "completed_investment": _money(done_inv), "investment_reported_on": reported,
        "status": status, "start_on": pl.Series(start).cast(pl.Date), "end_on": pl.Series(end).cast(pl.Date),
        "year": syear,
    })


def _gen_contracts(rng, ent, innovative, n, today, serials):
    m = int(n * 0.75)
    first = serials.take("contract", m)
    pool = np.nonzero(innovative)[0]
    pool = pool if len(pool) else np.arange(n)
    who = np.where(rng.random(m) < 0.8, pool[rng.integers(0, len(pool), m)], rng.integers(0, n, m))
    # more contracts in recent years
    span = np.arange(today.year - 5, today.year + 1)
    wy = 1.15 ** np.arange(6.0)
    wy[-1] *= today.timetuple().tm_yday / 366
    yrs = rng.choice(span, m, p=wy / wy.sum())
    reg = _year_dates(rng, yrs, today)
    signed = reg - rng.integers(5, 60, m).astype("timedelta64[D]")
    amount = np.clip(np.exp(rng.normal(np.log(60), 1.2, m)), 1, 50000)
    role = np.where(rng.random(m) < 0.85, "seller", "buyer")
    own = np.array([c[:6] for c in ent.get_column("region_code").gather(who).to_list()], dtype=object)
    own = np.where(np.char.isdigit(own.astype(str)), own, "320900")
    other = rng.choice(["320100", "320500", "310000", "320200", "440300", "110000", "330100", "320900"], m)
    return pl.DataFrame({
        "contract_no": [f"DEMO-JS{y}{i:07d}" for i, y in enumerate(yrs, first)],
        "contract_name": ("【演示】" + _pick(rng, TOPICS, m) + "技术" + rng.choice(["开发", "服务", "转让", "咨询"], m).astype(object)).astype(str),
        "contract_type": rng.choice(["development", "service", "transfer", "license", "consulting"], m, p=[.45, .35, .1, .04, .06]),
        "role": role, "uscc": ent.get_column("uscc").gather(who), "name": ent.get_column("name").gather(who),
        "region_code": ent.get_column("region_code").gather(who),
        "counterparty": _pick(rng, INSTITUTIONS, m).astype(str),
        "seller_region": np.where(role == "seller", own, other).astype(str),
        "buyer_region": np.where(role == "seller", other, own).astype(str),
        "amount": _money(amount), "tech_amount": _money(amount * rng.uniform(0.6, 1.0, m)),
        "signed_on": pl.Series(signed).cast(pl.Date), "registered_on": pl.Series(reg).cast(pl.Date), "year": yrs,
    })


def _gen_cooperation(rng, ent, innovative, n, today, serials):
    m = int(n * 0.2)
    first = serials.take("cooperation", m)
    pool = np.nonzero(innovative)[0]
    pool = pool if len(pool) else np.arange(n)
    who = pool[rng.integers(0, len(pool), m)]
    signed = _dates(rng, dt.date(today.year - 5, 1, 1), today, m)
    end = signed + (rng.uniform(1, 3, m) * 365).astype(np.int64).astype("timedelta64[D]")
    status = np.where(end <= np.datetime64(today, "D"), "completed", "ongoing")
    status = np.where(rng.random(m) < 0.03, "terminated", status)
    yrs = signed.astype("datetime64[Y]").astype(int) + 1970
    return pl.DataFrame({
        "coop_no": [f"DEMO-CXY{y}{i:06d}" for i, y in enumerate(yrs, first)],
        "uscc": ent.get_column("uscc").gather(who), "name": ent.get_column("name").gather(who),
        "region_code": ent.get_column("region_code").gather(who),
        "institution": _pick(rng, INSTITUTIONS, m).astype(str),
        "topic": ("【演示】" + _pick(rng, TOPICS, m) + "合作研究").astype(str),
        "coop_type": rng.choice(["commissioned", "joint_rd", "platform", "transfer", "talent"], m, p=[.3, .35, .15, .1, .1]),
        "amount": _money(np.clip(np.exp(rng.normal(np.log(50), 1.0, m)), 2, 5000)),
        "signed_on": pl.Series(signed).cast(pl.Date), "start_on": pl.Series(signed).cast(pl.Date),
        "end_on": pl.Series(end).cast(pl.Date), "year": yrs, "status": status,
    })


def delete_demo(conn, region_codes: set[str] | None = None) -> int:
    """Remove synthetic records (keys starting DEMO-, enterprises named 【演示】 and their records)."""
    T = store.T
    demo_usccs = sa.select(T.c.key).where(T.c.kind == "enterprise",
                                          T.c.data["name"].as_string().like("【演示】%"))
    cond = sa.or_(T.c.key.like("DEMO-%"), T.c.uscc.in_(demo_usccs),
                  sa.and_(T.c.kind == "carrier", T.c.key.like("【演示】%")),
                  sa.and_(T.c.kind == "talent", T.c.key.like("%|演示·%")))
    q = sa.delete(T).where(cond)
    if region_codes is not None:
        q = q.where(T.c.region_code.in_(sorted(region_codes)))
    return conn.execute(q).rowcount or 0


def generate_city(engine: Engine, city_code: str, *, enterprises: int = 20000, seed: int = 2026,
                  today: dt.date = dt.date(2026, 11, 25), replace: bool = True,
                  progress: Callable[[str, int, int], None] | None = None,
                  block: int | None = None, chunk: int = 25000) -> dict[str, int]:
    """Generate and store the demo ledgers in one transaction (all or nothing); returns record
    counts per kind. ``progress(label, enterprises done, enterprises in all)``.

    Streams: block after block (``generate_blocks``), each kind's records encoded and written
    ``chunk`` rows at a time (COPY on PostgreSQL); memory holds one block. On PostgreSQL, when the
    records outnumber what the table holds, the secondary indexes are built once at the end, inside
    the same transaction; SQLite keeps its indexes and writes through a rollback journal with a large
    page cache for the load (``store.bulk_load``), so each page is written once and none read back:
    a province-size city (1,000,000 enterprises, about 12 million records) loads in minutes, and
    the records are the same whatever ``chunk`` is."""
    step = progress or (lambda *_: None)
    n = int(enterprises)
    counts: dict[str, int] = {}
    with store.bulk_load(engine) as conn, conn.begin():
        if replace:
            step("删除旧的演示数据", 0, n)
            delete_demo(conn)
        old = {} if replace else {kid: store.existing(conn, kid).select("key") for kid in DEMO_KINDS}
        now = dt.datetime.now(dt.timezone.utc)
        done = 0
        # PostgreSQL builds the secondary indexes faster after the rows than row by row. SQLite keeps
        # them: a block's keys and USCCs fall in a few narrow ranges of each index (serials are
        # contiguous per block), so the inserts stay within cached pages, while building each index
        # afterwards would read the whole table again (four times 12 GB at 1,000,000 enterprises).
        deferred = n * RECORDS_PER_ENTERPRISE if conn.dialect.name == "postgresql" else 0
        with store.indexes_deferred(conn, deferred):
            for frames in generate_blocks(city_code, n, seed, today, block=block):
                size = frames["enterprise"].height
                for kid, frame in frames.items():
                    if kid in old and old[kid].height:
                        frame = frame.join(old[kid], on="key", how="anti")
                    label = f"写入{get_kind(kid).name}"
                    store.insert_typed(conn, kid, frame, now, chunk=chunk,
                                       progress=lambda i, t, label=label, base=done, size=size:
                                       step(label, base + size * i // max(t, 1), n))
                    counts[kid] = counts.get(kid, 0) + frames[kid].height
                done += size
                step("生成数据", done, n)
            step("建立索引", n, n)
        store.insert_audit(conn, [{"at": now, "username": "demo", "action": "demo-data", "entity": "ledgers",
                                   "entity_id": city_code, "region_code": city_code, "before": None,
                                   "after": counts | {"seed": seed}}])
    step("完成", n, n)
    return counts


DEMO_KINDS = ("enterprise", "enterprise_year", "ip", "certification", "talent", "carrier", "project",
              "tech_contract", "cooperation")
RECORDS_PER_ENTERPRISE = 12  # about: 4 years, 3 IP, 1.5 certificates, 1 contract, …
