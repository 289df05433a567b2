"""Doc and its containers: Map (a MutableMapping), List (a MutableSequence),
Text and Counter, plus change events, transactions and sticky positions.

A Doc is not thread-safe: use each one from one thread at a time. Observer
and update callbacks run synchronously, on the thread whose call made the
change; an exception raised in a callback is re-raised by that call once the
library has returned (the change itself stands).
"""

import collections.abc
import contextlib
import ctypes
import dataclasses
import json
from ctypes import byref, c_int32, c_int64, c_uint64

from . import _ffi
from .errors import NotFoundError, check

lib = _ffi.lib

MAP, LIST, TEXT, COUNTER = 1, 2, 3, 4
CODEPOINT, UTF16, UTF8 = 0, 1, 2
_UNITS = {"codepoint": CODEPOINT, "utf16": UTF16, "utf8": UTF8,
          CODEPOINT: CODEPOINT, UTF16: UTF16, UTF8: UTF8}
_STEP = {0: "retain", 1: "insert", 2: "delete"}
_ASSOC = {"after": 0, "before": 1}

# Registrations live here until the library says they ended (user_data_free),
# so a ctypes thunk is never released while the library may still call it.
_registrations = {}
_next_key = [1]


@_ffi.FREE_CB
def _release(user_data):
    if _registrations is not None:  # None during interpreter shutdown
        _registrations.pop(user_data or 0, None)


def _register(thunk):
    key = _next_key[0]
    _next_key[0] += 1
    _registrations[key] = thunk
    return key


def _unit(unit):
    try:
        return _UNITS[unit]
    except KeyError:
        raise ValueError(f"unknown unit {unit!r} (use 'codepoint', 'utf16' or 'utf8')") from None


def _key(key):
    if not isinstance(key, str):
        raise TypeError(f"map keys are str, not {type(key).__name__}")
    return key.encode("utf-8")


class Missing:
    """The absence of a map key in a KeyChange (never set or deleted)."""

    def __repr__(self):
        return "MISSING"


MISSING = Missing()


@dataclasses.dataclass(frozen=True)
class UnresolvedContainer:
    """A container value in an event whose handle is not known (an old value
    that was replaced). `kind` is "map", "list", "text" or "counter"."""
    kind: str


@dataclasses.dataclass
class Change:
    """What happened to one container in one transaction."""
    container: object
    path: str
    text_delta: list = dataclasses.field(default_factory=list)   # ("retain"|"delete", n) / ("insert", str)
    list_delta: list = dataclasses.field(default_factory=list)   # ("retain"|"delete", n) / ("insert", [values])
    keys: dict = dataclasses.field(default_factory=dict)         # key -> (old, new); MISSING if absent
    counter_delta: int = 0


@dataclasses.dataclass
class ChangeEvent:
    local: bool
    origin: str
    changes: list


@dataclasses.dataclass(frozen=True)
class ApplyResult:
    applied_ops: int
    pending_ops: int
    dropped_ops: int


class Subscription:
    """An observer registration; close() (or use as a context manager) ends it."""

    def __init__(self, doc, sub_id):
        self._doc = doc
        self.id = sub_id

    def close(self):
        if self._doc is not None and self._doc._ptr:
            self._doc._call(lib.tandem_doc_unobserve, self.id)
        self._doc = None

    unobserve = close

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class Transaction:
    """The context of `with doc.transaction(origin) as txn:`; after the block
    `txn.update` holds the update bytes it made (b"" if none)."""

    def __init__(self):
        self.update = None


@dataclasses.dataclass(frozen=True)
class StickyPosition:
    """A position in a Text or List that follows its element through
    concurrent edits. Valid with the Doc that made or decoded it."""
    _doc: object
    _raw: object

    @property
    def container(self):
        return self._doc._wrap(self._raw.container)

    def index(self, unit="codepoint"):
        """Its index now (in `unit` for a Text)."""
        out = c_uint64()
        self._doc._call(lib.tandem_doc_sticky_resolve, byref(self._raw), _unit(unit), byref(out))
        return out.value

    def encode(self):
        """Bytes any replica can decode with Doc.decode_sticky."""
        buf = _ffi.Buf()
        self._doc._call(lib.tandem_doc_sticky_encode, byref(self._raw), byref(buf))
        return _ffi.buf_bytes(buf)


