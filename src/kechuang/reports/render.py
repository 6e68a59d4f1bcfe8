"""Word (python-docx) and PDF (reportlab, built-in CJK font) from a Report; the chart as a PNG."""

from __future__ import annotations

import glob
import io
from functools import lru_cache

from .build import HEADERS, Report

FONT_GLOBS = ("/usr/share/fonts/**/wqy-*.tt[cf]", "/usr/share/fonts/**/Noto*CJK*.tt[cf]",
              "/usr/share/fonts/**/*[Ss]im[Hh]ei*.tt[cf]", "/usr/share/fonts/**/*[Ss]im[Ss]un*.tt[cf]")


@lru_cache(maxsize=1)
def cjk_font_path() -> str | None:
    """A local font with Chinese glyphs for the chart image, if the system has one."""
    for pattern in FONT_GLOBS:
        found = sorted(glob.glob(pattern, recursive=True))
        if found:
            return found[0]
    return None


def chart_png(report: Report, width: int = 1400) -> bytes | None:
    """Horizontal completion bars (%), a dark tick at the pace, a line at 100 %. Without a CJK font the
    bars are numbered and the numbers refer to the table's rows."""
    from PIL import Image, ImageDraw, ImageFont

    bars = report.chart_bars()
    if not bars:
        return None
    path = cjk_font_path()
    font = ImageFont.truetype(path, 26) if path else ImageFont.load_default()
    labels = [b[0] if path else str(i + 1) for i, b in enumerate(bars)]
    labels = [lb if len(lb) <= 16 else lb[:15] + "…" for lb in labels]
    row, top, left = 48, 20, (330 if path else 60)
    height = top * 2 + row * len(bars) + 30
    img = Image.new("RGB", (width, height), "white")
    d = ImageDraw.Draw(img)
    top_pct = max(120.0, min(300.0, max(b[1] for b in bars) * 1.05))
    plot = width - left - 140
    x = lambda pct: left + plot * min(pct, top_pct) / top_pct  # noqa: E731
    for i, (label, share, pace, colour) in enumerate(bars):
        y = top + i * row
        d.text((left - 12, y + row / 2), label, fill="#263238", font=font, anchor="rm")
        d.rectangle([left, y + 8, x(share), y + row - 8], fill=colour)
        d.text((x(share) + 8, y + row / 2), f"{share:.1f}%", fill="#263238", font=font, anchor="lm")
        if pace is not None:
            d.rectangle([x(pace) - 2, y + 2, x(pace) + 2, y + row - 2], fill="#37474f")
    base = top + row * len(bars)
    d.line([x(100), top, x(100), base], fill="#2e7d32", width=3)
    d.line([left, base, left + plot, base], fill="#90a4ae", width=2)
    d.text((x(100), base + 4), "100%", fill="#2e7d32", font=font, anchor="mt")
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


CHART_NOTE = "图:各目标完成率(色条),深色竖标为序时进度,绿线为目标(100%)。"


def render_docx(report: Report) -> bytes:
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt, RGBColor

    doc = Document()
    sec = doc.sections[0]
    sec.page_width, sec.page_height = Cm(21), Cm(29.7)
    for side in ("left_margin", "right_margin"):
        setattr(sec, side, Cm(2.5))
    normal = doc.styles["Normal"]
    normal.font.name, normal.font.size = "SimSun", Pt(11)
    normal.element.rPr.rFonts.set(qn("w:eastAsia"), "SimSun")
    h = report.header

    def para(text: str, *, size=None, bold=False, align=None, color=None):
        p = doc.add_paragraph()
        run = p.add_run(text)
        run.bold = bold
        if size:
            run.font.size = Pt(size)
        if color:
            run.font.color.rgb = RGBColor.from_string(color)
        if align:
            p.alignment = align
        return p

    para(h["unit"], size=22, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, color="C00000")
    para(h["doc_number"], align=WD_ALIGN_PARAGRAPH.CENTER)
    para(h["title"], size=16, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
    para(h["intro"])
    doc.add_heading("一、总体情况", level=2)
    para(report.summary())
    png = chart_png(report)
    if png:
        doc.add_picture(io.BytesIO(png), width=Cm(16))
        para(CHART_NOTE, size=9)
    doc.add_heading("二、各目标完成情况", level=2)
    _docx_table(doc, report.figure_rows())
    doc.add_heading("三、滞后目标", level=2)
    if report.lagging:
        _docx_table(doc, report.figure_rows(report.lagging))
    else:
        para("无滞后目标。")
    doc.add_heading("四、预警", level=2)
    for w in report.warnings:
        para(w)
    if not report.warnings:
        para(report.warnings_note)
    para(h["closing"])
    para(h["signature"], align=WD_ALIGN_PARAGRAPH.RIGHT)
    para(f"{report.as_of.year}年{report.as_of.month}月{report.as_of.day}日", align=WD_ALIGN_PARAGRAPH.RIGHT)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def _docx_table(doc, rows: list[list[str]]) -> None:
    table = doc.add_table(rows=1, cols=len(HEADERS))
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, HEADERS):
        cell.text = text
        cell.paragraphs[0].runs[0].bold = True
    for r in rows:
        for cell, text in zip(table.add_row().cells, r):
            cell.text = text


