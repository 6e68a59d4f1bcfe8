"""Decoded ledger frames kept across requests: one typed frame per kind (`whole_frame`), shared
between worker processes through Parquet files, and brought up to date record by record after the
small changes of a working day (an import of a few rows, one edit) instead of decoded again."""

from __future__ import annotations

import threading
import weakref
from functools import lru_cache
from pathlib import Path
from typing import Callable, Iterable, Mapping

import polars as pl

_FRAMES: dict[tuple, tuple] = {}  # key -> (version, frame, change mark, fields held or None for all)
_FRAMES_LOCK = threading.Lock()


def _ledger_version(engine, kind: str, versions: Mapping[str, int] | None = None) -> tuple:
    """Changes whenever a record of the kind is added, changed or removed: the shared data versions
    of the kind's own writes, of writes to ledger_records that name no kind, and of raw writes
    (`kechuang.db`; ``versions``: as the caller read them); before those are kept, the count and
    latest change of the kind's records."""
    from sqlalchemy import text

    from ..db import ANY_SOURCE, data_versions, ledger_source

    if versions:
        return ("v", versions.get(ledger_source(kind), 0), versions.get("ledger_records", 0),
                versions.get(ANY_SOURCE, 0))
    with engine.connect() as conn:
        v = data_versions(conn)
        if v is not None:
            return ("v", v.get(ledger_source(kind), 0), v.get("ledger_records", 0), v.get(ANY_SOURCE, 0))
        row = conn.execute(text("SELECT COUNT(*), MAX(updated_at), MAX(id) FROM ledger_records WHERE kind = :k"),
                           {"k": kind}).one()
    return tuple(str(v) for v in row)


def _only_own_writes(old: tuple, new: tuple) -> bool:
    """Whether the kind changed since `old` only through writes that name it (inserts and updates,
    which `changes_since` finds), not through deletions or writes of unknown source."""
    return old[0] == new[0] == "v" and old[2:] == new[2:]


def _mark(engine, kind: str) -> tuple:
    from .store import change_mark

    with engine.connect() as conn:
        return change_mark(conn, kind)


def _updated(engine, kind: str, frame: pl.DataFrame, mark: tuple) -> tuple[pl.DataFrame, tuple] | None:
    """`frame` brought up to date with the records changed since `mark`, or None when the result
    does not hold every record of the kind (then the whole kind is loaded again)."""
    from .store import apply_changes, changes_since

    new_mark = _mark(engine, kind)
    with engine.connect() as conn:
        changes = changes_since(conn, kind, mark)
    try:
        frame = apply_changes(frame, changes)
    except (pl.exceptions.PolarsError, ValueError):  # a field changed type: decode afresh
        return None
    return (frame, new_mark) if frame.height == new_mark[2] else None


_LOADING: dict[tuple, threading.Lock] = {}


def _disk_cache_dir(engine) -> Path:
    """Where decoded ledger frames are kept between processes: under KECHUANG_CACHE_DIR when set,
    else beside a SQLite file, else under var/."""
    from ..settings import cache_dir, get_settings

    if cache_dir() is not None:
        return cache_dir() / "ledger-frames"
    url = engine.url
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        return Path(url.database).resolve().parent / "cache" / "ledger-frames"
    return get_settings().var_dir / "cache" / "ledger-frames"


def columns_of(kind: str, fields: Iterable[str] | None) -> frozenset[str]:
    """The columns a kept frame of ``kind`` has when it holds ``fields`` (None: every field)."""
    return _columns_of(kind, None if fields is None else frozenset(fields))


@lru_cache(maxsize=512)  # every read of a kept frame asks; the kinds are fixed for the process
def _columns_of(kind: str, fields: frozenset[str] | None) -> frozenset[str]:
    from .kinds import get_kind
    from .store import META_SCHEMA, PROJECTED_META

    meta = set(META_SCHEMA) - {"data"}
    every = {f.id for f in get_kind(kind).fields} | meta
    if fields is None:
        return frozenset(every)
    return frozenset(set(PROJECTED_META) | (set(fields) & every))


