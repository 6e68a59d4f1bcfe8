"""Security probes share the web fixtures (app on a fresh database, logged-in clients)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "web"))

from web.conftest import anon, app, client_as, make_user  # noqa: E402,F401


