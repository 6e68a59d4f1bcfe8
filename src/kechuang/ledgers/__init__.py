"""Ledgers (台账): kinds declared as data, storage in ``ledger_records``, Excel/CSV import and
export with validation, enterprise profiles.

Public API: ``load_frame``, ``whole_frame`` (kept across requests), ``build_profiles`` (and
``profile_batches``, the same a batch of enterprises at a time), ``get_kind``, ``all_kinds``, ``import_file``,
``import_bytes``, ``LedgerRecord``.
"""

__all__ = ["Kind", "KindError", "LedgerRecord", "all_kinds", "build_profiles", "get_kind", "profile_batches",
           "import_bytes", "import_file", "load_frame", "whole_frame"]


def __getattr__(name):  # lazy: keep `import kechuang.ledgers` light (the command line starts fast)
    if name in ("Kind", "KindError", "all_kinds", "get_kind"):
        from . import kinds

        return getattr(kinds, name)
    if name in ("LedgerRecord", "load_frame"):
        from . import store

        return getattr(store, name)
    if name == "whole_frame":
        from .frames import whole_frame

        return whole_frame
    if name in ("build_profiles", "profile_batches"):
        from . import profiles

        return getattr(profiles, name)
    if name in ("import_file", "import_bytes"):
        from . import importer

        return getattr(importer, name)
    raise AttributeError(name)