_META_KEY = "kechuang-ledger-frame"  # Parquet metadata: the database, data version and change mark of a file


def _frame_from_disk_or_db(engine, kind: str, version: tuple, fields: frozenset[str] | None,
                           mark_of) -> tuple[pl.DataFrame, tuple | None]:
    """The decoded frame of a ledger kind at `version` holding ``fields`` (None: all) and its change
    mark, shared through a Parquet file so other worker processes and restarts skip decoding the
    JSON records again; a file with more columns than asked serves the columns asked, and holds the
    mark it was made at (so a worker starting need not count the kind's records for it). Without a
    file of this version, the file of an earlier one is brought up to date when the kind changed
    since only by inserts and edits (`_caught_up`). ``mark_of()``: reads the kind's change mark
    (None where the data versions are not kept)."""
    import hashlib

    from ..cache import file_lock
    from .store import load_frame

    if engine.url.get_backend_name() == "sqlite" and engine.url.database in (None, "", ":memory:"):
        mark = mark_of()
        return load_frame(engine, kind, fields=fields), mark
    tag = hashlib.sha1(repr((str(engine.url), kind, version)).encode()).hexdigest()[:20]
    folder = _disk_cache_dir(engine)
    path = folder / f"{kind}-{tag}.parquet"
    wanted = columns_of(kind, fields)
    found = _read_kept(path, version, wanted, mark_of)
    if found is not None:
        return found
    with file_lock(folder / f"{kind}.lock"):  # workers take turns: one decodes, the others read its file
        return _read_kept(path, version, wanted, mark_of) or _written(engine, kind, version, fields, mark_of, path)


def _read_kept(path: Path, version: tuple, wanted: frozenset[str], mark_of
               ) -> tuple[pl.DataFrame, tuple | None] | None:
    """The columns ``wanted`` of the kept file ``path`` and its change mark, or None when the file
    is missing, damaged or holds fewer columns."""
    if not path.exists():
        return None
    try:
        have = pl.read_parquet_schema(path)
        if wanted <= set(have):
            kept = _file_meta(path).get("mark")
            mark = tuple(kept) if kept and version[0] == "v" else mark_of()  # read before the frame
            return pl.read_parquet(path, columns=[c for c in have if c in wanted]), mark
    except Exception:  # a damaged file is only a cache: decode again
        pass
    return None


def _written(engine, kind: str, version: tuple, fields: frozenset[str] | None, mark_of, path: Path
             ) -> tuple[pl.DataFrame, tuple | None]:
    """The frame decoded (or brought up to date) and kept as ``path``, with its change mark."""
    from ..cache import keep_file
    from .store import load_frame

    wanted = columns_of(kind, fields)
    caught = _caught_up(engine, kind, path.parent, version, wanted) if version[0] == "v" else None
    if caught is not None:
        frame, mark = caught
    else:
        mark = mark_of()  # read before the frame
        frame = load_frame(engine, kind, fields=fields)
    if mark is not None:
        import json

        meta = {_META_KEY: json.dumps({"url": str(engine.url), "version": list(version),
                                       "mark": [None if mark[0] is None else str(mark[0]), *mark[1:]]})}
        keep_file(path, lambda tmp: frame.write_parquet(tmp, metadata=meta), f"{kind}-*.parquet")
    else:
        keep_file(path, frame.write_parquet, f"{kind}-*.parquet")
    return frame, mark


def _file_meta(path: Path) -> dict:
    """What a kept frame file says of itself (database, version, change mark); empty when nothing."""
    import json

    return json.loads(pl.read_parquet_metadata(path).get(_META_KEY) or "null") or {}


