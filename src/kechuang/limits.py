"""Resource limits on what one request or file may make the server do (sizes, counts), read from
the environment so an installation can raise or lower them; every refusal names the limit."""

from __future__ import annotations

import io
import os
import struct
import zipfile
import zlib
from dataclasses import dataclass

MB = 1024 * 1024


def _env_int(name: str, default: int) -> int:
    try:
        value = int(os.environ.get(name, "") or default)
    except ValueError:
        return default
    return value if value > 0 else default


@dataclass(frozen=True)
class Limits:
    ledger_upload_mb: int = 100        # a ledger file (.xlsx/.xls/.csv)
    document_upload_mb: int = 20       # a policy document (.txt/.html/.docx/.pdf)
    json_body_mb: int = 20             # a JSON request body (API imports, evaluation)
    zip_uncompressed_mb: int = 512     # everything inside one .xlsx/.docx once unpacked
    document_chars: int = 600_000      # characters of text in one document (a long plan has ~200,000)
    statements_per_document: int = 5_000
    evaluate_profiles: int = 2_000     # profiles per /api/evaluate request (officers, administrators)
    evaluate_profiles_viewer: int = 200

    @property
    def largest_upload_mb(self) -> int:
        return max(self.ledger_upload_mb, self.document_upload_mb, self.json_body_mb)


def limits() -> Limits:
    """Limits from KECHUANG_MAX_* variables (defaults above)."""
    d = Limits()
    return Limits(
        ledger_upload_mb=_env_int("KECHUANG_MAX_LEDGER_MB", d.ledger_upload_mb),
        document_upload_mb=_env_int("KECHUANG_MAX_DOCUMENT_MB", d.document_upload_mb),
        json_body_mb=_env_int("KECHUANG_MAX_JSON_MB", d.json_body_mb),
        zip_uncompressed_mb=_env_int("KECHUANG_MAX_UNZIPPED_MB", d.zip_uncompressed_mb),
        document_chars=_env_int("KECHUANG_MAX_DOCUMENT_CHARS", d.document_chars),
        statements_per_document=_env_int("KECHUANG_MAX_STATEMENTS", d.statements_per_document),
        evaluate_profiles=_env_int("KECHUANG_MAX_EVALUATE", d.evaluate_profiles),
        evaluate_profiles_viewer=_env_int("KECHUANG_MAX_EVALUATE_VIEWER", d.evaluate_profiles_viewer),
    )


def too_large(size: int, limit_mb: int, what: str = "文件") -> str | None:
    """A Chinese refusal when ``size`` bytes exceed ``limit_mb``, else None."""
    if size <= limit_mb * MB:
        return None
    return f"{what}过大({size / MB:,.1f} MB),超过上限 {limit_mb} MB"


def zip_problem(data: bytes, name: str, limit_mb: int | None = None) -> str | None:
    """Why a zip container (.xlsx, .docx) must not be opened: more than ``limit_mb`` once unpacked
    (a zip bomb), or too many parts. The sizes a zip declares can lie, so when they cannot bound
    the unpacked size on their own, the deflate streams are inflated and counted (never kept) up
    to the limit."""
    limit = (limit_mb or limits().zip_uncompressed_mb) * MB
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            infos = z.infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        return None  # not a readable zip: the reader reports that in its own words
    if len(infos) > 10_000:
        return f"文件“{name}”包含 {len(infos):,} 个部件,超过上限 10,000 个,可能已损坏或被恶意构造"
    total = sum(i.file_size for i in infos)
    if total <= limit and _inflated_bound(infos) > limit and _inflates_past(data, infos, limit):
        total = None
    if total is None or total > limit:
        size = "超过" if total is None else f"有 {total / MB:,.0f} MB,超过"
        return (f"文件“{name}”解压后{size}上限 {limit // MB} MB"
                "(可能是压缩炸弹,或表格过大,请拆分后导入)")
    return None


_DEFLATE_MAX_RATIO = 1032  # deflate cannot expand one input byte to more than about 1032 bytes


def _inflated_bound(infos) -> int:
    bound = 0
    for i in infos:
        if i.compress_type == zipfile.ZIP_STORED:
            bound += i.compress_size
        elif i.compress_type == zipfile.ZIP_DEFLATED:
            bound += i.compress_size * _DEFLATE_MAX_RATIO
        else:
            bound += i.file_size
    return bound


def _inflates_past(data: bytes, infos, limit: int) -> bool:
    """Whether the parts really unpack to more than ``limit`` bytes: deflate streams are inflated
    and counted (never kept), stopping at the limit; other parts count as declared."""
    total = sum(i.file_size for i in infos if i.compress_type != zipfile.ZIP_DEFLATED)
    for i in infos:
        if i.compress_type != zipfile.ZIP_DEFLATED:
            continue
        head = data[i.header_offset:i.header_offset + 30]
        if len(head) < 30 or head[:4] != b"PK\x03\x04":
            return True  # the directory points at no part: refuse rather than guess
        n, m = struct.unpack("<HH", head[26:30])
        pos = i.header_offset + 30 + n + m
        d = zlib.decompressobj(-15)
        try:
            while pos < len(data) and not d.eof and total <= limit:
                chunk = data[pos:pos + 65536]
                pos += len(chunk)
                total += len(d.decompress(chunk, 1 << 20))
                while d.unconsumed_tail and total <= limit:
                    total += len(d.decompress(d.unconsumed_tail, 1 << 20))
        except zlib.error:
            pass  # a torn stream: the reader reports it in its own words
        if total > limit:
            return True
    return False
