"""申报窗口 on the program pages: the windows concerning the user's region, with state and source."""

from __future__ import annotations

import datetime as dt

from kechuang.programs.windows import windows


def test_program_page_lists_its_windows_for_the_region(client_as):
    th = client_as("officer", "320902")
    page = th.get("/programs/hnte").text
    hnte = [w for w in windows() if w.program == "hnte"]
    assert 'id="windows-list"' in page and all(w.title in page for w in hnte)
    assert not any(w.title in page for w in windows() if w.program != "hnte")
    today = dt.date.today()
    assert all(w.state_label(today) in page for w in hnte)
    index = th.get("/programs").text
    assert all(w.title in index for w in windows() if w.covers("320902"))
    # a Wuxi officer does not see the Yancheng (演示) windows
    wx = client_as("officer", "320200").get("/programs").text
    assert not any(w.title in wx for w in windows() if w.region_code == "320900")
    real = next(w for w in windows() if w.source)
    assert real.source in index
