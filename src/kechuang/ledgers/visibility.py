"""Confidential fields (``restricted: true`` in a kind, e.g. 保密信息, 联系电话): shown only to
users who may edit the record's region — officers of the owning region or a region above it,
and administrators. Everyone else sees the public part of the record with these fields blank."""

from __future__ import annotations

from typing import Any, Iterable

import polars as pl

from .kinds import Kind


def editable_codes(user) -> set[str] | None:
    """Region codes whose records ``user`` may edit: None = every region, empty = none."""
    from ..regions import registry

    if not user.can_write:
        return set()
    if user.is_admin or not user.region_code:
        return None
    return registry().subtree_codes(user.region_code)


def restricted_fields(kind: Kind) -> list[str]:
    return [f.id for f in kind.fields if f.restricted]


def _may_see(kind: Kind, record: dict, editable: set[str] | None) -> bool:
    return editable is None or (bool(kind.region_field) and record.get(kind.region_field) in editable)


def redact_records(kind: Kind, records: Iterable[dict[str, Any]], editable: set[str] | None) -> list[dict]:
    """Records with their confidential fields blanked where ``editable`` does not cover them."""
    hidden = restricted_fields(kind)
    out = []
    for r in records:
        if hidden and not _may_see(kind, r, editable):
            r = {**r, **{f: None for f in hidden if f in r}}
        out.append(r)
    return out


def redact_frame(kind: Kind, frame: pl.DataFrame, editable: set[str] | None) -> pl.DataFrame:
    """`redact_records` for a typed frame."""
    hidden = [f for f in restricted_fields(kind) if f in frame.columns]
    if not hidden or editable is None:
        return frame
    if not kind.region_field or kind.region_field not in frame.columns:
        return frame.with_columns([pl.lit(None, dtype=frame.schema[f]).alias(f) for f in hidden])
    ok = pl.col(kind.region_field).is_in(sorted(editable))
    return frame.with_columns([pl.when(ok).then(pl.col(f)).otherwise(None).alias(f) for f in hidden])


def may_see_restricted(user, kind: Kind, record: dict) -> bool:
    return _may_see(kind, record, editable_codes(user))