CJK_FONT = "STSong-Light"  # one of reportlab's built-in CID fonts: nothing to download or embed


def render_pdf(report: Report) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.enums import TA_CENTER, TA_RIGHT
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import cm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Image, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
    from xml.sax.saxutils import escape

    pdfmetrics.registerFont(UnicodeCIDFont(CJK_FONT))
    body = ParagraphStyle("body", fontName=CJK_FONT, fontSize=10.5, leading=16, wordWrap="CJK")
    small = ParagraphStyle("small", parent=body, fontSize=8.5, leading=11)
    h2 = ParagraphStyle("h2", parent=body, fontSize=12.5, leading=20, spaceBefore=6)
    unit = ParagraphStyle("unit", parent=body, fontSize=22, leading=30, alignment=TA_CENTER, textColor=colors.HexColor("#c00000"))
    center = ParagraphStyle("center", parent=body, alignment=TA_CENTER)
    title = ParagraphStyle("title", parent=body, fontSize=16, leading=24, alignment=TA_CENTER, spaceBefore=6)
    right = ParagraphStyle("right", parent=body, alignment=TA_RIGHT)
    h = report.header
    P = lambda text, style=body: Paragraph(escape(text), style)  # noqa: E731

    def table(rows):
        data = [[P(c, small) for c in HEADERS]] + [[P(c, small) for c in r] for r in rows]
        t = Table(data, colWidths=[2.2 * cm, 5.2 * cm, 2.1 * cm, 2.1 * cm, 1.6 * cm, 1.6 * cm, 1.6 * cm], repeatRows=1)
        t.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                               ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eceff1")),
                               ("VALIGN", (0, 0), (-1, -1), "MIDDLE")]))
        return t

    story = [P(h["unit"], unit), P(h["doc_number"], center), P(h["title"], title), Spacer(1, 6), P(h["intro"]),
             P("一、总体情况", h2), P(report.summary())]
    png = chart_png(report)
    if png:
        from PIL import Image as PILImage

        w, hgt = PILImage.open(io.BytesIO(png)).size
        story += [Image(io.BytesIO(png), width=16 * cm, height=16 * cm * hgt / w), P(CHART_NOTE, small)]
    story += [P("二、各目标完成情况", h2), table(report.figure_rows()), P("三、滞后目标", h2)]
    story.append(table(report.figure_rows(report.lagging)) if report.lagging else P("无滞后目标。"))
    story += [P("四、预警", h2), *[P(w) for w in report.warnings]]
    if not report.warnings:
        story.append(P(report.warnings_note))
    story += [Spacer(1, 8), P(h["closing"]), P(h["signature"], right),
              P(f"{report.as_of.year}年{report.as_of.month}月{report.as_of.day}日", right)]
    buf = io.BytesIO()
    SimpleDocTemplate(buf, pagesize=A4, leftMargin=2 * cm, rightMargin=2 * cm, topMargin=2 * cm, bottomMargin=2 * cm,
                      title=h["title"], author=h["unit"]).build(story)
    return buf.getvalue()
