"""Evaluate programs on Apache Spark: the same plans as the Polars engine, as Spark columns.

Each program version's plan is built by ``engine.build_plan`` with the Spark column API
swapped in (``columns.using``); the stages, gap candidates, results and flips become
``withColumns`` steps on a Spark DataFrame with the same column names as the Polars frame.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass

from pyspark import SparkContext
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from .. import engine as PE
from ..columns import using
from ..fields import column_for, fields
from ..model import programs_by_id, version_windows
from . import columns as SC

DEFAULT_MASTER = "local[2]"
LOCAL_MEMORY = "4g"  # the driver's heap in local mode, where it is also the executor
# A plan's generated row loop is one large Java method; HotSpot leaves methods over 8,000 bytes
# of bytecode to the interpreter unless told otherwise, which makes Spark many times slower.
# Only the quick first JIT tier: the optimising one spends more CPU compiling every rule
# version's huge methods (tens of seconds each) than it saves while running them.
JVM_OPTIONS = "-XX:-DontCompileHugeMethods -XX:TieredStopAtLevel=1"
_SPARK_TYPES = {"num": "double", "date": "date", "bool": "boolean", "str": "string"}


def session(master: str | None = None, app_name: str = "kechuang") -> SparkSession:
    """The active Spark session, or a new one. Under ``spark-submit`` its master is used;
    otherwise ``master``, then ``SPARK_MASTER``, then local mode with two cores."""
    active = SparkSession.getActiveSession()
    if active is not None and master is None:
        return active
    b = SparkSession.builder.appName(app_name)
    submitted = "PYSPARK_GATEWAY_PORT" in os.environ  # started by spark-submit
    m = master or os.environ.get("SPARK_MASTER") or (None if submitted else DEFAULT_MASTER)
    if m:
        b = b.master(m)
    if m and m.startswith("local"):
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
        b = b.config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "8")
        if SparkContext._active_spark_context is None:  # the JVM starts here: its options apply
            b = b.config("spark.driver.extraJavaOptions", JVM_OPTIONS)
            # Spark's 1 GB default heap runs out on the pooled programs' windows (ranks within a
            # stage buffer a whole stage) at about ten million rows; SPARK_DRIVER_MEMORY overrides
            b = b.config("spark.driver.memory", os.environ.get("SPARK_DRIVER_MEMORY", LOCAL_MEMORY))
    s = b.getOrCreate()
    # the compiled columns rely on null (not an error) for an impossible cast
    s.conf.set("spark.sql.ansi.enabled", "false")
    return s


def read(spark: SparkSession, path: str | None = None, table: str | None = None) -> DataFrame:
    """Profiles from a CSV or Parquet file (or directory) or a Spark table; Chinese column
    labels are accepted as in the Polars reader."""
    from pyspark.errors import AnalysisException

    where = f"表“{table}”" if table else f"文件“{path}”"
    kind = str(path).lower().rstrip("/").rsplit(".", 1)[-1] if path else ""
    if path and kind not in ("csv", "parquet", "pq") and "." in str(path).rsplit("/", 1)[-1]:
        raise ValueError(f"Spark 引擎读取 CSV 或 Parquet 文件（或 Spark 表），{where}不是这两种格式")
    try:
        if table:
            df = spark.table(table)
        elif kind == "csv":
            df = spark.read.option("header", True).option("encoding", "UTF-8").csv(str(path))
        else:
            df = spark.read.parquet(str(path))
    except AnalysisException as exc:
        raise ValueError(f"Spark 无法读取{where}：{str(exc).splitlines()[0]}") from None
    if "uscc" not in df.columns and not any(column_for(c) == "uscc" for c in df.columns):
        raise ValueError(f"{where}缺少“统一社会信用代码”（uscc）列")
    renames = {}
    for c in df.columns:
        fid = column_for(c)
        if fid and fid != c and fid not in df.columns:
            renames[c] = fid
    return df.withColumnsRenamed(renames) if renames else df


def prepare(df: DataFrame, needed: set[str]) -> DataFrame:
    """Absent columns as null (missing, never zero); others cast to the engine's types."""
    types = dict(df.dtypes)
    cols = {}
    for fid in sorted(needed | {"uscc", "application_on"}):
        f = fields().get(fid)
        if f is None:
            continue
        want = _SPARK_TYPES[f.kind]
        if fid not in types:
            cols[fid] = F.lit(None).cast(want)
        elif types[fid] != want:
            cols[fid] = F.col(f"`{fid}`").cast(want)
    return df.withColumns(cols) if cols else df


