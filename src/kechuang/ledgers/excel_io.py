"""Read ledger files (.xlsx/.xls/.csv in UTF-8 or GBK) into string frames that remember where
each value came from (sheet, Excel row), and write exports and empty templates.

Reading: calamine (fastexcel) for the cells; the .xlsx zip itself for sheet visibility, merged
cells and the row where the used range starts (calamine trims leading empty rows).
"""

from __future__ import annotations

import io
import re
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import polars as pl

from .kinds import Kind, normalize_header

HEADER_SEARCH_ROWS = 10
ROW_COL = "_row"
SHEET_COL = "_sheet"


@dataclass
class Problem:
    """One problem found in an input file (all texts in Chinese)."""

    file: str
    sheet: str | None
    row: int | None
    column: str | None
    value: Any
    reason: str

    def text(self) -> str:
        parts = [f"文件“{self.file}”"]
        if self.sheet:
            parts.append(f"工作表“{self.sheet}”")
        if self.row:
            parts.append(f"第{self.row}行")
        if self.column:
            parts.append(f"列“{self.column}”")
        where = "，".join(parts)
        value = "" if self.value is None or self.value == "" else f"，值“{self.value}”"
        return f"{where}{value}：{self.reason}"

    def as_dict(self) -> dict[str, Any]:
        return {"file": self.file, "sheet": self.sheet, "row": self.row, "column": self.column,
                "value": None if self.value is None else str(self.value), "reason": self.reason}