class _ContainerBase:
    """A container of a Doc (keeps the Doc alive)."""

    kind = None

    def __init__(self, doc, handle):
        self._doc = doc
        self._h = handle

    @property
    def doc(self):
        return self._doc

    @property
    def path(self):
        """The JSON pointer of the container now; NotFoundError if unreachable."""
        buf = _ffi.Buf()
        self._doc._call(lib.tandem_doc_path_of, byref(self._h), byref(buf))
        return _ffi.buf_bytes(buf).decode("utf-8")

    def to_json(self):
        return self._doc.to_json(self)

    def to_py(self):
        """The content as plain Python (dict/list/str/int/...)."""
        return json.loads(self.to_json())

    def observe(self, callback, deep=False):
        return self._doc.observe(self, callback, deep=deep)

    def __eq__(self, other):
        if isinstance(other, _ContainerBase):
            return other._doc is self._doc and other._h.index == self._h.index
        if isinstance(self, Map) and isinstance(other, collections.abc.Mapping):
            return dict(self.items()) == dict(other.items())
        if (isinstance(self, List) and isinstance(other, collections.abc.Sequence)
                and not isinstance(other, (str, bytes))):
            return list(self) == list(other)
        return NotImplemented

    def __hash__(self):
        return hash((id(self._doc), self._h.index))

    def __repr__(self):
        return f"<tandem.{type(self).__name__} #{self._h.index} {self.to_json()}>"


class Map(_ContainerBase, collections.abc.MutableMapping):
    """A map: str keys -> values (None, bool, int, float, str, bytes, or a
    nested container). m[k] = v writes scalars; m.map(k) / m.list(k) /
    m.text(k) / m.counter(k) get or create a nested container."""

    kind = "map"

    def __getitem__(self, key):
        out = _ffi.Value()
        try:
            self._doc._call(lib.tandem_map_get, byref(self._h), _key(key), byref(out))
        except NotFoundError:
            raise KeyError(key) from None
        return self._doc._owned_value(out)

    def __setitem__(self, key, value):
        v, _keep = _to_c(value)
        self._doc._call(lib.tandem_map_set, byref(self._h), _key(key), byref(v))

    def __delitem__(self, key):
        try:
            self._doc._call(lib.tandem_map_delete, byref(self._h), _key(key))
        except NotFoundError:
            raise KeyError(key) from None

    def __contains__(self, key):
        if not isinstance(key, str):
            return False
        out = c_int32()
        self._doc._call(lib.tandem_map_has, byref(self._h), _key(key), byref(out))
        return out.value == 1

    def __len__(self):
        out = c_uint64()
        self._doc._call(lib.tandem_map_len, byref(self._h), byref(out))
        return out.value

    def __iter__(self):
        return iter(self.keys_list())

    def keys_list(self):
        out = _ffi.Strings()
        self._doc._call(lib.tandem_map_keys, byref(self._h), byref(out))
        try:
            return [ctypes.string_at(out.items[i].data, out.items[i].len).decode("utf-8")
                    for i in range(out.count)]
        finally:
            lib.tandem_strings_free(byref(out))

    def _child(self, key, kind):
        out = _ffi.Container()
        self._doc._call(lib.tandem_map_get_or_create, byref(self._h), _key(key), kind, byref(out))
        return self._doc._wrap(out)

    def map(self, key):
        return self._child(key, MAP)

    def list(self, key):
        return self._child(key, LIST)

    def text(self, key):
        return self._child(key, TEXT)

    def counter(self, key):
        return self._child(key, COUNTER)


