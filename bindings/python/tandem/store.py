"""Store: documents persisted in one SQLite file (update log, snapshots,
named versions). Thread-safe; close() (or `with`) releases the file lock."""

import ctypes
import dataclasses
from ctypes import byref, c_int64, c_uint64

from . import _ffi
from .doc import Doc, _doc_options
from .errors import check

lib = _ffi.lib


@dataclasses.dataclass(frozen=True)
class NamedVersion:
    id: int
    label: str
    created_ms: int
    upto_seq: int
    bytes: int


@dataclasses.dataclass(frozen=True)
class DocInfo:
    created_ms: int
    updated_ms: int
    last_seq: int
    log_rows: int
    log_bytes: int
    snapshot_seq: int
    snapshot_bytes: int
    versions: int
    outbox_rows: int
    outbox_bytes: int


def _name(name):
    if not isinstance(name, str):
        raise TypeError("document names are str")
    return name.encode("utf-8")


class Store(_ffi.Owned):
    """Store(path, sync="full"|"normal", create_if_missing=True, ...)."""

    def __init__(self, path, *, sync="full", create_if_missing=True, busy_timeout_ms=None,
                 max_batch=None, max_versions=None, max_version_age_ms=None,
                 compact_after_rows=None, compact_after_bytes=None):
        self._ptr = None
        o = _ffi.StoreOptions()
        lib.tandem_store_options_init(byref(o))
        if sync not in ("full", "normal"):
            raise ValueError("sync is 'full' or 'normal'")
        o.sync = 0 if sync == "full" else 1
        o.create_if_missing = 1 if create_if_missing else 0
        for field, value in (("busy_timeout_ms", busy_timeout_ms), ("max_batch", max_batch),
                             ("max_versions", max_versions),
                             ("max_version_age_ms", max_version_age_ms),
                             ("compact_after_rows", compact_after_rows),
                             ("compact_after_bytes", compact_after_bytes)):
            if value is not None:
                setattr(o, field, value)
        ptr = ctypes.c_void_p()
        check(lib.tandem_store_open, byref(ptr), str(path).encode("utf-8"), byref(o))
        self._ptr = ptr
        self.path = str(path)

    def close(self):
        """Commits queued writes, stops the store's threads, closes the file."""
        if self._ptr:
            lib.tandem_store_free(self._ptr)
            self._ptr = None

    def _call(self, fn, *args):
        if not self._ptr:
            raise ValueError("the Store is closed")
        check(fn, self._ptr, *args)

    def append(self, name, update):
        """Appends update bytes to document `name` (made on first append),
        durably. Returns the row's sequence number."""
        p, n = _ffi.in_bytes(update)
        seq = c_uint64()
        self._call(lib.tandem_store_append, _name(name), p, n, byref(seq))
        return seq.value

    def flush(self):
        self._call(lib.tandem_store_flush)

    def save(self, name, doc):
        """Appends the whole state of `doc` as one update (idempotent)."""
        self._call(lib.tandem_store_save_doc, _name(name), doc._ptr)

    def load(self, name, peer_id=0, **limits):
        """The document `name` as a new Doc; NotFoundError if it does not exist."""
        if not self._ptr:
            raise ValueError("the Store is closed")
        ptr = ctypes.c_void_p()
        check(lib.tandem_store_load_doc, byref(ptr), self._ptr, _name(name), peer_id,
              _doc_options(limits.get("max_depth"), limits.get("max_update_bytes"),
                           limits.get("max_pending_ops")))
        return Doc(_ptr=ptr)

    def compact(self, name):
        self._call(lib.tandem_store_compact, _name(name))

    def docs(self):
        """Document names, sorted."""
        out = _ffi.Strings()
        self._call(lib.tandem_store_list_docs, byref(out))
        try:
            return [ctypes.string_at(out.items[i].data, out.items[i].len).decode("utf-8")
                    for i in range(out.count)]
        finally:
            lib.tandem_strings_free(byref(out))

    def __iter__(self):
        return iter(self.docs())

    def __contains__(self, name):
        return name in self.docs()

    def delete(self, name):
        self._call(lib.tandem_store_delete_doc, _name(name))

    def info(self, name):
        out = _ffi.DocInfo()
        lib.tandem_doc_info_init(byref(out))
        self._call(lib.tandem_store_doc_info, _name(name), byref(out))
        return DocInfo(out.created_ms, out.updated_ms, out.last_seq, out.log_rows, out.log_bytes,
                       out.snapshot_seq, out.snapshot_bytes, out.versions, out.outbox_rows,
                       out.outbox_bytes)

    def inspect(self):
        """The human-readable listing of the file (`tandem inspect`)."""
        buf = _ffi.Buf()
        self._call(lib.tandem_store_inspect, byref(buf))
        return _ffi.buf_bytes(buf).decode("utf-8")

    def create_version(self, name, label):
        out = c_int64()
        self._call(lib.tandem_store_create_version, _name(name), label.encode("utf-8"),
                   byref(out))
        return out.value

    def versions(self, name):
        out = _ffi.NamedVersions()
        self._call(lib.tandem_store_list_versions, _name(name), byref(out))
        try:
            return [NamedVersion(v.id, v.label.decode("utf-8"), v.created_ms, v.upto_seq,
                                 v.bytes) for v in (out.items[i] for i in range(out.count))]
        finally:
            lib.tandem_named_versions_free(byref(out))

    def load_version(self, name, version_id, peer_id=0):
        if not self._ptr:
            raise ValueError("the Store is closed")
        ptr = ctypes.c_void_p()
        check(lib.tandem_store_load_version, byref(ptr), self._ptr, _name(name), version_id,
              peer_id, None)
        return Doc(_ptr=ptr)

    def delete_version(self, name, version_id):
        self._call(lib.tandem_store_delete_version, _name(name), version_id)
