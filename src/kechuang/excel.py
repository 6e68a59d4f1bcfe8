"""Excel output shared by every capability: ``write_xlsx`` and ``xlsx_response``.

Headers are written as given (pass Chinese column names, or ``labels`` mapping column id →
Chinese label), bold, frozen, with widths sized to the content. Decimals are written as
Excel numbers, dates as real Excel dates.
"""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from pathlib import Path
from typing import IO, Any, Mapping
from urllib.parse import quote

import polars as pl

Frames = Mapping[str, pl.DataFrame] | pl.DataFrame

_MAX_WIDTH = 50
_SHEET_BAD = set('[]:*?/\\')


def _display_len(value: Any) -> int:
    text = "" if value is None else str(value)
    # CJK characters take about two columns in Excel
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def _sheet_name(name: str, used: set[str]) -> str:
    clean = "".join("_" if ch in _SHEET_BAD else ch for ch in str(name)).strip("'") or "Sheet"
    clean = clean[:31]
    base, n = clean, 2
    while clean.lower() in used:
        suffix = f"({n})"
        clean = base[: 31 - len(suffix)] + suffix
        n += 1
    used.add(clean.lower())
    return clean


def _cell(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, (list, dict, tuple)):
        return str(value)
    return value


def write_xlsx(
    path_or_buffer: str | Path | IO[bytes],
    frames: Frames,
    *,
    labels: Mapping[str, str] | None = None,
    notes: Mapping[str, str] | None = None,
    validations: Mapping[str, list[str]] | None = None,
    sheet_name: str = "Sheet1",
    min_rows_validated: int = 1000,
) -> None:
    """Write one or more data frames to an .xlsx file or binary buffer.

    ``frames`` is a DataFrame (one sheet named ``sheet_name``) or a dict sheet name → frame.
    ``labels`` maps column names to the header text shown; ``notes`` adds a cell comment to a
    header (by column name); ``validations`` adds a drop-down list of allowed values to a
    column (by column name) for at least ``min_rows_validated`` rows.
    """
    import xlsxwriter

    if isinstance(frames, pl.DataFrame):
        frames = {sheet_name: frames}
    labels = labels or {}
    notes = notes or {}
    validations = validations or {}
    large = sum(f.height * max(f.width, 1) for f in frames.values()) > 200_000
    wb = xlsxwriter.Workbook(
        path_or_buffer,
        {"in_memory": not large, "constant_memory": large, "strings_to_numbers": False,
         "strings_to_formulas": False, "strings_to_urls": False},
    )
    try:
        header_fmt = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1,
                                    "text_wrap": True, "valign": "vcenter"})
        date_fmt = wb.add_format({"num_format": "yyyy-mm-dd"})
        dt_fmt = wb.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
        used: set[str] = set()
        for name, frame in frames.items():
            ws = wb.add_worksheet(_sheet_name(name, used))
            columns = frame.columns
            col_fmt: dict[int, Any] = {}
            widths = []
            for j, col in enumerate(columns):
                header = labels.get(col, col)
                dtype = frame.schema[col]
                if dtype == pl.Date:
                    col_fmt[j] = date_fmt
                elif dtype == pl.Datetime:
                    col_fmt[j] = dt_fmt
                sample = frame.get_column(col).head(200).to_list()
                width = max([_display_len(header)] + [_display_len(v) for v in sample])
                if dtype in (pl.Date,):
                    width = max(width, 10)
                widths.append(min(max(width + 2, 6), _MAX_WIDTH))
            for j, col in enumerate(columns):
                ws.write_string(0, j, str(labels.get(col, col)), header_fmt)
                ws.set_column(j, j, widths[j])
                if col in notes and notes[col]:
                    ws.write_comment(0, j, str(notes[col]), {"x_scale": 2, "y_scale": 1.5})
                if col in validations and validations[col]:
                    last = max(frame.height, min_rows_validated)
                    values = [str(v) for v in validations[col]]
                    if sum(len(v) + 1 for v in values) <= 250:
                        source: Any = values
                    else:  # long lists go to a hidden sheet
                        lst = wb.get_worksheet_by_name("_lists") or wb.add_worksheet("_lists")
                        lst.hide()
                        lcol = getattr(lst, "_kc_next", 0)
                        for i, v in enumerate(values):
                            lst.write_string(i, lcol, v)
                        lst._kc_next = lcol + 1  # type: ignore[attr-defined]
                        from xlsxwriter.utility import xl_rowcol_to_cell
                        end = xl_rowcol_to_cell(len(values) - 1, lcol, row_abs=True, col_abs=True)
                        start = xl_rowcol_to_cell(0, lcol, row_abs=True, col_abs=True)
                        source = f"=_lists!{start}:{end}"
                    ws.data_validation(1, j, last, j, {
                        "validate": "list", "source": source,
                        "error_title": "取值不在允许范围内",
                        "error_message": "请从下拉列表中选择",
                    })
            ws.freeze_panes(1, 0)
            for i, row in enumerate(frame.iter_rows(), start=1):
                for j, value in enumerate(row):
                    if value is None:
                        continue
                    fmt = col_fmt.get(j)
                    if isinstance(value, (dt.date, dt.datetime)):
                        if isinstance(value, dt.datetime) and value.tzinfo is not None:
                            value = value.replace(tzinfo=None)
                        ws.write_datetime(i, j, value, fmt or date_fmt)
                    elif isinstance(value, str):
                        ws.write_string(i, j, value)
                    else:
                        ws.write(i, j, _cell(value))
            if frame.width:
                ws.autofilter(0, 0, max(frame.height, 1), frame.width - 1)
    finally:
        wb.close()


def xlsx_bytes(frames: Frames, **kwargs: Any) -> bytes:
    buf = io.BytesIO()
    write_xlsx(buf, frames, **kwargs)
    return buf.getvalue()


XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def content_disposition(filename: str) -> str:
    """Content-Disposition for a (possibly Chinese) file name: ASCII fallback + RFC 5987 filename*."""
    ascii_name = "".join(ch if 32 <= ord(ch) < 127 and ch not in '"\\;' else "_" for ch in filename)
    if ascii_name.strip("_.") == "":
        ascii_name = "download" + (Path(filename).suffix or ".xlsx")
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename, safe='')}"


def xlsx_response(frames: Frames, filename: str, **kwargs: Any):
    """A FastAPI download response holding ``frames`` as an .xlsx file named ``filename``."""
    from fastapi.responses import Response

    if not filename.lower().endswith(".xlsx"):
        filename += ".xlsx"
    return Response(
        content=xlsx_bytes(frames, **kwargs),
        media_type=XLSX_MEDIA_TYPE,
        headers={"Content-Disposition": content_disposition(filename)},
    )