class List(_ContainerBase, collections.abc.MutableSequence):
    """A list of values and nested containers (negative indices and slices
    work as for Python lists)."""

    kind = "list"

    def __len__(self):
        out = c_uint64()
        self._doc._call(lib.tandem_list_len, byref(self._h), byref(out))
        return out.value

    def _index(self, i, n, insert=False):
        if not isinstance(i, int):
            raise TypeError(f"list indices are int, not {type(i).__name__}")
        if i < 0:
            i += n
        if insert:
            return min(max(i, 0), n)
        if not 0 <= i < n:
            raise IndexError("list index out of range")
        return i

    def __getitem__(self, i):
        n = len(self)
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(n))]
        out = _ffi.Value()
        self._doc._call(lib.tandem_list_get, byref(self._h), self._index(i, n), byref(out))
        return self._doc._owned_value(out)

    def __setitem__(self, i, value):
        if isinstance(i, slice):
            raise TypeError("slice assignment is not supported; delete and insert")
        n = len(self)
        i = self._index(i, n)
        with self._doc._maybe_transaction():
            del self[i]
            self.insert(i, value)

    def __delitem__(self, i):
        n = len(self)
        if isinstance(i, slice):
            idx = sorted(range(*i.indices(n)), reverse=True)
            with self._doc._maybe_transaction():
                for k in idx:
                    self._doc._call(lib.tandem_list_delete, byref(self._h), k, 1)
            return
        self._doc._call(lib.tandem_list_delete, byref(self._h), self._index(i, n), 1)

    def insert(self, i, value):
        i = self._index(i, len(self), insert=True)
        v, _keep = _to_c(value)
        self._doc._call(lib.tandem_list_insert, byref(self._h), i, byref(v), 1)

    def append(self, value):
        v, _keep = _to_c(value)
        self._doc._call(lib.tandem_list_push, byref(self._h), byref(v))

    def extend(self, values):
        values = list(values)
        if not values:
            return
        arr = (_ffi.Value * len(values))()
        keep = []
        for k, value in enumerate(values):
            arr[k], kk = _to_c(value)
            keep.append(kk)
        self._doc._call(lib.tandem_list_insert, byref(self._h), len(self), arr, len(values))

    def insert_container(self, i, kind):
        """Inserts a new container ("map", "list", "text", "counter") at i."""
        kinds = {"map": MAP, "list": LIST, "text": TEXT, "counter": COUNTER}
        if kind not in kinds:
            raise ValueError(f"unknown container kind {kind!r}")
        out = _ffi.Container()
        i = self._index(i, len(self), insert=True)
        self._doc._call(lib.tandem_list_insert_container, byref(self._h), i, kinds[kind],
                        byref(out))
        return self._doc._wrap(out)

    def append_container(self, kind):
        return self.insert_container(len(self), kind)

    def sticky(self, index, assoc="before"):
        return self._doc.sticky_at(self, index, assoc=assoc)


class Text(_ContainerBase):
    """Collaborative text. Indices count code points by default (the same as
    Python str indices); pass unit="utf16" or "utf8" to count otherwise."""

    kind = "text"

    def __str__(self):
        buf = _ffi.Buf()
        self._doc._call(lib.tandem_text_read, byref(self._h), byref(buf))
        return _ffi.buf_bytes(buf).decode("utf-8")

    def __len__(self):
        return self.length()

    def length(self, unit="codepoint"):
        out = c_uint64()
        self._doc._call(lib.tandem_text_len, byref(self._h), _unit(unit), byref(out))
        return out.value

    def insert(self, index, text, unit="codepoint"):
        data = text.encode("utf-8")
        self._doc._call(lib.tandem_text_insert, byref(self._h), index, _unit(unit), data,
                        len(data))

    def append(self, text):
        self.insert(self.length(), text)

    def delete(self, index, count, unit="codepoint"):
        self._doc._call(lib.tandem_text_delete, byref(self._h), index, count, _unit(unit))

    def convert_index(self, index, from_unit, to_unit):
        out = c_uint64()
        self._doc._call(lib.tandem_text_convert_index, byref(self._h), index, _unit(from_unit),
                        _unit(to_unit), byref(out))
        return out.value

    def sticky(self, index, assoc="before", unit="codepoint"):
        return self._doc.sticky_at(self, index, assoc=assoc, unit=unit)

    def __eq__(self, other):
        if isinstance(other, str):
            return str(self) == other
        return super().__eq__(other)

    __hash__ = _ContainerBase.__hash__


