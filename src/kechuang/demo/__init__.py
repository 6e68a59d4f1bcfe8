"""Demo installation: users and the synthetic demo city, for `make demo`."""

from __future__ import annotations

DEMO_PASSWORD = "kechuang-demo"

# (username, display name, role, region code)
DEMO_USERS = [
    ("admin", "系统管理员", "admin", None),
    ("yancheng", "盐城市科技局", "officer", "320900"),
    ("tinghu", "亭湖区科技局", "officer", "320902"),
    ("yandu", "盐都区科技局", "officer", "320903"),
    ("viewer", "市领导(只读)", "viewer", "320900"),
]


def ensure_demo_users(session) -> list[tuple[str, str, str, str | None]]:
    """Create the demo accounts that do not exist yet; returns all of them."""
    from sqlalchemy import select

    from ..accounts import User, add_user
    from ..audit import record

    for username, name, role, code in DEMO_USERS:
        if session.scalar(select(User).where(User.username == username)) is None:
            add_user(session, username, DEMO_PASSWORD, role, code, name)
            record(session, "demo", "create", "user", username, after={"role": role, "region_code": code})
    return DEMO_USERS