@dataclass
class SparkResult:
    """Evaluation of one program on Spark: one DataFrame per rule version applied."""

    program: str
    parts: list[tuple[PE.Plan, DataFrame]]

    def summary(self) -> DataFrame | None:
        """uscc, program, version, result, score, score_min, score_max, close (as Polars)."""
        out = None
        for _, df in self.parts:
            code = F.col("result_code")
            result = F.when(code.isNull(), None)
            for k, name in PE.CODE_NAMES.items():
                result = result.when(code == k, name)
            cols = [F.col("uscc"), F.col("program"), F.col("version"), result.alias("result")]
            for k in ("score", "score_min", "score_max"):
                cols.append(F.col(k).cast("double") if k in df.columns else F.lit(None).cast("double").alias(k))
            cols.append(F.col("close"))
            part = df.select(cols)
            out = part if out is None else out.unionByName(part)
        return out

    def to_polars(self) -> PE.Result:
        """Collect to the Polars engine's result (the same plans, the same columns)."""
        import polars as pl

        types = {"double": pl.Float64, "string": pl.String, "date": pl.Date, "boolean": pl.Boolean,
                 "tinyint": pl.Int8, "int": pl.Int32, "bigint": pl.Int64, "void": pl.Null}
        parts = []
        for plan, df in self.parts:
            schema = {name: types[t] for name, t in df.dtypes}
            parts.append((plan, pl.DataFrame([tuple(r) for r in df.collect()], schema=schema, orient="row")))
        return PE.Result(self.program, parts)


def _with_stages(q: DataFrame, stages: list[list[SC.Expr]], build: SC.Build, final: list[str]) -> DataFrame:
    """Add each stage's columns, after the hidden columns they use (level by level), then keep
    ``final`` (SQL select items). The steps are nested queries of one SQL statement: the
    expressions travel to the JVM as text in one call and are analysed together, once. A step carries only the
    columns a later step or ``final`` reads: the plan is smaller to analyse and its rows narrower,
    and more steps stay within ``spark.sql.codegen.maxFields`` (wider ones get no whole-stage code)."""
    aux = {name: (sql, deps) for name, sql, deps in build.aux}
    level: dict[str, int] = {}
    for name, (_, deps) in aux.items():  # creation order is a topological order
        level[name] = 1 + max((level[d] for d in deps if d != name), default=-1)
    steps: list[dict[str, str]] = []
    done: set[str] = set()
    for stage in stages:
        if not stage:
            continue
        todo = sorted({a for e in stage for a in e.aux} - done, key=lambda a: (level[a], int(a.split(".")[1])))
        for L in sorted({level[a] for a in todo}):
            steps.append({a: aux[a][0] for a in todo if level[a] == L})
        done.update(todo)
        steps.append({e.name: e.sql for e in stage})
    last: dict[str, int] = {}  # the last step that reads a column (final: one past the steps)
    for i, step in enumerate(steps):
        for sql in step.values():
            last.update(dict.fromkeys(SC.refs(sql), i))
    last.update(dict.fromkeys(SC.refs(", ".join(final)), len(steps)))
    def text(items: list[str]) -> str:  # braces doubled: ``spark.sql`` formats the text
        return ", ".join(items).replace("{", "{{").replace("}", "}}")

    columns = list(q.columns)
    sql = "{src}"
    for i, step in enumerate(steps):
        kept = [c for c in columns if c not in step and last.get(c, -1) > i]  # a new column replaces an old one
        new = [n for n in step if last.get(n, -1) > i]
        if not new:  # nothing read later: the next step drops what this one would have
            continue
        columns = kept + new
        sql = f"(SELECT {text([*map(SC.quote, kept), *(f'{step[n]} AS {SC.quote(n)}' for n in new)])} FROM {sql} AS s{i})"
    return q.sparkSession.sql(f"SELECT {text(final)} FROM {sql} AS s", src=q)


def evaluate(df: DataFrame, programs: str | list[str] | None = "all", as_of: dt.date | None = None, *,
             gaps: bool = True, flips: bool = True, keep: tuple[str, ...] = ("uscc",),
             with_inputs: bool = False) -> dict[str, SparkResult]:
    """Like ``engine.evaluate`` on a Spark DataFrame; nothing runs until a result is used."""
    as_of = as_of or dt.date.today()
    ids = PE.program_ids(programs)
    needed, keep = PE.fields_needed(ids, keep, with_inputs)
    given = "application_on" in df.columns
    sdf = prepare(df, needed)
    app = F.coalesce(F.col("application_on"), F.lit(as_of))
    # without application dates every row is evaluated as of ``as_of``: no pass over the data
    lo, hi = sdf.agg(F.min(app), F.max(app)).first() if given else (as_of, as_of)
    out: dict[str, SparkResult] = {pid: SparkResult(pid, []) for pid in ids}
    for pid in ids:
        for p, start, end in version_windows(programs_by_id()[pid]):
            if lo is not None and (hi < start or (end is not None and lo > end)):
                continue
            whole = lo is not None and lo >= start and (end is None or hi <= end)
            sub = sdf if whole else sdf.filter((app >= F.lit(start)) & (app <= F.lit(end) if end else F.lit(True)))
            if p.regions:  # a zone's program: only the enterprises of the zone
                inside = F.lit(False)
                for r in p.regions:
                    inside = inside | F.coalesce(F.col("region_code").startswith(r), F.lit(False))
                sub = sub.filter(inside)
            with using(SC), SC.building() as build:
                plan = PE.build_plan(p, as_of, gaps=gaps, flips=flips)
                close = PE.close_expr(plan)
            names = list(keep) + plan.keep_extra + [e.name for e in plan.exprs + plan.post] + ["close"]
            final = [SC.quote(n) for n in names] + [f"{SC.sql_value(p.id)} AS program",
                                                    f"{SC.sql_value(p.version)} AS version"]
            q = _with_stages(sub, [*plan.stages, plan.pre, plan.exprs, plan.post, [close]], build, final)
            out[pid].parts.append((plan, q))
    return out