def _caught_up(engine, kind: str, folder: Path, version: tuple, wanted: frozenset[str]
               ) -> tuple[pl.DataFrame, tuple] | None:
    """A kept file of the kind from an earlier data version of this database, with the records
    inserted or edited since put in (`_updated`), and its new change mark; None when there is no
    such file or the kind changed otherwise (a deletion, a write of unknown source)."""
    for old in folder.glob(f"{kind}-*.parquet"):
        try:
            meta = _file_meta(old)
            if meta.get("url") != str(engine.url) or not _only_own_writes(tuple(meta["version"]), version):
                continue
            have = pl.read_parquet_schema(old)
            if not wanted <= set(have):
                continue
            frame = pl.read_parquet(old, columns=[c for c in have if c in wanted])
        except Exception:  # a damaged or foreign file is only a cache
            continue
        return _updated(engine, kind, frame, tuple(meta["mark"]))
    return None


def whole_frame(engine, kind: str, fields: Iterable[str] | None = None,
                versions: Mapping[str, int] | None = None) -> pl.DataFrame:
    """Every record of a ledger kind, decoded once and kept across requests in this process (and as
    a Parquet file for other processes). ``fields``: the fields the caller reads (None: all of them;
    the id and region always come); the frame kept holds the
    fields asked for so far, one copy per kind that every reader shares, and may hold more columns
    than asked. After a change that only adds or edits records of the kind (an import, an edit),
    the kept frame is updated with the changed records instead of decoded again; any other change
    (a deletion, a write of unknown source) decodes the kind afresh. ``versions``: the data
    versions (`kechuang.db.data_versions`) the caller read for several kinds at once."""
    key = (str(engine.url), kind)
    with _FRAMES_LOCK:
        loading = _LOADING.setdefault(key, threading.Lock())
    wanted = columns_of(kind, fields)
    with loading:  # one decode per kind at a time; the others wait and reuse it
        version = _ledger_version(engine, kind, versions)
        with _FRAMES_LOCK:
            hit = _FRAMES.get(key)
        covers = hit is not None and wanted <= set(hit[1].columns)
        if covers and hit[0] == version:
            return hit[1]
        updated = None
        if covers and hit[2] is not None and _only_own_writes(hit[0], version):
            updated = _updated(engine, kind, hit[1], hit[2])
        if updated is not None:
            (frame, mark), held = updated, hit[3]
        else:
            # the fields asked before stay: one frame per kind serves every reader
            held = None if fields is None or (hit is not None and hit[3] is None) else \
                frozenset(fields) | (hit[3] if hit is not None else frozenset())
            frame, mark = _frame_from_disk_or_db(engine, kind, version, held,
                                                 lambda: _mark(engine, kind) if version[0] == "v" else None)
        with _FRAMES_LOCK:
            if len(_FRAMES) > 64:
                _FRAMES.clear()
            _FRAMES[key] = (version, frame, mark, held)
        return frame


def kept_version(engine, kind: str, frame: pl.DataFrame) -> tuple | None:
    """The data version of the kind's kept frame when ``frame`` is that frame (None otherwise)."""
    with _FRAMES_LOCK:
        hit = _FRAMES.get((str(engine.url), kind))
    return hit[0] if hit is not None and hit[1] is frame else None


def certificates(conn, region_codes: set[str] | None = None) -> pl.DataFrame:
    """The certification ledger's records with the fields its validity rule reads (and the id,
    region and credit code): the frame kept across requests, cut to ``region_codes`` (None:
    all), unless this transaction has written data it must see."""
    from .store import load_frame
    from .validity import rule_fields

    if conn.info.get("kc_data_changed"):
        return load_frame(conn, "certification", region_codes)
    cert = whole_frame(conn.engine, "certification", [*rule_fields(), "uscc"])
    return cert if region_codes is None else cert.filter(pl.col("region_code").is_in(sorted(region_codes)))


NAME_FIELDS = ("uscc", "name")  # what `kept_names` reads of the enterprise ledger


