"""Server and Client: the sync server embedded in Python, and clients that
keep `Doc`s in sync with it (tandem.h, "Servers" and "Clients").

Threads: the server and each client run a network thread of their own (in
the library, outside the GIL). A client never touches a bound `Doc` from its
network thread: remote changes are applied when this thread takes the events
that announce them (`poll_event`, `events`, `process`, `wait_until`). The
event fd (`fileno()`) is readable while events are pending, so a Client can
sit in `select`/`selectors`/asyncio's `add_reader`.

The server's `auth` callable runs on the server's network thread (Python
takes the GIL for it): keep it quick and do not call the Server from it.
"""

import ctypes
import dataclasses
import select
import time
from ctypes import byref, c_int, c_int32, c_uint16, c_uint32, c_uint64

from . import _ffi
from .doc import Doc
from .errors import check, error_from

lib = _ffi.lib

_PERMISSIONS = {"none": 0, "read": 1, "write": 2, None: 0, False: 0, True: 2}
PERMISSION_NAMES = {0: "none", 1: "read", 2: "write"}
STATUS_NAMES = {0: "offline", 1: "connecting", 2: "online", 3: "synced"}
EVENT_NAMES = {1: "status", 2: "synced", 3: "remote_change", 4: "acked", 5: "awareness",
               6: "permission", 7: "error", 8: "epoch_changed"}
LOG_LEVELS = {"none": 0, "error": 1, "warn": 2, "notice": 3}


def set_network_log_level(level):
    """What libwebsockets logs to stderr, process-wide: "none", "error",
    "warn" or "notice" (its default)."""
    if level not in LOG_LEVELS:
        raise ValueError("level is one of " + ", ".join(LOG_LEVELS))
    check(lib.tandem_set_network_log_level, LOG_LEVELS[level])


def _utf8(s, what):
    if not isinstance(s, str):
        raise TypeError(f"{what} must be str")
    return s.encode("utf-8")


class Server:
    """Server(db_path, *, host="127.0.0.1", port=0, static_dir=None,
    auth=None, sync="full", host_driven=False, **limits) — a sync server on
    its own thread, or driven by the caller's loop.

    `auth(token: str, doc: str | None) -> "none" | "read" | "write"` decides
    what a token may do (doc None: may it connect at all?); without it
    everyone may write everything. `limits` are the tandem_server_options
    limit fields (max_connections=, max_frame_bytes=, ...).

    host_driven=True: no thread is started; the thread that calls start()
    must run the server with service(), e.g. in a select() loop over
    fileno() with timeout(). `auth` then runs inside service(), on that
    thread. Other threads' calls (reauthorize, ...) wait for its next
    service(); on that thread they run at once.

    `with Server(...) as s:` starts it and stops + frees it at the end;
    `s.url` is "ws://host:port/"."""

    def __init__(self, db_path, *, host="127.0.0.1", port=0, static_dir=None, auth=None,
                 sync="full", host_driven=False, **limits):
        self._ptr = None
        self._running = False
        self.auth_error = None  # the last exception the auth callable raised
        o = _ffi.ServerOptions()
        lib.tandem_server_options_init(byref(o))
        # Keep the encoded strings alive while the options are used.
        self._keep = [_utf8(db_path, "db_path"), _utf8(host, "host")]
        o.db_path, o.host = self._keep[0], self._keep[1]
        if static_dir is not None:
            self._keep.append(_utf8(static_dir, "static_dir"))
            o.static_dir = self._keep[-1]
        o.port = port
        if sync not in ("full", "normal"):
            raise ValueError("sync is 'full' or 'normal'")
        o.sync = 0 if sync == "full" else 1
        o.service_mode = 1 if host_driven else 0  # TANDEM_SERVICE_HOST / _OWN_THREAD
        for name, value in limits.items():
            if name not in dict(_ffi.ServerOptions._fields_) or not name.startswith(
                    ("max_", "update_", "idle_", "awareness_")):
                raise TypeError(f"unknown server option: {name}")
            setattr(o, name, value)
        self._auth_cb = None
        if auth is not None:
            self._auth_cb = _ffi.AUTH_CB(self._make_auth(auth))
            o.auth = self._auth_cb
        ptr = ctypes.c_void_p()
        check(lib.tandem_server_new, byref(ptr), byref(o))
        self._ptr = ptr

    def _make_auth(self, auth):
        def cb(_user_data, token, token_len, doc, doc_len):
            try:
                t = ctypes.string_at(token, token_len).decode("utf-8", "replace")
                d = ctypes.string_at(doc, doc_len).decode("utf-8", "replace") if doc_len else None
                answer = auth(t, d)
                if isinstance(answer, int) and not isinstance(answer, bool):
                    return answer
                return _PERMISSIONS[answer]
            except BaseException as e:  # refused, and remembered for the host
                self.auth_error = e
                return 0
        return cb

    def _p(self):
        if not self._ptr:
            raise _closed("server")
        return self._ptr

    def start(self):
        check(lib.tandem_server_start, self._p())
        self._running = True
        return self

    def stop(self):
        """Graceful stop; start() again is allowed (a port of 0 picks a new one)."""
        check(lib.tandem_server_stop, self._p())
        self._running = False

    @property
    def port(self):
        out = c_uint16()
        check(lib.tandem_server_listen_port, self._p(), byref(out))
        return out.value

    @property
    def url(self):
        host = self._keep[1].decode() or "127.0.0.1"
        return f"ws://{host}:{self.port}/"

    # ---- host-driven servers (host_driven=True), from the thread that
    # called start()
    def service(self, timeout=0):
        """Runs the server's loop once: waits up to `timeout` seconds (0: not
        at all; None: as long as timeout() says) for work, then does all
        that is ready without blocking. Raises ClosedError once stopped,
        BusyError from another thread, InvalidArgumentError on a server that
        runs on its own thread."""
        if timeout is None:
            ms = -1
        else:
            ms = max(0, min(int(timeout * 1000 + 0.999), 2**31 - 1))
        check(lib.tandem_server_service, self._p(), ms)

    def fileno(self):
        """The server's event fd (for select/poll/selectors): readable when
        service() has work. Never read or close it; valid until stop()."""
        out = ctypes.c_int()
        check(lib.tandem_server_fd, self._p(), byref(out))
        return out.value

    def timeout(self):
        """Seconds the caller may wait on fileno() before calling service()
        anyway: None (until it is readable) or a float (0.0: now)."""
        out = ctypes.c_int32()
        check(lib.tandem_server_timeout, self._p(), byref(out))
        return None if out.value < 0 else out.value / 1000.0

    def revoke_token(self, token):
        """Refuses `token` from now on and closes its connections."""
        check(lib.tandem_server_revoke_token, self._p(), _utf8(token, "token"))

    def reauthorize(self):
        """Asks `auth` again for every live connection and subscription."""
        check(lib.tandem_server_reauthorize, self._p())

    def close(self):
        if self._ptr:
            lib.tandem_server_free(self._ptr)
            self._ptr = None

    def __enter__(self):
        if not self._running:
            self.start()
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        self.close()


