"""UndoManager: undo/redo of this peer's own edits on some containers.

    undo = tandem.UndoManager(doc, [doc.root.text("body")], capture_window_ms=500)
    ...edits...
    undo.undo()   # True if the document changed
    undo.redo()

Edits committed within `capture_window_ms` of each other form one step;
other peers' edits made in between are kept. Undo and redo are local
transactions with origin "undo" / "redo". Use it on the Doc's thread. It
belongs to its Doc: once the Doc is closed every call raises ClosedError.
"""

import ctypes
from ctypes import byref, c_int32, c_size_t

from . import _ffi
from .errors import check

lib = _ffi.lib


class UndoManager(_ffi.Owned):
    def __init__(self, doc, scope, *, capture_window_ms=500, max_steps=0):
        containers = list(scope)
        if not containers:
            raise ValueError("the scope holds no container")
        if not doc._ptr:
            raise ValueError("the Doc is closed")
        arr = (_ffi.Container * len(containers))(*[c._h for c in containers])
        opts = _ffi.UndoOptions()
        lib.tandem_undo_options_init(byref(opts))
        opts.capture_window_ms = capture_window_ms
        opts.max_steps = max_steps
        ptr = ctypes.c_void_p()
        check(lib.tandem_undo_new, byref(ptr), doc._ptr, arr, len(containers), byref(opts))
        self._ptr = ptr
        self._doc = doc  # the manager ends with its Doc; keep the Doc alive

    def _step(self, fn):
        changed = c_int32(0)
        check(fn, self._handle(), byref(changed))
        self._doc._raise_callback_error()
        return bool(changed.value)

    def _handle(self):
        if not self._ptr:
            raise ValueError("the UndoManager is closed")
        return self._ptr

    def undo(self):
        """Undoes the newest step; False if there was nothing to undo."""
        return self._step(lib.tandem_undo_undo)

    def redo(self):
        """Redoes the newest undone step; False if there was nothing to redo."""
        return self._step(lib.tandem_undo_redo)

    @property
    def can_undo(self):
        return self._counts()[0] > 0

    @property
    def can_redo(self):
        return self._counts()[1] > 0

    def _counts(self):
        u, r = c_size_t(0), c_size_t(0)
        check(lib.tandem_undo_counts, self._handle(), byref(u), byref(r))
        return u.value, r.value

    def stop_capturing(self):
        """The next edit starts a new step even inside the capture window."""
        check(lib.tandem_undo_stop_capturing, self._handle())

    def clear(self):
        check(lib.tandem_undo_clear, self._handle())

    def close(self):
        if self._ptr:
            lib.tandem_undo_free(self._ptr)
            self._ptr = None
