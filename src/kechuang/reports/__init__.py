"""Monthly/quarterly progress reports (进度报告) for a region, as Word and PDF."""

from .build import HEADERS, Report, ReportError, ReportPeriod, build_report, parse_period
from .render import render_docx, render_pdf

__all__ = ["HEADERS", "Report", "ReportError", "ReportPeriod", "build_report", "parse_period", "render_docx", "render_pdf"]
