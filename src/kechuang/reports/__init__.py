"""Monthly/quarterly progress reports (进度报告) for a region, as Word and PDF.

A lazy face: `kechuang report` registers without importing the data libraries."""

from importlib import import_module

_FACE = {"HEADERS": "build", "Report": "build", "ReportError": "build", "ReportPeriod": "build",
         "build_report": "build", "parse_period": "build", "render_docx": "render", "render_pdf": "render"}
__all__ = list(_FACE)


def __getattr__(name: str):
    if name in _FACE:
        return getattr(import_module(f".{_FACE[name]}", __name__), name)
    raise AttributeError(name)
