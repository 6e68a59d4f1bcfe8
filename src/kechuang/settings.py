"""Runtime settings, read from the environment once."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from .limits import Limits, limits


def _var_dir() -> Path:
    return Path(os.environ.get("KECHUANG_VAR_DIR", "var")).resolve()


@dataclass(frozen=True)
class Settings:
    database_url: str
    var_dir: Path
    secret_key: str
    secure_cookies: bool
    # page handlers are CPU-bound: a few threads per process keep requests in order instead of
    # sharing the GIL among dozens (same throughput, shorter tail under load)
    request_threads: int = 8
    # prepare the dashboards and views (kechuang.warm) when a server starts, before it takes requests
    warm_on_start: bool = False
    # recompute recently viewed pages in the background after a data change (kechuang.web.refresh)
    refresh_views: bool = False
    limits: Limits = field(default_factory=limits)
    # addresses of reverse proxies whose X-Forwarded-For is believed (none by default)
    trusted_proxies: frozenset[str] = frozenset()

    @classmethod
    def from_env(cls) -> "Settings":
        var = _var_dir()
        url = os.environ.get("KECHUANG_DATABASE_URL") or f"sqlite:///{var / 'kechuang.db'}"
        secret = os.environ.get("KECHUANG_SECRET_KEY") or _persistent_secret(var)
        secure = os.environ.get("KECHUANG_SECURE_COOKIES", "0") == "1"
        threads = int(os.environ.get("KECHUANG_THREADS", "8"))
        return cls(database_url=url, var_dir=var, secret_key=secret, secure_cookies=secure,
                   request_threads=max(1, threads), warm_on_start=os.environ.get("KECHUANG_WARM", "0") == "1",
                   refresh_views=os.environ.get("KECHUANG_REFRESH", "0") == "1",
                   trusted_proxies=frozenset(p.strip() for p in os.environ.get("KECHUANG_TRUSTED_PROXIES", "").split(",")
                                             if p.strip()))


def cache_dir() -> Path | None:
    """KECHUANG_CACHE_DIR: where derived files go instead of beside the database (e.g. when the
    database's folder is not to be written)."""
    raw = os.environ.get("KECHUANG_CACHE_DIR")
    return Path(raw).resolve() if raw else None


def _persistent_secret(var: Path) -> str:
    """A per-installation secret kept under var/ so sessions survive restarts."""
    path = var / "secret_key"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        var.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        path.write_text(key)
        path.chmod(0o600)
        return key


def get_settings() -> Settings:
    return Settings.from_env()