class Counter(_ContainerBase):
    """An int64 of commuting adds (wrapping at 64 bits)."""

    kind = "counter"

    def add(self, delta=1):
        self._doc._call(lib.tandem_counter_add, byref(self._h), delta)

    @property
    def value(self):
        out = c_int64()
        self._doc._call(lib.tandem_counter_value, byref(self._h), byref(out))
        return out.value

    def __int__(self):
        return self.value

    def __iadd__(self, delta):
        self.add(delta)
        return self


_WRAPPERS = {MAP: Map, LIST: List, TEXT: Text, COUNTER: Counter}
_KIND_NAMES = {MAP: "map", LIST: "list", TEXT: "text", COUNTER: "counter"}


def _to_c(value):
    """A C value for a Python scalar, plus what must stay alive with it."""
    v = _ffi.Value()
    keep = None
    if value is None:
        v.type = 0
    elif isinstance(value, bool):
        v.type, v.bool_value = 1, int(value)
    elif isinstance(value, int):
        if not -(1 << 63) <= value < (1 << 63):
            raise OverflowError("int does not fit in 64 bits")
        v.type, v.int_value = 2, value
    elif isinstance(value, float):
        v.type, v.double_value = 3, value
    elif isinstance(value, (str, bytes, bytearray, memoryview)):
        is_str = isinstance(value, str)
        keep = value.encode("utf-8") if is_str else bytes(value)
        v.type = 4 if is_str else 5
        v.data = ctypes.cast(ctypes.c_char_p(keep), ctypes.c_void_p).value
        v.len = len(keep)
    elif isinstance(value, _ContainerBase):
        raise TypeError("containers are created with Map.map()/list()/text()/counter() or "
                        "List.insert_container(), not assigned")
    else:
        raise TypeError(f"cannot store a {type(value).__name__} in a tandem document")
    return v, keep


