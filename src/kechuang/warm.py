"""What a server process prepares at its start, before it takes a request: the dashboards' ledger
frames and each metric's prepared records (from the files kept by an earlier run when the data did
not change), today's assessment of each installed city, expiring certificates and 一步之遥 results,
the program counts, 小升高 candidates and 科小/高企 lists of every region, the enterprise names'
look-up, the chain views kept on disk, the record counts of the ledgers' index and the programs'
application windows. A request arriving meanwhile waits for the process to be ready instead of
competing with the warm-up for the processor."""

from __future__ import annotations

import logging
from typing import Callable


def _steps() -> list[tuple[str, Callable]]:
    from .chains.status import warm as chains
    from .ledgers.frames import warm_names
    from .ledgers.store import warm_counts
    from .programs.pipeline import warm as programs
    from .programs.windows import windows
    from .targets.assessment import warm as assessment
    from .targets.metrics import warm as metrics
    from .warnings.rules import warm as warnings

    return [("台账数据与指标", lambda engine: metrics(engine, prepare=True)),
            ("考核评价", assessment),
            ("证书到期与一步之遥预警", warnings),
            ("企业培育统计", programs),
            ("企业名称索引", warm_names),
            ("产业链视图", chains),
            ("台账记录数", warm_counts),
            ("申报窗口", lambda _engine: windows())]


def warm_all(engine) -> None:
    """Each step in turn; a step that fails is logged and skipped (it is only a head start: the
    first page view that needs it does the work)."""
    for label, step in _steps():
        try:
            step(engine)
        except Exception:
            logging.getLogger("kechuang").warning("预热失败:%s", label, exc_info=True)