def name_lookup(conn) -> Callable[[Iterable[str]], dict[str, str]]:
    """A function USCCs → their enterprise names (absent when not recorded), reading the enterprise
    frame kept across requests (its Parquet file shared by the workers), so naming many enterprises
    costs a binary search, not thousands of look-ups; unless this transaction has written data it must see
    (then the database, through ``conn``, while its transaction lasts)."""
    from .store import enterprise_names

    if conn.info.get("kc_data_changed"):
        return lambda usccs: enterprise_names(conn, usccs)
    from ..cache import transaction_versions

    # the versions a request read as it began, rather than a connection of its own to read them
    codes, named = _named(whole_frame(conn.engine, "enterprise", NAME_FIELDS, versions=transaction_versions(conn)))

    def names(usccs: Iterable[str]) -> dict[str, str]:
        import numpy as np

        asked = sorted({u for u in usccs if u})
        if not len(codes) or not asked:
            return {}
        wanted = np.array([u.encode() for u in asked])
        at = np.searchsorted(codes, wanted).clip(0, len(codes) - 1)
        hit = codes[at] == wanted
        return dict(zip((u for u, h in zip(asked, hit.tolist()) if h), named.take(at[hit])))

    return names


# [a weak reference to the enterprise frame, (its credit codes, sorted, as UTF-8 bytes; their names)]:
# the newest frame's, without holding a replaced frame alive
_NAMED: list = []


def _named(ent: pl.DataFrame):
    """The enterprise frame's credit codes with a name (one per code, the last) sorted as a NumPy
    array, and their names in that order: built once per kept frame, so naming a page of
    enterprises is a binary search in this thread rather than a pass over every enterprise."""
    import numpy as np

    with _FRAMES_LOCK:
        if _NAMED and _NAMED[0]() is ent:
            return _NAMED[1]
    named = (ent.select("uscc", "name")
             .filter(pl.col("uscc").is_not_null() & pl.col("name").is_not_null() & (pl.col("name") != ""))
             .unique("uscc", keep="last", maintain_order=True))
    codes = np.array([u.encode() for u in named.get_column("uscc").to_list()] or [b""])[:named.height]
    order = np.argsort(codes, kind="stable")
    kept = (codes[order], _Texts(named.get_column("name").gather(order).to_list()))
    with _FRAMES_LOCK:
        _NAMED[:] = [weakref.ref(ent), kept]
    return kept


class _Texts:
    """Many strings in one UTF-8 buffer with their offsets: a page takes its hundred by position
    in tens of microseconds, where a Polars ``gather`` on a cache-cold column cost a quarter to
    half a millisecond (a Series method runs as a query), and a million names take about half the
    memory of as many Python strings."""

    def __init__(self, texts: list[str]):
        import numpy as np

        encoded = [t.encode() for t in texts]
        self._buf = b"".join(encoded)
        self._ends = np.cumsum(np.fromiter((len(b) for b in encoded), dtype=np.int64, count=len(encoded)))

    def __len__(self) -> int:
        return len(self._ends)

    def take(self, positions) -> list[str]:
        """The texts at ``positions`` (integers, a NumPy array or a list), in that order."""
        import numpy as np

        at = np.asarray(positions, dtype=np.int64)
        ends = self._ends[at]
        starts = np.where(at > 0, self._ends[at - 1], 0)
        buf = self._buf
        return [buf[a:b].decode() for a, b in zip(starts.tolist(), ends.tolist())]


def warm_names(engine) -> None:
    """The enterprise names' look-up (`name_lookup`) made before the first list page needs it: at a
    million enterprises, sorting their credit codes takes a second."""
    with engine.connect() as conn:
        name_lookup(conn)


def kept_names(conn, usccs: Iterable[str]) -> dict[str, str]:
    """USCC → enterprise name (absent when not recorded): `name_lookup` once."""
    return name_lookup(conn)(usccs)
