"""tandem: Python binding of the Tandem collaboration engine over its C ABI
(ctypes, standard library only).

    import tandem
    doc = tandem.Doc()
    with doc.transaction("typing"):
        doc.root.text("body").insert(0, "hello")

Modules: doc (Doc, Map, List, Text, Counter, events), store (Store),
errors (TandemError and one subclass per status code), undo (UndoManager), net (Server,
Client, Event: the sync server and clients).
"""

from . import _ffi
from .doc import (ApplyResult, Change, ChangeEvent, Counter, Doc, List, Map, MISSING, StickyPosition,
                  Subscription, Text, Transaction, UnresolvedContainer)
from .errors import (AgainError, AuthError, BusyError, ClosedError, InternalError,
                     InvalidArgumentError, LimitError, NoMemoryError, NotFoundError,
                     ProtocolError, RangeError, StorageError, TandemError, TandemIOError,
                     UserError, VersionError, WrongTypeError)
from .net import Client, Event, Server, set_network_log_level
from .store import DocInfo, NamedVersion, Store
from .undo import UndoManager

__version__ = _ffi.lib.tandem_version_string().decode()
library_path = _ffi.lib.path

__all__ = [
    "UndoManager", "ApplyResult", "Change", "ChangeEvent", "Counter", "Doc", "List", "Map", "MISSING",
    "StickyPosition", "Subscription", "Text", "Transaction", "UnresolvedContainer",
    "AgainError", "AuthError", "BusyError", "ClosedError", "InternalError",
    "InvalidArgumentError", "LimitError", "NoMemoryError", "NotFoundError", "ProtocolError",
    "RangeError", "StorageError", "TandemError", "TandemIOError", "UserError", "VersionError",
    "WrongTypeError", "DocInfo", "NamedVersion", "Store", "Client", "Event", "Server",
    "set_network_log_level",
]
