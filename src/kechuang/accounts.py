"""Users, roles and region scopes; Argon2 password hashes."""

from __future__ import annotations

import datetime as dt
import enum
import re

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


def officer_for(session: Session, name: str, region_code: str, field: str, duty: str, subject: str) -> "User":
    """The active user ``name`` who may act for ``region_code`` (serve an enterprise, follow up a
    warning …); otherwise an AccountError naming the field and value."""
    name = (name or "").strip()
    u = session.scalar(select(User).where(User.username == name))
    if u is None or not u.active:
        raise AccountError(f"字段“{field}”的值“{name}”不是有效的用户")
    if not u.can_edit(region_code):
        raise AccountError(f"字段“{field}”的值“{name}”不能{duty}:其所辖地区不包括{subject}所在地区")
    return u


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

    try:
        role = Role(role)
    except ValueError:
        raise AccountError(f"角色“{role}”无效,应为 admin(管理员)、officer(业务人员)或 viewer(只读用户)") from None
    username = check_username(username)
    check_password(password, username)
    display_name = (display_name or "").strip()[:128]
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


_USERNAME = re.compile(r"[A-Za-z0-9_.@\-\u4e00-\u9fff]{1,64}")
# the most common passwords in published leak lists, and the obvious ones of this platform
_COMMON = frozenset("""
password passw0rd password1 password123 p@ssw0rd p@ssword qwerty qwerty123 qwertyuiop asdfghjkl
iloveyou abc12345 abcd1234 a1b2c3d4 admin123 admin1234 administrator root1234 welcome1 welcome123
letmein1 football baseball 1q2w3e4r 1qaz2wsx zaq12wsx qazwsxedc sunshine princess dragon123
woaini1314 woaini520 kechuang kechuang123 changeme changeme1 default1 test1234 guest123 user1234
""".split())


def check_username(username: str) -> str:
    """The user name, stripped; refused (Chinese) when blank or with unusual characters."""
    name = (username or "").strip()
    if not name:
        raise AccountError("用户名不能为空")
    if not _USERNAME.fullmatch(name):
        raise AccountError("用户名应为 1–64 个字符,只能包含汉字、字母、数字和 _ . @ -")
    return name


def check_password(password: str, username: str = "") -> None:
    """Refuse passwords that are short or among the first an attacker tries (Chinese message)."""
    pw = password or ""
    low = pw.lower()
    if len(pw) < 8:
        raise AccountError("密码至少需要 8 个字符")
    if len(pw) > 256:
        raise AccountError("密码不能超过 256 个字符")
    if low in _COMMON:
        raise AccountError("密码过于常见,请换一个不易猜到的密码")
    if len(set(pw)) <= 2:
        raise AccountError("密码不能由同一两个字符重复组成")
    if pw.isdigit():
        raise AccountError("密码不能全是数字")
    steps = {ord(b) - ord(a) for a, b in zip(low, low[1:])}
    if len(steps) == 1 and steps <= {1, -1}:
        raise AccountError("密码不能是连续的字母或数字(如 abcdefgh)")
    if username and username.lower() in low:
        raise AccountError("密码不能包含用户名")
    kinds = sum((any(c.isalpha() for c in pw), any(c.isdigit() for c in pw),
                 any(not c.isalnum() for c in pw)))
    if kinds < 2:
        raise AccountError("密码至少要包含字母、数字、符号中的两类")


def set_password(session: Session, user: User, password: str) -> None:
    """Change a password (checked like a new one); every open session of the user ends."""
    check_password(password, user.username)
    user.password_hash = hash_password(password)
    from .sessions import revoke_all

    revoke_all(session, user.id, "password")


def authenticate(session: Session, username: str, password: str) -> User | None:
    user = session.scalar(select(User).where(User.username == username))
    if user is None or not user.active:
        # spend the same time as a real check, so usernames cannot be probed by timing
        verify_password(_DUMMY_HASH, password)
        return None
    return user if verify_password(user.password_hash, password) else None


_DUMMY_HASH = _hasher.hash("kechuang-dummy-password")
