"""Server-side login sessions: the browser's cookie carries only a random token; the record here
says whether it is still good. Logout, a password change, disabling a user or an administrator
ends sessions at once, wherever the cookie was copied to."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from sqlalchemy import DateTime, ForeignKey, Integer, String, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from .db import Base

LIFETIME = dt.timedelta(hours=8)
_TOUCH_EVERY = dt.timedelta(minutes=5)  # last_seen_at is written at most this often


class UserSession(Base):
    __tablename__ = "user_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # SHA-256 of the cookie's token
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    last_seen_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    revoked_reason: Mapped[str | None] = mapped_column(String(32), nullable=True)
    address: Mapped[str] = mapped_column(String(64), default="")
    user_agent: Mapped[str] = mapped_column(String(200), default="")


REASONS = {"logout": "退出登录", "password": "修改密码", "admin": "管理员注销", "disabled": "用户停用",
           "expired": "已过期"}


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _aware(t: dt.datetime) -> dt.datetime:
    return t if t.tzinfo else t.replace(tzinfo=dt.timezone.utc)  # SQLite returns naive UTC


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def open_session(session: Session, user_id: int, address: str = "", user_agent: str = "") -> str:
    """A new session for the user; returns the token for the cookie (only its hash is stored)."""
    token = secrets.token_urlsafe(32)
    now = _now()
    session.add(UserSession(id=_digest(token), user_id=user_id, created_at=now, last_seen_at=now,
                            expires_at=now + LIFETIME, address=address[:64], user_agent=user_agent[:200]))
    session.flush()
    return token


# sessions found open lately: digest → (stamp, the user's columns, expires_at, last_seen_at). An
# entry holds while the users and sessions tables are unchanged (their own counters in app_state,
# `db.QUIET_SOURCES`), so a page need not read them again on every request.
_known: dict[str, tuple[tuple, dict, dt.datetime, dt.datetime]] = {}
_KNOWN_MAX = 4096


def _stamp(session: Session, versions) -> tuple | None:
    if not versions or "data_version" not in versions:
        return None
    return (str(session.get_bind().url), versions.get("users", 0), versions.get("user_sessions", 0))


def user_for(session: Session, token: str | None, versions=None):
    """The user of a session still open (read with the session record in one query), or None
    (unknown, revoked or expired).

    ``versions``: the data versions the session's transaction read (`db.data_versions`); with them,
    a session seen open since the last change to users or sessions is answered from memory, as a
    detached user."""
    from sqlalchemy.orm import make_transient_to_detached

    from .accounts import User

    if not token or len(token) > 100:
        return None
    digest, stamp, now = _digest(token), _stamp(session, versions), _now()
    hit = _known.get(digest) if stamp is not None else None
    if hit is not None and hit[0] == stamp and hit[2] > now and now - hit[3] <= _TOUCH_EVERY:
        user = User(**hit[1])
        make_transient_to_detached(user)
        return user
    row = session.execute(select(UserSession, User).join(User, User.id == UserSession.user_id)
                          .where(UserSession.id == digest)).first()
    if row is None:
        return None
    rec, user = row
    if rec.revoked_at is not None:
        return None
    if _aware(rec.expires_at) <= now:
        return None
    if now - _aware(rec.last_seen_at) > _TOUCH_EVERY:
        rec.last_seen_at = now  # a write to user_sessions: the entry below would not hold after it
    elif stamp is not None:
        if len(_known) >= _KNOWN_MAX:
            _known.clear()
        _known[digest] = (stamp, {c.key: getattr(user, c.key) for c in User.__table__.columns},
                          _aware(rec.expires_at), _aware(rec.last_seen_at))
    return user


def revoke(session: Session, token: str | None, reason: str = "logout") -> None:
    if token:
        session.execute(update(UserSession).where(UserSession.id == _digest(token),
                                                  UserSession.revoked_at.is_(None))
                        .values(revoked_at=_now(), revoked_reason=reason))


def revoke_all(session: Session, user_id: int, reason: str) -> int:
    """End every open session of a user; returns how many."""
    result = session.execute(update(UserSession).where(UserSession.user_id == user_id,
                                                       UserSession.revoked_at.is_(None))
                             .values(revoked_at=_now(), revoked_reason=reason))
    return result.rowcount or 0


def open_sessions(session: Session, user_id: int | None = None) -> list[UserSession]:
    now = _now()
    q = select(UserSession).where(UserSession.revoked_at.is_(None)).order_by(UserSession.last_seen_at.desc())
    if user_id is not None:
        q = q.where(UserSession.user_id == user_id)
    return [s for s in session.scalars(q) if _aware(s.expires_at) > now]
