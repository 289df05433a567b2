"""ctypes declarations of the C ABI (engine/include/tandem/tandem.h).

Private: the rest of the package goes through `lib` and the structs here.
The library is found, in order, at $TANDEM_LIBRARY, next to this package,
in a build directory of the source tree (build*/engine), or by the system
loader (ctypes.util.find_library("tandem")).
"""

import ctypes
import ctypes.util
import glob
import os
from ctypes import (CFUNCTYPE, POINTER, Structure, c_char_p, c_double, c_int32, c_int64,
                    c_size_t, c_uint8, c_uint32, c_uint64, c_void_p)

status = c_int32


class Error(Structure):
    _fields_ = [("code", c_int32), ("message", c_void_p)]


class Buf(Structure):
    _fields_ = [("data", POINTER(c_uint8)), ("len", c_size_t)]


class Strings(Structure):
    _fields_ = [("items", POINTER(Buf)), ("count", c_size_t)]


class Container(Structure):
    _fields_ = [("doc_id", c_uint64), ("index", c_uint32), ("type", c_uint32)]


class Owned:
    """Base of the objects that own a library handle and release it in
    close(): a context manager, and closed when garbage-collected."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass


class DocOptions(Structure):
    _fields_ = [("struct_size", c_uint32), ("max_depth", c_uint32),
                ("max_update_bytes", c_uint64), ("max_pending_ops", c_uint64)]


class UndoOptions(Structure):
    _fields_ = [("struct_size", c_uint32), ("reserved", c_uint32),
                ("capture_window_ms", c_uint64), ("max_steps", c_uint64)]


class Value(Structure):
    _fields_ = [("type", c_int32), ("bool_value", c_int32), ("int_value", c_int64),
                ("double_value", c_double), ("data", c_void_p), ("len", c_size_t),
                ("container", Container)]


class TextStep(Structure):
    _fields_ = [("kind", c_int32), ("count", c_uint64), ("text", c_void_p), ("len", c_size_t)]


class ListStep(Structure):
    _fields_ = [("kind", c_int32), ("count", c_uint64), ("values", POINTER(Value))]


class KeyChange(Structure):
    _fields_ = [("key", c_void_p), ("key_len", c_size_t), ("had_old", c_int32),
                ("has_new", c_int32), ("old_value", Value), ("new_value", Value)]


class Change(Structure):
    _fields_ = [("container", Container), ("path", c_void_p), ("path_len", c_size_t),
                ("text_steps", POINTER(TextStep)), ("text_step_count", c_size_t),
                ("list_steps", POINTER(ListStep)), ("list_step_count", c_size_t),
                ("keys", POINTER(KeyChange)), ("key_count", c_size_t),
                ("counter_delta", c_int64)]


class ChangeEvent(Structure):
    _fields_ = [("struct_size", c_uint32), ("local", c_int32), ("origin", c_void_p),
                ("origin_len", c_size_t), ("changes", POINTER(Change)),
                ("change_count", c_size_t)]


class ApplyResult(Structure):
    _fields_ = [("struct_size", c_uint32), ("reserved", c_uint32), ("applied_ops", c_uint64),
                ("pending_ops", c_uint64), ("dropped_ops", c_uint64)]


class Sticky(Structure):
    _fields_ = [("container", Container), ("assoc", c_int32), ("has_item", c_int32),
                ("item_peer", c_uint64), ("item_counter", c_uint64)]


class StoreOptions(Structure):
    _fields_ = [("struct_size", c_uint32), ("sync", c_int32), ("create_if_missing", c_int32),
                ("busy_timeout_ms", c_int32), ("max_batch", c_uint32),
                ("max_versions", c_uint32), ("compact_after_rows", c_uint64),
                ("compact_after_bytes", c_uint64), ("max_version_age_ms", c_int64)]


class DocInfo(Structure):
    _fields_ = [("struct_size", c_uint32), ("reserved", c_uint32), ("created_ms", c_int64),
                ("updated_ms", c_int64), ("last_seq", c_uint64), ("log_rows", c_uint64),
                ("log_bytes", c_uint64), ("snapshot_seq", c_uint64),
                ("snapshot_bytes", c_uint64), ("versions", c_uint64),
                ("outbox_rows", c_uint64), ("outbox_bytes", c_uint64)]


class NamedVersion(Structure):
    _fields_ = [("id", c_int64), ("label", c_char_p), ("created_ms", c_int64),
                ("upto_seq", c_uint64), ("bytes", c_uint64)]


class NamedVersions(Structure):
    _fields_ = [("items", POINTER(NamedVersion)), ("count", c_size_t)]


class Event(Structure):
    _fields_ = [("struct_size", c_uint32), ("type", c_int32), ("status", c_int32),
                ("permission", c_int32), ("code", c_uint32), ("reserved", c_uint32),
                ("seq", c_uint64), ("doc", Buf), ("message", Buf)]


class AwarenessEntry(Structure):
    _fields_ = [("peer_id", c_uint64), ("state", Buf)]


class Awareness(Structure):
    _fields_ = [("items", POINTER(AwarenessEntry)), ("count", c_size_t)]


CHANGE_CB = CFUNCTYPE(None, c_void_p, POINTER(ChangeEvent))
UPDATE_CB = CFUNCTYPE(None, c_void_p, POINTER(c_uint8), c_size_t)
FREE_CB = CFUNCTYPE(None, c_void_p)
AUTH_CB = CFUNCTYPE(c_int32, c_void_p, POINTER(ctypes.c_char), c_size_t, POINTER(ctypes.c_char),
                    c_size_t)
WAKE_CB = CFUNCTYPE(None, c_void_p)
EVENT_CB = CFUNCTYPE(c_int32, c_void_p, POINTER(Event))


class ServerOptions(Structure):
    _fields_ = [("struct_size", c_uint32), ("port", c_int32), ("host", c_char_p),
                ("db_path", c_char_p), ("static_dir", c_char_p), ("sync", c_int32),
                ("reserved", c_uint32), ("auth", AUTH_CB), ("auth_user_data", c_void_p),
                ("auth_user_data_free", FREE_CB), ("max_frame_bytes", c_uint64),
                ("max_update_bytes", c_uint64), ("max_docs_per_connection", c_uint32),
                ("max_connections", c_uint32), ("max_updates_per_second", c_double),
                ("update_burst", c_double), ("max_outbound_bytes", c_uint64),
                ("max_awareness_bytes", c_uint64), ("idle_unload_ms", c_uint64),
                ("awareness_timeout_ms", c_uint64), ("service_mode", c_int32),
                ("reserved2", c_uint32)]


class ClientOptions(Structure):
    _fields_ = [("struct_size", c_uint32), ("connect", c_int32), ("url", c_char_p),
                ("token", c_char_p), ("peer_id", c_uint64), ("offline_db_path", c_char_p),
                ("backoff_ms", POINTER(c_uint32)), ("backoff_count", c_size_t),
                ("jitter_percent", c_int32), ("reserved", c_uint32),
                ("max_incoming_bytes", c_uint64), ("wake", WAKE_CB),
                ("wake_user_data", c_void_p), ("wake_user_data_free", FREE_CB)]


doc_p = c_void_p
store_p = c_void_p
server_p = c_void_p
client_p = c_void_p
err_p = POINTER(Error)
cont_p = POINTER(Container)
bytes_p = POINTER(c_uint8)

# name: (restype, [argtypes])
_SIGNATURES = {
    "tandem_version": (c_uint32, []),
    "tandem_version_string": (c_char_p, []),
    "tandem_status_str": (c_char_p, [status]),
    "tandem_error_clear": (None, [err_p]),
    "tandem_buf_free": (None, [POINTER(Buf)]),
    "tandem_strings_free": (None, [POINTER(Strings)]),
    "tandem_value_clear": (None, [POINTER(Value)]),
    "tandem_doc_options_init": (None, [POINTER(DocOptions)]),
    "tandem_doc_new": (status, [POINTER(doc_p), c_uint64, POINTER(DocOptions), err_p]),
    "tandem_doc_new_from_snapshot": (status, [POINTER(doc_p), bytes_p, c_size_t, c_uint64,
                                              POINTER(DocOptions), err_p]),
    "tandem_doc_free": (None, [doc_p]),
    "tandem_undo_options_init": (None, [POINTER(UndoOptions)]),
    "tandem_undo_new": (status, [POINTER(c_void_p), doc_p, cont_p, c_size_t,
                                 POINTER(UndoOptions), err_p]),
    "tandem_undo_free": (None, [c_void_p]),
    "tandem_undo_undo": (status, [c_void_p, POINTER(c_int32), err_p]),
    "tandem_undo_redo": (status, [c_void_p, POINTER(c_int32), err_p]),
    "tandem_undo_counts": (status, [c_void_p, POINTER(c_size_t), POINTER(c_size_t), err_p]),
    "tandem_undo_stop_capturing": (status, [c_void_p, err_p]),
    "tandem_undo_clear": (status, [c_void_p, err_p]),
    "tandem_doc_peer_id": (status, [doc_p, POINTER(c_uint64), err_p]),
    "tandem_doc_root": (status, [doc_p, cont_p, err_p]),
    "tandem_doc_begin_transaction": (status, [doc_p, c_char_p, err_p]),
    "tandem_doc_commit_transaction": (status, [doc_p, POINTER(Buf), err_p]),
    "tandem_doc_in_transaction": (status, [doc_p, POINTER(c_int32), err_p]),
    "tandem_map_get": (status, [doc_p, cont_p, c_char_p, POINTER(Value), err_p]),
    "tandem_map_has": (status, [doc_p, cont_p, c_char_p, POINTER(c_int32), err_p]),
    "tandem_map_set": (status, [doc_p, cont_p, c_char_p, POINTER(Value), err_p]),
    "tandem_map_delete": (status, [doc_p, cont_p, c_char_p, err_p]),
    "tandem_map_len": (status, [doc_p, cont_p, POINTER(c_uint64), err_p]),
    "tandem_map_keys": (status, [doc_p, cont_p, POINTER(Strings), err_p]),
    "tandem_map_get_or_create": (status, [doc_p, cont_p, c_char_p, c_uint32, cont_p, err_p]),
    "tandem_list_len": (status, [doc_p, cont_p, POINTER(c_uint64), err_p]),
    "tandem_list_get": (status, [doc_p, cont_p, c_uint64, POINTER(Value), err_p]),
    "tandem_list_insert": (status, [doc_p, cont_p, c_uint64, POINTER(Value), c_size_t, err_p]),
    "tandem_list_push": (status, [doc_p, cont_p, POINTER(Value), err_p]),
    "tandem_list_delete": (status, [doc_p, cont_p, c_uint64, c_uint64, err_p]),
    "tandem_list_insert_container": (status, [doc_p, cont_p, c_uint64, c_uint32, cont_p, err_p]),
    "tandem_text_len": (status, [doc_p, cont_p, c_int32, POINTER(c_uint64), err_p]),
    "tandem_text_read": (status, [doc_p, cont_p, POINTER(Buf), err_p]),
    "tandem_text_insert": (status, [doc_p, cont_p, c_uint64, c_int32, c_char_p, c_size_t, err_p]),
    "tandem_text_delete": (status, [doc_p, cont_p, c_uint64, c_uint64, c_int32, err_p]),
    "tandem_text_convert_index": (status, [doc_p, cont_p, c_uint64, c_int32, c_int32,
                                           POINTER(c_uint64), err_p]),
    "tandem_counter_add": (status, [doc_p, cont_p, c_int64, err_p]),
    "tandem_counter_value": (status, [doc_p, cont_p, POINTER(c_int64), err_p]),
    "tandem_doc_to_json": (status, [doc_p, cont_p, POINTER(Buf), err_p]),
    "tandem_doc_resolve": (status, [doc_p, c_char_p, cont_p, err_p]),
    "tandem_doc_path_of": (status, [doc_p, cont_p, POINTER(Buf), err_p]),
    "tandem_doc_observe": (status, [doc_p, cont_p, c_int32, CHANGE_CB, c_void_p, FREE_CB,
                                    POINTER(c_uint64), err_p]),
    "tandem_doc_unobserve": (status, [doc_p, c_uint64, err_p]),
    "tandem_doc_set_update_listener": (status, [doc_p, UPDATE_CB, c_void_p, FREE_CB, err_p]),
    "tandem_doc_version": (status, [doc_p, POINTER(Buf), err_p]),
    "tandem_doc_encode_update": (status, [doc_p, bytes_p, c_size_t, POINTER(Buf), err_p]),
    "tandem_apply_result_init": (None, [POINTER(ApplyResult)]),
    "tandem_doc_apply_update": (status, [doc_p, bytes_p, c_size_t, c_char_p,
                                         POINTER(ApplyResult), err_p]),
    "tandem_doc_pending_ops": (status, [doc_p, POINTER(c_uint64), err_p]),
    "tandem_doc_encode_snapshot": (status, [doc_p, POINTER(Buf), err_p]),
    "tandem_doc_memory_usage": (status, [doc_p, POINTER(c_uint64), err_p]),
    "tandem_doc_sticky_at": (status, [doc_p, cont_p, c_uint64, c_int32, c_int32,
                                      POINTER(Sticky), err_p]),
    "tandem_doc_sticky_resolve": (status, [doc_p, POINTER(Sticky), c_int32, POINTER(c_uint64),
                                           err_p]),
    "tandem_doc_sticky_encode": (status, [doc_p, POINTER(Sticky), POINTER(Buf), err_p]),
    "tandem_doc_sticky_decode": (status, [doc_p, bytes_p, c_size_t, POINTER(Sticky), err_p]),
    "tandem_store_options_init": (None, [POINTER(StoreOptions)]),
    "tandem_store_open": (status, [POINTER(store_p), c_char_p, POINTER(StoreOptions), err_p]),
    "tandem_store_free": (None, [store_p]),
    "tandem_store_append": (status, [store_p, c_char_p, bytes_p, c_size_t, POINTER(c_uint64),
                                     err_p]),
    "tandem_store_flush": (status, [store_p, err_p]),
    "tandem_store_save_doc": (status, [store_p, c_char_p, doc_p, err_p]),
    "tandem_store_load_doc": (status, [POINTER(doc_p), store_p, c_char_p, c_uint64,
                                       POINTER(DocOptions), err_p]),
    "tandem_store_compact": (status, [store_p, c_char_p, err_p]),
    "tandem_store_list_docs": (status, [store_p, POINTER(Strings), err_p]),
    "tandem_store_delete_doc": (status, [store_p, c_char_p, err_p]),
    "tandem_doc_info_init": (None, [POINTER(DocInfo)]),
    "tandem_store_doc_info": (status, [store_p, c_char_p, POINTER(DocInfo), err_p]),
    "tandem_store_inspect": (status, [store_p, POINTER(Buf), err_p]),
    "tandem_named_versions_free": (None, [POINTER(NamedVersions)]),
    "tandem_store_create_version": (status, [store_p, c_char_p, c_char_p, POINTER(c_int64),
                                             err_p]),
    "tandem_store_list_versions": (status, [store_p, c_char_p, POINTER(NamedVersions), err_p]),
    "tandem_store_load_version": (status, [POINTER(doc_p), store_p, c_char_p, c_int64, c_uint64,
                                           POINTER(DocOptions), err_p]),
    "tandem_store_delete_version": (status, [store_p, c_char_p, c_int64, err_p]),
    "tandem_set_network_log_level": (status, [c_int32, err_p]),
    "tandem_server_options_init": (None, [POINTER(ServerOptions)]),
    "tandem_server_new": (status, [POINTER(server_p), POINTER(ServerOptions), err_p]),
    "tandem_server_start": (status, [server_p, err_p]),
    "tandem_server_stop": (status, [server_p, err_p]),
    "tandem_server_free": (None, [server_p]),
    "tandem_server_listen_port": (status, [server_p, POINTER(ctypes.c_uint16), err_p]),
    "tandem_server_revoke_token": (status, [server_p, c_char_p, err_p]),
    "tandem_server_reauthorize": (status, [server_p, err_p]),
    "tandem_server_service": (status, [server_p, c_int32, err_p]),
    "tandem_server_fd": (status, [server_p, POINTER(ctypes.c_int), err_p]),
    "tandem_server_timeout": (status, [server_p, POINTER(c_int32), err_p]),
    "tandem_client_options_init": (None, [POINTER(ClientOptions)]),
    "tandem_client_new": (status, [POINTER(client_p), POINTER(ClientOptions), err_p]),
    "tandem_client_free": (None, [client_p]),
    "tandem_client_connect": (status, [client_p, err_p]),
    "tandem_client_disconnect": (status, [client_p, err_p]),
    "tandem_client_close": (status, [client_p, err_p]),
    "tandem_client_status": (status, [client_p, POINTER(c_int32), err_p]),
    "tandem_client_peer_id": (status, [client_p, POINTER(c_uint64), err_p]),
    "tandem_client_subscribe": (status, [client_p, c_char_p, doc_p, err_p]),
    "tandem_client_unsubscribe": (status, [client_p, c_char_p, err_p]),
    "tandem_client_set_awareness": (status, [client_p, c_char_p, bytes_p, c_size_t, err_p]),
    "tandem_awareness_free": (None, [POINTER(Awareness)]),
    "tandem_client_get_awareness": (status, [client_p, c_char_p, POINTER(Awareness), err_p]),
    "tandem_event_init": (None, [POINTER(Event)]),
    "tandem_event_clear": (None, [POINTER(Event)]),
    "tandem_client_poll_event": (status, [client_p, POINTER(Event), err_p]),
    "tandem_client_dispatch": (status, [client_p, EVENT_CB, c_void_p, c_size_t,
                                        POINTER(c_size_t), err_p]),
    "tandem_client_event_fd": (status, [client_p, POINTER(ctypes.c_int), err_p]),
}


def _candidates():
    env = os.environ.get("TANDEM_LIBRARY")
    if env:
        yield env
        return
    here = os.path.dirname(os.path.abspath(__file__))
    yield from sorted(glob.glob(os.path.join(here, "libtandem.so*")))
    root = os.path.abspath(os.path.join(here, "..", "..", ".."))
    # The source tree's own build first; sanitizer builds cannot be loaded
    # into an uninstrumented Python.
    yield os.path.join(root, "build", "engine", "libtandem.so")
    yield from sorted(p for p in glob.glob(os.path.join(root, "build-*", "engine", "libtandem.so"))
                      if "san" not in os.path.basename(os.path.dirname(os.path.dirname(p))))
    found = ctypes.util.find_library("tandem")
    if found:
        yield found


def _load():
    tried = []
    for path in _candidates():
        try:
            lib = ctypes.CDLL(path)
        except OSError as e:
            tried.append(f"{path}: {e}")
            continue
        for name, (restype, argtypes) in _SIGNATURES.items():
            fn = getattr(lib, name)
            fn.restype = restype
            fn.argtypes = argtypes
        lib.path = path
        return lib
    raise ImportError("cannot load libtandem (set TANDEM_LIBRARY to its path); tried: "
                      + ("; ".join(tried) or "nothing found"))


lib = _load()


def buf_bytes(buf):
    """The bytes of a library-owned Buf, which is then freed."""
    try:
        return ctypes.string_at(buf.data, buf.len) if buf.len else b""
    finally:
        lib.tandem_buf_free(ctypes.byref(buf))


def in_bytes(data):
    """A (pointer, length) pair borrowing `data` (bytes-like) for one call."""
    if data is None:
        return None, 0
    data = bytes(data)
    return ctypes.cast(ctypes.c_char_p(data), bytes_p), len(data)
