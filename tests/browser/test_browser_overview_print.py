"""The 总览 of the demo city prints on one A4 page in Chromium."""

from __future__ import annotations

import io

import pytest

from test_browser_targets_officer import _demo_city, _login

pytestmark = pytest.mark.browser


def test_overview_prints_on_one_a4_page(live_server, page, engine):
    from pypdf import PdfReader

    _demo_city(engine, ("yancheng", "320900", "盐城市科技局"))
    _login(page, live_server, "yancheng")
    page.goto(f"{live_server}/")
    page.wait_for_selector(".chart canvas")
    page.emulate_media(media="print")
    tall = page.evaluate("document.querySelector('.overview-print').scrollHeight")
    page.evaluate("window.dispatchEvent(new Event('beforeprint'))")  # printToPDF does not send it
    pdf = PdfReader(io.BytesIO(page.pdf(format="A4", prefer_css_page_size=True)))
    assert len(pdf.pages) == 1, f"overview {tall}px high printed on {len(pdf.pages)} pages"
    assert "目标进度" in pdf.pages[0].extract_text()
