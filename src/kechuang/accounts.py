"""Users, roles and region scopes; Argon2 password hashes."""

from __future__ import annotations

import datetime as dt
import enum

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerifyMismatchError
from sqlalchemy import Boolean, DateTime, Integer, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from .db import Base

_hasher = PasswordHasher()


class Role(str, enum.Enum):
    admin = "admin"
    officer = "officer"
    viewer = "viewer"

    @property
    def label(self) -> str:
        return {"admin": "管理员", "officer": "业务人员", "viewer": "只读用户"}[self.value]


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    display_name: Mapped[str] = mapped_column(String(128), nullable=False, default="")
    password_hash: Mapped[str] = mapped_column(String(256), nullable=False)
    role: Mapped[str] = mapped_column(String(16), nullable=False)
    region_code: Mapped[str | None] = mapped_column(String(16), nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False)

    @property
    def is_admin(self) -> bool:
        return self.role == Role.admin.value

    @property
    def can_write(self) -> bool:
        return self.role in (Role.admin.value, Role.officer.value)

    def can_see(self, region_code: str | None) -> bool:
        """Whether a region (and so its records) lies inside this user's scope."""
        from .regions import registry

        if self.is_admin or self.region_code is None:
            return True
        if not region_code:
            return False
        return registry().is_within(region_code, self.region_code)

    def can_edit(self, region_code: str | None) -> bool:
        return self.can_write and self.can_see(region_code)


class AccountError(ValueError):
    """A user-facing error (message in Chinese)."""


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash, password)
    except (VerifyMismatchError, InvalidHashError):
        return False


def add_user(
    session: Session,
    username: str,
    password: str,
    role: str | Role,
    region_code: str | None = None,
    display_name: str = "",
) -> User:
    from .regions import registry

    role = Role(role)
    if len(password) < 8:
        raise AccountError("密码至少需要 8 个字符")
    if session.scalar(select(User).where(User.username == username)):
        raise AccountError(f"用户名“{username}”已存在")
    if role != Role.admin:
        if not region_code:
            raise AccountError("业务人员和只读用户必须指定所辖地区")
        if registry().get(region_code) is None:
            raise AccountError(f"地区代码“{region_code}”不存在")
    user = User(
        username=username,
        display_name=display_name or username,
        password_hash=hash_password(password),
        role=role.value,
        region_code=region_code if role != Role.admin else None,
        active=True,
        created_at=dt.datetime.now(dt.timezone.utc),
    )
    session.add(user)
    session.flush()
    return user


def authenticate(session: Session, username: str, password: str) -> User | None:
    user = session.scalar(select(User).where(User.username == username))
    if user is None or not user.active:
        # spend the same time as a real check, so usernames cannot be probed by timing
        verify_password(_DUMMY_HASH, password)
        return None
    return user if verify_password(user.password_hash, password) else None


_DUMMY_HASH = _hasher.hash("kechuang-dummy-password")
