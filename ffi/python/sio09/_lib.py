"""ctypes declarations for libsio09 (the C ABI of ffi/SPEC.md) and the library lookup.

Lookup order (the first that exists wins):

1. the path in the environment variable ``SIO09_LIB``;
2. a copy bundled in this package (``sio09/libsio09.so`` or ``sio09/libsio09.so.<major>``);
3. a sio09 checkout's ``target/release/libsio09.so`` or ``target/debug/libsio09.so``, searched
   from this file's directory and from the current directory upwards; when both builds exist
   in the same checkout, the more recently built one is used.

At load the ABI major version is checked against :data:`SIO_ABI_MAJOR`; a mismatch raises
:class:`LibraryError`.
"""

from __future__ import annotations

import ctypes
import os
from ctypes import (
    POINTER,
    Structure,
    c_char_p,
    c_int,
    c_size_t,
    c_uint16,
    c_uint32,
    c_uint64,
    c_void_p,
)
from pathlib import Path

SIO_ABI_MAJOR = 0
SIO_ABI_MINOR = 1
SIO_NSP_GLOBAL = 0xFFFFFFFF

# results
SIO_OK = 0
SIO_E_INVALID_PARAM = 1
SIO_E_NOT_FOUND = 2
SIO_E_BUSY = 3
SIO_E_PANIC = 4
SIO_E_IO = 5
SIO_E_CONFIG = 6
SIO_E_STATE = 7
SIO_E_STOPPED = 8
SIO_E_BUFFER_TOO_SMALL = 9
SIO_E_UNSUPPORTED = 10
SIO_E_SYS_BASE = 0x10000

RESULT_NAMES = {
    0: "SIO_OK",
    1: "SIO_E_INVALID_PARAM",
    2: "SIO_E_NOT_FOUND",
    3: "SIO_E_BUSY",
    4: "SIO_E_PANIC",
    5: "SIO_E_IO",
    6: "SIO_E_CONFIG",
    7: "SIO_E_STATE",
    8: "SIO_E_STOPPED",
    9: "SIO_E_BUFFER_TOO_SMALL",
    10: "SIO_E_UNSUPPORTED",
}

# event kinds
SIO_EV_CONNECTION = 1
SIO_EV_EVENT = 2
SIO_EV_MESSAGE = 3
SIO_EV_JSON = 4
SIO_EV_DISCONNECT = 5
SIO_EV_AUTHORIZE = 6
SIO_EV_ACK = 7
SIO_EV_STORE = 8
SIO_EV_ERROR = 9
SIO_EV_STOPPED = 10
SIO_EV_HANDBACK = 11  # a connection given back to the host (sio_server_set_handback)
SIO_EV_REQUEST = 12  # only with sio_on_request (a request from the Python host, see SPEC.md)
SIO_EV_ROOM = 13  # only with sio_server_set_room_events, which this host does not call

# sio_server_adopt_connection_with flags
SIO_ADOPT_TLS = 1
SIO_ADOPT_SECURE = 2

# flags and packet types
SIO_F_VOLATILE = 1
SIO_PK_MESSAGE = 3
SIO_PK_JSON = 4
SIO_PK_EVENT = 5


class LibraryError(RuntimeError):
    """libsio09 could not be found or loaded, or its ABI version does not match."""


class sio_event(Structure):
    _fields_ = [
        ("kind", c_uint32),
        ("nsp", c_uint32),
        ("socket", c_uint64),
        ("id", c_uint64),
        ("sid", c_void_p),
        ("sid_len", c_size_t),
        ("name", c_void_p),
        ("name_len", c_size_t),
        ("data", c_void_p),
        ("data_len", c_size_t),
    ]


sio_event_cb = ctypes.CFUNCTYPE(None, c_void_p, POINTER(sio_event))

_srv = c_void_p
_R = c_uint32