class Doc(_ffi.Owned):
    """A replica of one document. `Doc(peer_id=0)` picks a random peer id.

    Use `with doc.transaction("origin"):` to group edits into one update and
    one event; `doc.root` is the root Map. Call close() (or use the Doc as a
    context manager) to release it deterministically."""

    def __init__(self, peer_id=0, *, max_depth=None, max_update_bytes=None,
                 max_pending_ops=None, _ptr=None):
        self._callback_error = None
        if _ptr is not None:
            self._ptr = _ptr
            return
        self._ptr = None
        ptr = ctypes.c_void_p()
        check(lib.tandem_doc_new, byref(ptr), peer_id,
              _doc_options(max_depth, max_update_bytes, max_pending_ops))
        self._ptr = ptr

    @classmethod
    def from_snapshot(cls, data, peer_id=0, **limits):
        ptr = ctypes.c_void_p()
        p, n = _ffi.in_bytes(data)
        check(lib.tandem_doc_new_from_snapshot, byref(ptr), p, n, peer_id,
              _doc_options(limits.get("max_depth"), limits.get("max_update_bytes"),
                           limits.get("max_pending_ops")))
        return cls(_ptr=ptr)

    # ---- lifetime
    def close(self):
        if self._ptr:
            lib.tandem_doc_free(self._ptr)
            self._ptr = None

    def _call(self, fn, *args):
        if not self._ptr:
            raise ValueError("the Doc is closed")
        check(fn, self._ptr, *args)
        self._raise_callback_error()

    def _raise_callback_error(self):
        if self._callback_error is not None:
            e, self._callback_error = self._callback_error, None
            raise e

    def _wrap(self, handle):
        h = _ffi.Container(handle.doc_id, handle.index, handle.type)
        return _WRAPPERS[h.type](self, h)

    def _value(self, v):
        """A C value (borrowed) as Python."""
        t = v.type
        if t == 0:
            return None
        if t == 1:
            return bool(v.bool_value)
        if t == 2:
            return v.int_value
        if t == 3:
            return v.double_value
        if t in (4, 5):
            data = ctypes.string_at(v.data, v.len) if v.len else b""
            return data.decode("utf-8") if t == 4 else data
        if t == 6:
            if v.container.doc_id == 0:
                return UnresolvedContainer(_KIND_NAMES.get(v.container.type, "?"))
            return self._wrap(v.container)
        raise ValueError(f"unknown value type {t}")

    def _owned_value(self, v):
        try:
            return self._value(v)
        finally:
            lib.tandem_value_clear(byref(v))

    # ---- basics
    @property
    def peer_id(self):
        out = c_uint64()
        self._call(lib.tandem_doc_peer_id, byref(out))
        return out.value

    @property
    def root(self):
        out = _ffi.Container()
        self._call(lib.tandem_doc_root, byref(out))
        return self._wrap(out)

    def __getitem__(self, key):
        return self.root[key]

    # ---- transactions
    @contextlib.contextmanager
    def transaction(self, origin=""):
        """Groups the edits of the block into one update and one event. There
        is no rollback: on an exception the edits made so far are committed
        and the exception propagates."""
        txn = Transaction()
        self._call(lib.tandem_doc_begin_transaction, origin.encode("utf-8"))
        try:
            yield txn
        finally:
            buf = _ffi.Buf()
            self._call(lib.tandem_doc_commit_transaction, byref(buf))
            txn.update = _ffi.buf_bytes(buf)

    @property
    def in_transaction(self):
        out = c_int32()
        self._call(lib.tandem_doc_in_transaction, byref(out))
        return out.value == 1

    @contextlib.contextmanager
    def _maybe_transaction(self):
        if self.in_transaction:
            yield
        else:
            with self.transaction():
                yield

    # ---- JSON and paths
    def to_json(self, container=None):
        buf = _ffi.Buf()
        self._call(lib.tandem_doc_to_json, byref(container._h) if container else None, byref(buf))
        return _ffi.buf_bytes(buf).decode("utf-8")

    def to_py(self):
        return json.loads(self.to_json())

    def resolve(self, path):
        """The container at JSON pointer `path` ("" = root); NotFoundError
        if there is none."""
        out = _ffi.Container()
        self._call(lib.tandem_doc_resolve, path.encode("utf-8"), byref(out))
        return self._wrap(out)

    # ---- events
    def observe(self, container, callback, deep=False):
        """Calls callback(ChangeEvent) after each transaction that changed
        `container` (with deep=True: or anything inside it). Returns a
        Subscription."""
        def on_change(_user_data, ev_p):
            try:
                callback(self._event(ev_p.contents))
            except BaseException as e:  # re-raised by the call that made the change
                if self._callback_error is None:
                    self._callback_error = e

        thunk = _ffi.CHANGE_CB(on_change)
        key = _register(thunk)
        sub_id = c_uint64()
        try:
            self._call(lib.tandem_doc_observe, byref(container._h), 1 if deep else 0, thunk,
                       key, _release, byref(sub_id))
        except BaseException:
            _registrations.pop(key, None)
            raise
        return Subscription(self, sub_id.value)

    def on_update(self, callback):
        """Calls callback(update: bytes) with each local transaction's update
        (what a sync client sends). None removes the listener."""
        if callback is None:
            self._call(lib.tandem_doc_set_update_listener, _ffi.UPDATE_CB(), None, _ffi.FREE_CB())
            return

        def on_update(_user_data, data, n):
            try:
                callback(ctypes.string_at(data, n))
            except BaseException as e:
                if self._callback_error is None:
                    self._callback_error = e

        thunk = _ffi.UPDATE_CB(on_update)
        key = _register(thunk)
        try:
            self._call(lib.tandem_doc_set_update_listener, thunk, key, _release)
        except BaseException:
            _registrations.pop(key, None)
            raise

    def _event(self, ev):
        origin = ctypes.string_at(ev.origin, ev.origin_len).decode("utf-8") if ev.origin_len else ""
        changes = []
        for i in range(ev.change_count):
            ch = ev.changes[i]
            path = ctypes.string_at(ch.path, ch.path_len).decode("utf-8") if ch.path_len else ""
            c = Change(self._wrap(ch.container), path)
            for k in range(ch.text_step_count):
                s = ch.text_steps[k]
                if s.kind == 1:
                    c.text_delta.append(("insert", ctypes.string_at(s.text, s.len).decode("utf-8")))
                else:
                    c.text_delta.append((_STEP[s.kind], s.count))
            for k in range(ch.list_step_count):
                s = ch.list_steps[k]
                if s.kind == 1:
                    c.list_delta.append(("insert", [self._value(s.values[j])
                                                    for j in range(s.count)]))
                else:
                    c.list_delta.append((_STEP[s.kind], s.count))
            for k in range(ch.key_count):
                kc = ch.keys[k]
                key = ctypes.string_at(kc.key, kc.key_len).decode("utf-8")
                old = self._value(kc.old_value) if kc.had_old else MISSING
                new = self._value(kc.new_value) if kc.has_new else MISSING
                c.keys[key] = (old, new)
            c.counter_delta = ch.counter_delta
            changes.append(c)
        return ChangeEvent(bool(ev.local), origin, changes)

    # ---- sync
    @property
    def version(self):
        """The version vector as bytes (16 bytes per peer; see tandem.h)."""
        buf = _ffi.Buf()
        self._call(lib.tandem_doc_version, byref(buf))
        return _ffi.buf_bytes(buf)

    def encode_update(self, since=None):
        """What a replica at version `since` (bytes; None = nothing) lacks."""
        p, n = _ffi.in_bytes(since)
        buf = _ffi.Buf()
        self._call(lib.tandem_doc_encode_update, p, n, byref(buf))
        return _ffi.buf_bytes(buf)

    def apply_update(self, update, origin="remote"):
        p, n = _ffi.in_bytes(update)
        r = _ffi.ApplyResult()
        lib.tandem_apply_result_init(byref(r))
        self._call(lib.tandem_doc_apply_update, p, n, origin.encode("utf-8"), byref(r))
        return ApplyResult(r.applied_ops, r.pending_ops, r.dropped_ops)

    @property
    def pending_ops(self):
        out = c_uint64()
        self._call(lib.tandem_doc_pending_ops, byref(out))
        return out.value

    def snapshot(self):
        buf = _ffi.Buf()
        self._call(lib.tandem_doc_encode_snapshot, byref(buf))
        return _ffi.buf_bytes(buf)

    @property
    def memory_usage(self):
        out = c_uint64()
        self._call(lib.tandem_doc_memory_usage, byref(out))
        return out.value

    # ---- sticky positions
    def sticky_at(self, container, index, assoc="before", unit="codepoint"):
        if assoc not in _ASSOC:
            raise ValueError("assoc is 'before' or 'after'")
        raw = _ffi.Sticky()
        self._call(lib.tandem_doc_sticky_at, byref(container._h), index, _unit(unit),
                   _ASSOC[assoc], byref(raw))
        return StickyPosition(self, raw)

    def decode_sticky(self, data):
        p, n = _ffi.in_bytes(data)
        raw = _ffi.Sticky()
        self._call(lib.tandem_doc_sticky_decode, p, n, byref(raw))
        return StickyPosition(self, raw)


def _doc_options(max_depth, max_update_bytes, max_pending_ops):
    if max_depth is None and max_update_bytes is None and max_pending_ops is None:
        return None
    o = _ffi.DocOptions()
    lib.tandem_doc_options_init(byref(o))
    if max_depth is not None:
        o.max_depth = max_depth
    if max_update_bytes is not None:
        o.max_update_bytes = max_update_bytes
    if max_pending_ops is not None:
        o.max_pending_ops = max_pending_ops
    return byref(o)