@dataclass
class ReadResult:
    """Raw cells of the recognised sheets: columns = field ids (strings), plus _sheet and _row."""

    frame: pl.DataFrame | None
    columns: dict[str, str] = field(default_factory=dict)  # field id → header as written
    problems: list[Problem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


class InputFileError(ValueError):
    pass


# ---------------------------------------------------------------- file type and text decoding

def _sniff(data: bytes, name: str) -> str:
    if data[:4] == b"PK\x03\x04":
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as z:
                if "xl/workbook.xml" in z.namelist():
                    return "xlsx"
        except zipfile.BadZipFile:
            return "bad"
        return "bad"
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        return "xls"
    if b"\x00" in data[:4096] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "bad"
    return "csv"


def decode_text(data: bytes) -> tuple[str, str] | None:
    """Decode CSV bytes: UTF-8 (with or without BOM), UTF-16 with BOM, else GB18030 (⊃ GBK)."""
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data[3:].decode("utf-8"), "UTF-8"
        except UnicodeDecodeError:
            pass
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "UTF-16"
        except UnicodeDecodeError:
            return None
    try:
        return data.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030"), "GBK"
    except UnicodeDecodeError:
        pass
    try:
        from charset_normalizer import from_bytes

        best = from_bytes(data).best()
        if best is not None:
            return str(best), best.encoding
    except Exception:  # pragma: no cover - best effort only
        pass
    return None


# ---------------------------------------------------------------- xlsx structure

_NS_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


@dataclass
class SheetInfo:
    name: str
    state: str  # visible | hidden | veryHidden
    path: str | None
    first_row: int = 1  # absolute row of calamine's first row
    merges: list[tuple[str, int, int]] = field(default_factory=list)  # (ref, first row, last row)


def _col_row(ref: str) -> tuple[str, int]:
    m = re.match(r"([A-Z]+)(\d+)", ref)
    return (m.group(1), int(m.group(2))) if m else ("A", 1)


_SCAN_CHUNK = 1 << 20
_MERGE_RE = re.compile(rb'<mergeCell\b[^>]*?\bref="([A-Z]+\d+)(?::([A-Z]+\d+))?"')
_ROW_RE = re.compile(rb"<row\b([^>]*?)(/>|>(.*?)</row>)", re.S)
_ROW_NUM_RE = re.compile(rb'\br="(\d+)"')


def xlsx_sheets(data: bytes) -> list[SheetInfo]:
    """Sheet names, visibility, merged ranges and used-range start rows, straight from the zip.

    Each sheet's XML is streamed in chunks (a 200,000-row sheet is ~200 MB of XML): only the
    first rows (for the start row) and what follows ``<mergeCells`` (which the schema places after
    ``<sheetData>``) are kept."""
    import xml.etree.ElementTree as ET

    with zipfile.ZipFile(io.BytesIO(data)) as z:
        wb = ET.fromstring(z.read("xl/workbook.xml"))
        try:
            rels = ET.fromstring(z.read("xl/_rels/workbook.xml.rels"))
            targets = {r.get("Id"): r.get("Target") for r in rels}
        except KeyError:
            targets = {}
        names = set(z.namelist())
        out = []
        for el in wb.iter():
            if not el.tag.endswith("}sheet"):
                continue
            rid = el.get(f"{{{_NS_REL}}}id")
            target = targets.get(rid)
            path = None
            if target:
                path = target.lstrip("/") if target.startswith("/") else "xl/" + target
                path = re.sub(r"[^/]+/\.\./", "", path)
            info = SheetInfo(el.get("name", ""), el.get("state", "visible") or "visible", path)
            if path and path in names:
                with z.open(path) as fh:
                    info.first_row, info.merges = _scan_sheet_xml(fh)
            out.append(info)
        return out


def _scan_sheet_xml(fh: IO[bytes]) -> tuple[int, list[tuple[str, int, int]]]:
    """(first row holding a value, merged ranges) of one worksheet XML stream."""
    first_row: int | None = None
    head = b""
    tail: bytes | None = None  # from "<mergeCells" to the end
    carry = b""
    while True:
        chunk = fh.read(_SCAN_CHUNK)
        if not chunk:
            break
        if first_row is None:
            head += chunk
            first_row = _first_valued_row(head)
            if first_row is not None:
                head = b""
        if tail is not None:
            tail += chunk
            continue
        buf = carry + chunk
        at = buf.find(b"<mergeCells")
        if at >= 0:
            tail = buf[at:]
        else:
            carry = buf[-16:]
    merges = []
    for m in _MERGE_RE.finditer(tail or b""):
        a = m.group(1).decode()
        b = (m.group(2) or m.group(1)).decode()
        merges.append((f"{a}:{b}", _col_row(a)[1], _col_row(b)[1]))
    return first_row or 1, merges


def _first_valued_row(xml: bytes) -> int | None:
    """Number of the first complete ``<row>`` holding a value (None when there is none yet)."""
    start = max(xml.find(b"<sheetData"), 0)
    for m in _ROW_RE.finditer(xml, start):
        body = m.group(3) or b""
        if b"<v>" in body or b"<v " in body or b"<is>" in body or b"<t>" in body:
            r = _ROW_NUM_RE.search(m.group(1))
            return int(r.group(1)) if r else 1
    return None


# ---------------------------------------------------------------- reading

def _raw_sheets(data: bytes, kind_of_file: str, fname: str, problems: list[Problem]
                ) -> list[tuple[SheetInfo, pl.DataFrame]]:
    import fastexcel

    # calamine releases the GIL while it parses, so the zip scan runs beside it on another core
    with ThreadPoolExecutor(1) as pool:
        scan = pool.submit(xlsx_sheets, data) if kind_of_file == "xlsx" else None
        try:
            reader = fastexcel.read_excel(data)
        except Exception as exc:  # calamine's message is English; keep it as detail
            problems.append(Problem(fname, None, None, None, None,
                                    f"无法读取 Excel 文件，文件可能已损坏（{type(exc).__name__}）"))
            return []
        loaded = []
        for idx, name in enumerate(reader.sheet_names):
            try:
                sheet = reader.load_sheet(idx, header_row=None, dtypes="string")
                loaded.append((name, str(getattr(sheet, "visible", "visible")), sheet.to_polars()))
            except Exception:
                problems.append(Problem(fname, name, None, None, None, "无法读取该工作表，内容可能已损坏"))
        try:
            infos = scan.result() if scan is not None else []
        except (zipfile.BadZipFile, EOFError, OSError, ValueError):  # a part bigger than declared, or torn
            problems.append(Problem(fname, None, None, None, None, "Excel 文件内部结构损坏,无法读取"))
            return []
    out = []
    for name, visible, frame in loaded:
        info = next((i for i in infos if i.name == name), None) or SheetInfo(name, "visible", None)
        if info.state == "visible" and visible != "visible":
            info.state = visible
        out.append((info, frame))
    return out


def _csv_frame(data: bytes, fname: str, problems: list[Problem]) -> pl.DataFrame | None:
    decoded = decode_text(data)
    if decoded is None:
        problems.append(Problem(fname, None, None, None, None,
                                "无法识别文件编码，请另存为 UTF-8 或 GBK 编码的 CSV，或 Excel (.xlsx) 文件"))
        return None
    text, _enc = decoded
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    first = text.split("\n", 1)[0]
    sep = max([",", "\t", ";"], key=first.count)
    try:
        frame = pl.read_csv(io.BytesIO(text.encode("utf-8")), has_header=False, infer_schema=False,
                            separator=sep, truncate_ragged_lines=True,
                            quote_char='"')
    except Exception as exc:
        problems.append(Problem(fname, None, None, None, None, f"CSV 文件格式错误：{exc}"))
        return None
    return frame


def _clean_cells(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.select(
        pl.col(c).cast(pl.String).str.strip_chars().replace("", None).alias(f"c{i}")
        for i, c in enumerate(frame.columns)
    )


def _find_header(frame: pl.DataFrame, lookup: dict[str, str]) -> tuple[int | None, dict[int, str], int]:
    """Best header row among the first rows: (row index, column index → field id, matches)."""
    best: tuple[int | None, dict[int, str], int] = (None, {}, 0)
    head = frame.head(HEADER_SEARCH_ROWS).rows()
    for r, row in enumerate(head):
        mapping = {}
        for j, cell in enumerate(row):
            fid = lookup.get(normalize_header(cell)) if cell is not None else None
            if fid is not None:
                mapping[j] = fid
        score = len(set(mapping.values()))
        if score > best[2]:
            best = (r, mapping, score)
    return best


def read_ledger_file(kind: Kind, data: bytes, filename: str) -> ReadResult:
    """Read a ledger file into a frame of strings (one column per recognised field)."""
    fname = Path(filename).name
    res = ReadResult(None)
    if len(data) == 0:
        res.problems.append(Problem(fname, None, None, None, None, "文件为空（0 字节）"))
        return res
    from ..limits import limits, too_large, zip_problem

    big = too_large(len(data), limits().ledger_upload_mb)
    if big:
        res.problems.append(Problem(fname, None, None, None, None, big))
        return res
    ftype = _sniff(data, fname)
    suffix = Path(fname).suffix.lower()
    bomb = zip_problem(data, fname) if ftype == "xlsx" else None
    if bomb:
        res.problems.append(Problem(fname, None, None, None, None, bomb))
        return res
    if ftype == "bad" or (ftype == "csv" and suffix in (".xlsx", ".xlsm", ".xls")):
        res.problems.append(Problem(fname, None, None, None, None,
                                    "文件不是有效的 Excel 文件（.xlsx/.xls）或 CSV 文件，请检查文件格式"))
        return res
    if ftype == "csv":
        frame = _csv_frame(data, fname, res.problems)
        sheets = [] if frame is None else [(SheetInfo("", "visible", None), frame)]
    else:
        sheets = _raw_sheets(data, ftype, fname, res.problems)
    if res.problems:
        return res

    lookup = kind.header_lookup()
    required = [f for f in kind.fields if f.required]
    parts = []
    matched_any = False
    for info, raw in sheets:
        sheet_label = info.name or None
        if raw.height == 0 or raw.width == 0:
            continue
        cells = _clean_cells(raw)
        hdr_row, mapping, score = _find_header(cells, lookup)
        min_score = min(2, len(kind.fields))
        if hdr_row is None or score < min_score:
            if info.state != "visible":
                continue  # e.g. a template's hidden list sheet
            if cells.height > 0 and cells.select(pl.any_horizontal(pl.all().is_not_null())).to_series().any():
                res.warnings.append(f"工作表“{info.name}”未找到“{kind.name}”台账的表头，已忽略" if info.name
                                    else "")
            continue
        if info.state != "visible":
            res.problems.append(Problem(fname, sheet_label, None, None, None,
                                        "该工作表处于隐藏状态但含有台账数据；请取消隐藏（确认需要导入）或删除该工作表后再导入"))
            continue
        matched_any = True
        header_abs = info.first_row + hdr_row
        for ref, r1, r2 in info.merges:
            if r2 >= header_abs:
                res.problems.append(Problem(fname, sheet_label, r1, None, ref,
                                            f"存在合并单元格 {ref}，请取消合并并在每个单元格填写完整的值后再导入"))
        # duplicated columns
        seen: dict[str, int] = {}
        header_cells = cells.row(hdr_row)
        for j, fid in mapping.items():
            if fid in seen:
                res.problems.append(Problem(fname, sheet_label, header_abs, header_cells[j], None,
                                            f"与列“{header_cells[seen[fid]]}”对应同一字段“{kind.field(fid).label}”，请删除其中一列"))
            else:
                seen[fid] = j
        missing = [f.label for f in required if f.id not in seen]
        if missing:
            res.problems.append(Problem(fname, sheet_label, header_abs, None, None,
                                        "缺少必填列：" + "、".join(missing)))
        body = cells.slice(hdr_row + 1)
        body = body.with_row_index("_i").with_columns(
            (pl.col("_i") + header_abs + 1).cast(pl.Int64).alias(ROW_COL),
            pl.lit(sheet_label or "", dtype=pl.String).alias(SHEET_COL),
        )
        cols = [pl.col(f"c{j}").alias(fid) for fid, j in seen.items()]
        body = body.select([*cols, ROW_COL, SHEET_COL])
        # drop fully empty rows
        data_cols = [c for c in body.columns if c not in (ROW_COL, SHEET_COL)]
        if data_cols:
            body = body.filter(pl.any_horizontal([pl.col(c).is_not_null() for c in data_cols]))
        for fid, j in seen.items():
            res.columns.setdefault(fid, str(header_cells[j]))
        if body.height:
            parts.append(body)
    res.warnings = [w for w in res.warnings if w]
    if res.problems:
        return res
    if not matched_any:
        if not any(raw.height and raw.width for _i, raw in sheets):
            res.problems.append(Problem(fname, None, None, None, None, "文件中没有数据（所有工作表均为空）"))
        else:
            need = "、".join(f.label for f in required[:4])
            res.problems.append(Problem(fname, None, None, None, None,
                                        f"前{HEADER_SEARCH_ROWS}行中未找到“{kind.name}”台账的表头（应包含：{need} 等列名），"
                                        "请使用系统模板或检查表头所在行"))
        return res
    if not parts:
        res.problems.append(Problem(fname, None, None, None, None, "表头下方没有数据行"))
        return res
    frame = pl.concat(parts, how="diagonal_relaxed")
    for f in kind.fields:
        if f.id not in frame.columns:
            frame = frame.with_columns(pl.lit(None, dtype=pl.String).alias(f.id))
    res.frame = frame.select([*kind.field_ids, ROW_COL, SHEET_COL])
    return res


def read_path(kind: Kind, path: str | Path) -> ReadResult:
    p = Path(path)
    if not p.exists():
        res = ReadResult(None)
        res.problems.append(Problem(p.name, None, None, None, None, "文件不存在"))
        return res
    return read_ledger_file(kind, p.read_bytes(), p.name)


# ---------------------------------------------------------------- writing

def display_frame(kind: Kind, frame: pl.DataFrame) -> pl.DataFrame:
    """Typed ledger frame → the columns of the kind, enum ids shown as Chinese labels."""
    cols = []
    for f in kind.fields:
        if f.id not in frame.columns:
            cols.append(pl.lit(None).alias(f.id))
        elif f.type == "enum":
            cols.append(pl.col(f.id).replace_strict(f.enum_labels(), default=pl.col(f.id),
                                                    return_dtype=pl.String))
        elif f.type == "bool" and frame.schema[f.id] == pl.Boolean:
            cols.append(pl.when(pl.col(f.id)).then(pl.lit("是"))
                        .when(pl.col(f.id).not_()).then(pl.lit("否")).alias(f.id))
        else:
            cols.append(pl.col(f.id))
    return frame.select(cols)


def write_export(kind: Kind, frame: pl.DataFrame, out: str | Path | IO[bytes]) -> None:
    from ..excel import write_xlsx

    shown = display_frame(kind, frame)
    write_xlsx(out, {kind.name: shown}, labels={f.id: f.header for f in kind.fields},
               notes={f.id: f.describe() for f in kind.fields},
               validations={f.id: [v.label for v in f.values] for f in kind.fields if f.type == "enum"}
               | {f.id: ["是", "否"] for f in kind.fields if f.type == "bool"})


def template_frame(kind: Kind) -> pl.DataFrame:
    return pl.DataFrame({f.id: pl.Series([], dtype=pl.String) for f in kind.fields})


def write_template(kind: Kind, out: str | Path | IO[bytes]) -> None:
    write_export(kind, template_frame(kind), out)