# name: (restype, argtypes) — every function of ffi/SPEC.md.
SIGNATURES = {
    "sio_abi_version": (c_uint32, []),
    "sio_version": (c_char_p, []),
    "sio_result_str": (c_char_p, [c_uint32]),
    "sio_server_new": (_R, [POINTER(c_void_p)]),
    "sio_last_error_message": (_R, [_srv, c_char_p, c_size_t, POINTER(c_size_t)]),
    "sio_set": (_R, [_srv, c_char_p, c_char_p]),
    "sio_get": (_R, [_srv, c_char_p, c_char_p, c_size_t, POINTER(c_size_t)]),
    "sio_enable": (_R, [_srv, c_char_p]),
    "sio_disable": (_R, [_srv, c_char_p]),
    "sio_configure": (_R, [_srv, c_char_p, POINTER(c_char_p), POINTER(c_char_p), c_size_t]),
    "sio_of": (_R, [_srv, c_char_p, POINTER(c_uint32)]),
    "sio_authorization": (_R, [_srv, c_uint32]),
    "sio_server_listen": (_R, [_srv, c_char_p]),
    "sio_server_local_port": (_R, [_srv, POINTER(c_uint16)]),
    "sio_server_adopt_connection": (_R, [_srv, c_int, c_char_p, c_size_t]),
    "sio_server_adopt_connection_with": (_R, [_srv, c_int, c_char_p, c_size_t, c_uint32, c_char_p]),
    "sio_server_set_handback": (_R, [_srv, c_int, POINTER(c_char_p), c_size_t]),
    "sio_server_stop": (_R, [_srv, c_uint32]),
    "sio_server_free": (_R, [_srv]),
    "sio_server_event_fd": (_R, [_srv, POINTER(c_int)]),
    "sio_server_poll_events": (_R, [_srv, POINTER(sio_event), c_size_t, POINTER(c_size_t)]),
    "sio_server_set_callback": (_R, [_srv, sio_event_cb, c_void_p]),
    "sio_server_dispatch": (_R, [_srv, c_size_t, POINTER(c_size_t)]),
    "sio_server_wake": (_R, [_srv]),
    "sio_emit": (_R, [_srv, c_uint64, c_char_p, c_size_t, c_char_p, c_size_t, c_uint32]),
    "sio_send": (_R, [_srv, c_uint64, c_char_p, c_size_t, c_uint32]),
    "sio_json": (_R, [_srv, c_uint64, c_char_p, c_size_t, c_uint32]),
    "sio_emit_with_ack": (_R, [_srv, c_uint64, c_char_p, c_size_t, c_char_p, c_size_t, c_uint64]),
    "sio_ack": (_R, [_srv, c_uint64, c_uint64, c_char_p, c_size_t]),
    "sio_broadcast": (
        _R,
        [_srv, c_uint32, c_char_p, POINTER(c_uint64), c_size_t, c_uint32,
         c_char_p, c_size_t, c_char_p, c_size_t, c_uint32],
    ),
    "sio_join": (_R, [_srv, c_uint64, c_char_p]),
    "sio_leave": (_R, [_srv, c_uint64, c_char_p]),
    "sio_disconnect": (_R, [_srv, c_uint64]),
    "sio_client_set": (_R, [_srv, c_uint64, c_char_p, c_char_p, c_size_t, c_uint64]),
    "sio_client_get": (_R, [_srv, c_uint64, c_char_p, c_uint64]),
    "sio_client_has": (_R, [_srv, c_uint64, c_char_p, c_uint64]),
    "sio_client_del": (_R, [_srv, c_uint64, c_char_p, c_uint64]),
    "sio_authorize_reply": (_R, [_srv, c_uint64, c_int, c_char_p, c_char_p]),
    "sio_clients": (_R, [_srv, c_uint32, c_char_p, c_char_p, c_size_t, POINTER(c_size_t)]),
    "sio_socket_lookup": (_R, [_srv, c_uint32, c_char_p, POINTER(c_uint64)]),
    "sio_join_sid": (_R, [_srv, c_uint32, c_char_p, c_char_p]),
    "sio_leave_sid": (_R, [_srv, c_uint32, c_char_p, c_char_p]),
}

# Functions the Python host asked for in SPEC.md ("Requests from hosts"); used when present.
OPTIONAL_SIGNATURES = {
    "sio_on_request": (_R, [_srv]),
    "sio_http_reply": (_R, [_srv, c_uint64, c_uint16, c_char_p, c_char_p, c_size_t]),
}

LIB_NAMES = ("libsio09.so", f"libsio09.so.{SIO_ABI_MAJOR}", "libsio09.dylib")


def _repo_candidates(start: Path) -> list[Path]:
    for d in [start, *start.parents]:
        found = [d / "target" / b / "libsio09.so" for b in ("release", "debug")]
        found = [p for p in found if p.is_file()]
        if found:
            # newest build first (release before debug when equally new)
            return sorted(found, key=lambda p: -p.stat().st_mtime)
    return []


def find_library() -> Path:
    """Path of the libsio09 to load (see the module docstring for the order)."""
    env = os.environ.get("SIO09_LIB")
    if env:
        p = Path(env)
        if not p.is_file():
            raise LibraryError(f"SIO09_LIB={env!r}: no such file")
        return p
    here = Path(__file__).resolve().parent
    for name in LIB_NAMES:
        if (here / name).is_file():
            return here / name
    for start in (here, Path.cwd().resolve()):
        found = _repo_candidates(start)
        if found:
            return found[0]
    raise LibraryError(
        "libsio09 not found: set SIO09_LIB to its path, bundle it in the sio09 package, or "
        "build it in the sio09 checkout (cargo build -p sio09-ffi)"
    )


def _declare(lib: ctypes.CDLL) -> None:
    missing = []
    for name, (restype, argtypes) in SIGNATURES.items():
        try:
            fn = getattr(lib, name)
        except AttributeError:
            missing.append(name)
            continue
        fn.restype = restype
        fn.argtypes = argtypes
    if missing:
        raise LibraryError(f"libsio09 lacks functions of the ABI: {', '.join(missing)}")
    for name, (restype, argtypes) in OPTIONAL_SIGNATURES.items():
        fn = getattr(lib, name, None)
        if fn is not None:
            fn.restype = restype
            fn.argtypes = argtypes


def load(path: Path | str | None = None) -> ctypes.CDLL:
    """Load and check libsio09 (`path`, or :func:`find_library`)."""
    p = Path(path) if path is not None else find_library()
    try:
        lib = ctypes.CDLL(str(p))
    except OSError as e:
        raise LibraryError(f"cannot load {p}: {e}") from e
    try:
        abi = lib.sio_abi_version
    except AttributeError:
        raise LibraryError(f"{p} is not libsio09 (no sio_abi_version)") from None
    abi.restype = c_uint32
    abi.argtypes = []
    v = abi()
    if v >> 16 != SIO_ABI_MAJOR:
        raise LibraryError(
            f"{p}: ABI version {v >> 16}.{v & 0xFFFF}, this package needs {SIO_ABI_MAJOR}.x"
        )
    _declare(lib)
    lib._sio09_path = str(p)  # type: ignore[attr-defined]
    return lib


_LIB: ctypes.CDLL | None = None


def lib() -> ctypes.CDLL:
    """The process-wide libsio09, loaded on first use."""
    global _LIB
    if _LIB is None:
        _LIB = load()
    return _LIB


def has(name: str) -> bool:
    return getattr(lib(), name, None) is not None


__all__ = [n for n in dir() if n.startswith(("SIO_", "sio_"))] + [
    "LibraryError", "find_library", "load", "lib", "has", "RESULT_NAMES",
]
