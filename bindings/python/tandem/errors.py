"""Exceptions: one class per tandem_status code, all under TandemError.

Each also derives from the closest built-in exception, so ordinary Python
code works: NotFoundError is a LookupError, RangeError an IndexError,
WrongTypeError a TypeError, InvalidArgumentError a ValueError. The message
is the library's own (tandem_error.message); `code` is the status number.
"""

import ctypes

from . import _ffi


class TandemError(Exception):
    """Any error the library reported."""

    code = None

    def __init__(self, message, code=None):
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code


class InvalidArgumentError(TandemError, ValueError):
    code = -1


class NoMemoryError(TandemError, MemoryError):
    code = -2


class TandemIOError(TandemError, OSError):
    code = -3


class StorageError(TandemError):
    code = -4


class ProtocolError(TandemError, ValueError):
    code = -5


class VersionError(TandemError):
    code = -6


class NotFoundError(TandemError, LookupError):
    code = -7


class ClosedError(TandemError):
    code = -8


class AgainError(TandemError):
    code = -9


class LimitError(TandemError):
    code = -10


class AuthError(TandemError):
    code = -11


class BusyError(TandemError):
    code = -12


class InternalError(TandemError):
    code = -13


class UserError(TandemError):
    code = -14


class WrongTypeError(TandemError, TypeError):
    code = -15


class RangeError(TandemError, IndexError):
    code = -16


_BY_CODE = {cls.code: cls for cls in (
    InvalidArgumentError, NoMemoryError, TandemIOError, StorageError, ProtocolError,
    VersionError, NotFoundError, ClosedError, AgainError, LimitError, AuthError, BusyError,
    InternalError, UserError, WrongTypeError, RangeError)}


def error_from(code, err):
    """The exception for status `code` with the message in `err` (cleared)."""
    message = None
    if err.message:
        message = ctypes.string_at(err.message).decode("utf-8", "replace")
    _ffi.lib.tandem_error_clear(ctypes.byref(err))
    if not message:
        message = _ffi.lib.tandem_status_str(code).decode()
    return _BY_CODE.get(code, TandemError)(message, code)


def check(fn, *args):
    """Calls library function `fn` with `args` and an error out-param; raises
    the mapped exception on failure."""
    err = _ffi.Error(0, None)
    code = fn(*args, ctypes.byref(err))
    if code != 0:
        raise error_from(code, err)