@dataclasses.dataclass(frozen=True)
class Event:
    """One client event. `type` is one of "status", "synced",
    "remote_change", "acked", "awareness", "permission", "error",
    "epoch_changed"."""
    type: str
    doc: str = ""
    status: str = None       # status
    permission: str = None   # permission
    seq: int = 0             # acked, error
    code: int = 0            # error: the protocol's Error.code, 0 for local errors
    message: str = ""        # error


def _closed(what):
    from .errors import ClosedError
    return ClosedError(f"the {what} is closed")


class Client:
    """Client(url, *, token=None, peer_id=0, offline_db_path=None,
    backoff_ms=None, jitter_percent=None, connect=True) — a connection to a
    sync server (reconnecting with backoff).

    `subscribe(name, doc)` binds a Doc: its local transactions are sent;
    remote changes are applied to it when events are taken on this thread
    (`process()`, `wait_until()`, `poll_event()`). Use it as a context
    manager (closed and freed at the end)."""

    def __init__(self, url, *, token=None, peer_id=0, offline_db_path=None, backoff_ms=None,
                 jitter_percent=None, connect=True):
        self._ptr = None
        self._closed = False
        self._docs = {}
        o = _ffi.ClientOptions()
        lib.tandem_client_options_init(byref(o))
        keep = [_utf8(url, "url")]
        o.url = keep[0]
        if token is not None:
            keep.append(_utf8(token, "token"))
            o.token = keep[-1]
        if offline_db_path is not None:
            keep.append(_utf8(offline_db_path, "offline_db_path"))
            o.offline_db_path = keep[-1]
        o.peer_id = peer_id
        o.connect = 1 if connect else 0
        if backoff_ms:
            arr = (c_uint32 * len(backoff_ms))(*backoff_ms)
            keep.append(arr)
            o.backoff_ms = ctypes.cast(arr, ctypes.POINTER(c_uint32))
            o.backoff_count = len(backoff_ms)
        if jitter_percent is not None:
            o.jitter_percent = jitter_percent
        ptr = ctypes.c_void_p()
        check(lib.tandem_client_new, byref(ptr), byref(o))
        self._ptr = ptr

    def _p(self):
        if not self._ptr:
            raise _closed("client")
        return self._ptr  # after close() the library answers ClosedError itself

    # ---- connection
    def connect(self):
        check(lib.tandem_client_connect, self._p())

    def disconnect(self):
        check(lib.tandem_client_disconnect, self._p())

    @property
    def status(self):
        out = c_int32()
        check(lib.tandem_client_status, self._p(), byref(out))
        return STATUS_NAMES[out.value]

    @property
    def peer_id(self):
        out = c_uint64()
        check(lib.tandem_client_peer_id, self._p(), byref(out))
        return out.value

    # ---- documents
    def subscribe(self, name, doc):
        """Binds `doc` (a tandem.Doc) to server document `name`."""
        if not isinstance(doc, Doc):
            raise TypeError("doc must be a tandem.Doc")
        check(lib.tandem_client_subscribe, self._p(), _utf8(name, "name"), doc._ptr)
        self._docs[name] = doc  # bound documents stay alive while subscribed
        return doc

    def unsubscribe(self, name):
        check(lib.tandem_client_unsubscribe, self._p(), _utf8(name, "name"))
        self._docs.pop(name, None)

    # ---- awareness
    def set_awareness(self, name, state):
        """This client's awareness state of `name` (bytes or str; None or
        empty clears it)."""
        if isinstance(state, str):
            state = state.encode("utf-8")
        p, n = _ffi.in_bytes(state or None)
        check(lib.tandem_client_set_awareness, self._p(), _utf8(name, "name"), p, n)

    def awareness(self, name):
        """The other peers' states of `name`: {peer_id: bytes}."""
        out = _ffi.Awareness()
        check(lib.tandem_client_get_awareness, self._p(), _utf8(name, "name"), byref(out))
        try:
            return {out.items[i].peer_id: ctypes.string_at(out.items[i].state.data,
                                                           out.items[i].state.len)
                    for i in range(out.count)}
        finally:
            lib.tandem_awareness_free(byref(out))

    # ---- events
    def fileno(self):
        """The event fd: readable while events are pending (select() it)."""
        fd = c_int()
        check(lib.tandem_client_event_fd, self._p(), byref(fd))
        return fd.value

    def poll_event(self):
        """The next event (remote changes applied to the bound Doc first), or
        None when none is pending."""
        ev = _ffi.Event()
        lib.tandem_event_init(byref(ev))
        err = _ffi.Error(0, None)
        code = lib.tandem_client_poll_event(self._p(), byref(ev), byref(err))
        if code == -9:  # TANDEM_E_AGAIN
            lib.tandem_error_clear(byref(err))
            return None
        if code != 0:
            raise error_from(code, err)
        try:
            kind = EVENT_NAMES.get(ev.type, str(ev.type))
            return Event(
                type=kind,
                doc=ctypes.string_at(ev.doc.data, ev.doc.len).decode("utf-8", "replace")
                if ev.doc.len else "",
                status=STATUS_NAMES.get(ev.status) if kind == "status" else None,
                permission=PERMISSION_NAMES.get(ev.permission) if kind == "permission" else None,
                seq=ev.seq, code=ev.code,
                message=ctypes.string_at(ev.message.data, ev.message.len).decode(
                    "utf-8", "replace") if ev.message.len else "")
        finally:
            lib.tandem_event_clear(byref(ev))

    def events(self):
        """Every event pending now (a list)."""
        out = []
        while True:
            e = self.poll_event()
            if e is None:
                return out
            out.append(e)

    def wait(self, timeout=None):
        """Blocks until events are pending (True) or `timeout` seconds pass."""
        r, _, _ = select.select([self.fileno()], [], [], timeout)
        return bool(r)

    def process(self, timeout=0):
        """Waits up to `timeout` seconds for events, then takes them all."""
        self.wait(timeout)
        return self.events()

    def wait_until(self, predicate, timeout=10.0, others=(), on_event=None):
        """Takes events of this client (and of `others`) until `predicate()`
        is true; False if `timeout` seconds pass first. `on_event(client,
        event)`, if given, sees every event taken."""
        clients = [self, *others]
        deadline = time.monotonic() + timeout
        while not predicate():
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            ready, _, _ = select.select(clients, [], [], min(left, 0.05))
            for c in ready:
                for e in c.events():
                    if on_event is not None:
                        on_event(c, e)
        return True

    # ---- lifetime
    def close(self):
        """Closes the connection, stops the network thread and unbinds every
        Doc (they stay yours). Afterwards every call raises ClosedError."""
        if self._ptr and not self._closed:
            self._closed = True
            check(lib.tandem_client_close, self._ptr)
            self._docs.clear()

    def free(self):
        """close() and release the handle (also done by `with` and the GC)."""
        if self._ptr:
            lib.tandem_client_free(self._ptr)
            self._ptr = None
            self._docs.clear()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.free()

    def __del__(self):
        self.free()
