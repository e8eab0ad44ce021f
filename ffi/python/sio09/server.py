"""The asyncio API over libsio09: Server, Namespace, Socket.

Threading model: libsio09 runs its own shard threads; everything it reports arrives as events
on a queue whose file descriptor is registered with the running asyncio loop
(``loop.add_reader``). Handlers therefore run on the loop's thread, one event at a time, in
the order the library reported them. Handlers may be plain functions or coroutines.
"""

from __future__ import annotations

import asyncio
import ctypes
import inspect
import logging
import os
from ctypes import byref, c_char_p, c_int, c_size_t, c_uint16, c_uint32, c_uint64, c_void_p
from typing import Any, Callable, Iterable

from . import _lib
from ._json import dumps, dumps_args, loads
from ._lib import (
    SIO_E_BUFFER_TOO_SMALL,
    SIO_E_NOT_FOUND,
    SIO_E_STOPPED,
    SIO_F_VOLATILE,
    SIO_NSP_GLOBAL,
    SIO_PK_EVENT,
    SIO_PK_JSON,
    SIO_PK_MESSAGE,
)

log = logging.getLogger("sio09")

_POLL_CAP = 256
_BATCHES_PER_WAKEUP = 8


class SioError(Exception):
    """A libsio09 call failed. ``code`` is the ``sio_result`` value, ``name`` its symbol
    (``SIO_E_STATE`` …), ``message`` the library's text (``sio_result_str`` and, when the
    library recorded one, ``sio_last_error_message``)."""

    def __init__(self, code: int, message: str, func: str | None = None):
        self.code = code
        self.name = _lib.RESULT_NAMES.get(
            code, f"SIO_E_SYS_BASE+{code - _lib.SIO_E_SYS_BASE}" if code >= _lib.SIO_E_SYS_BASE else str(code)
        )
        self.message = message
        self.func = func
        super().__init__(f"{func + ': ' if func else ''}{message} ({self.name})")


class StoreError(Exception):
    """A ``set/get/has/del`` on a socket's store failed (the store reported an error)."""


def _b(s: str | None) -> bytes | None:
    return None if s is None else s.encode("utf-8")


def _view(ptr: int | None, n: int) -> bytes:
    return ctypes.string_at(ptr, n) if ptr and n else b""


def _option_text(value: Any) -> str:
    if value is True:
        return "true"
    if value is False:
        return "false"
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return ",".join(str(v) for v in value)
    return str(value)


class _Caller:
    """Calls a handler with JavaScript-like arity: missing positional arguments are None,
    extra ones are dropped (unless the handler takes *args), and ``ack=`` is passed when the
    handler declares it."""

    __slots__ = ("fn", "npos", "varargs", "wants_ack")

    def __init__(self, fn: Callable, skip: int):
        self.fn = fn
        try:
            sig = inspect.signature(fn)
        except (TypeError, ValueError):
            self.npos, self.varargs, self.wants_ack = -1, True, False
            return
        params = list(sig.parameters.values())
        pos = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.name != "ack"]
        self.varargs = any(p.kind == p.VAR_POSITIONAL for p in params)
        self.wants_ack = "ack" in sig.parameters or any(p.kind == p.VAR_KEYWORD for p in params)
        self.npos = max(0, len(pos) - skip)

    def __call__(self, head: tuple, args: list, ack: Any = None) -> Any:
        if not self.varargs and self.npos >= 0:
            args = list(args[: self.npos]) + [None] * (self.npos - len(args))
        if self.wants_ack:
            return self.fn(*head, *args, ack=ack)
        return self.fn(*head, *args)


class Ack:
    """The answer to a client's data ack (``5:N+``). Call it once with the reply's arguments."""

    __slots__ = ("_srv", "_socket", "_id", "used")

    def __init__(self, srv: "Server", socket: int, ack_id: int):
        self._srv, self._socket, self._id = srv, socket, ack_id
        self.used = False

    def __call__(self, *args: Any) -> bool:
        if self.used:
            return False
        self.used = True
        payload = dumps_args(args).encode()
        return self._srv._cmd("sio_ack", self._socket, self._id, payload, len(payload))

    def __repr__(self) -> str:
        return f"<Ack {self._id} {'used' if self.used else 'pending'}>"


class _Json:
    """``x.json(data)`` / ``x.json.send(data)``: a JSON message (packet ``4``)."""

    __slots__ = ("_send",)

    def __init__(self, send: Callable[[Any], Any]):
        self._send = send

    def __call__(self, data: Any) -> Any:
        return self._send(data)

    def send(self, data: Any) -> Any:
        return self._send(data)


class _SocketEmitter:
    """``socket.volatile``: emit/send/json with the volatile flag."""

    def __init__(self, sock: "Socket", flags: int):
        self._sock, self._flags = sock, flags

    def emit(self, name: str, *args: Any) -> bool:
        return self._sock._emit(name, args, self._flags)

    def send(self, text: str) -> bool:
        return self._sock._send(text, self._flags)

    @property
    def json(self) -> _Json:
        return _Json(lambda d: self._sock._json(d, self._flags))


class BroadcastOperator:
    """Emits to a namespace, or one room of it, optionally excluding sockets
    (``nsp.to(room)``, ``socket.broadcast``, ``nsp.volatile`` …)."""

    def __init__(self, nsp: "Namespace", room: str | None = None, exclude: tuple = (), flags: int = 0):
        self._nsp, self._room, self._exclude, self._flags = nsp, room, tuple(exclude), flags

    def to(self, room: str) -> "BroadcastOperator":
        return BroadcastOperator(self._nsp, str(room), self._exclude, self._flags)

    in_ = to

    def except_(self, *sockets: "Socket | int") -> "BroadcastOperator":
        ids = tuple(s.handle if isinstance(s, Socket) else int(s) for s in sockets)
        return BroadcastOperator(self._nsp, self._room, self._exclude + ids, self._flags)

    @property
    def volatile(self) -> "BroadcastOperator":
        return BroadcastOperator(self._nsp, self._room, self._exclude, self._flags | SIO_F_VOLATILE)

    @property
    def broadcast(self) -> "BroadcastOperator":
        return self

    def _go(self, packet: int, name: str | None, data: str) -> bool:
        n = _b(name) or b""
        d = data.encode("utf-8")
        ex = (c_uint64 * len(self._exclude))(*self._exclude) if self._exclude else None
        return self._nsp._server._cmd(
            "sio_broadcast", self._nsp.id, _b(self._room), ex, len(self._exclude), packet,
            n, len(n), d, len(d), self._flags,
        )

    def emit(self, name: str, *args: Any) -> bool:
        return self._go(SIO_PK_EVENT, name, dumps_args(args))

    def send(self, text: str) -> bool:
        return self._go(SIO_PK_MESSAGE, None, str(text))

    @property
    def json(self) -> _Json:
        return _Json(lambda d: self._go(SIO_PK_JSON, None, dumps(d)))


class Socket:
    """One client in one namespace (socket.io 0.9's ``Socket``).

    ``id`` is the session id (shared by the session's sockets in every namespace),
    ``handle`` the library's 64-bit socket id. Commands (emit, send, join …) return True when
    the library accepted them and False when the socket is already gone (as a 0.9 emit to a
    closed socket, they are then dropped); other failures raise :class:`SioError`.
    """

    def __init__(self, server: "Server", nsp: "Namespace", handle: int, sid: str,
                 transport: str | None = None, handshake: dict | None = None):
        self.server = server
        self.namespace = nsp
        self.handle = handle
        self.id = sid
        self.transport = transport
        self.handshake: dict = handshake if handshake is not None else {}
        self.connected = True
        self.disconnect_reason: str | None = None
        self.rooms: set[str] = set()
        self._handlers: dict[str, list[_Caller]] = {}

    def __repr__(self) -> str:
        return f"<Socket {self.id} {self.namespace.name or '/'}{'' if self.connected else ' gone'}>"

    # -- per-socket handlers (socket.on('x', fn) inside a connection handler)
    def on(self, event: str, handler: Callable | None = None):
        def reg(fn):
            self._handlers.setdefault(event, []).append(_Caller(fn, 1))
            return fn
        return reg(handler) if handler is not None else reg

    # -- emitting
    def _emit(self, name: str, args: Iterable, flags: int) -> bool:
        n = name.encode("utf-8")
        a = dumps_args(args).encode("utf-8")
        return self.server._cmd("sio_emit", self.handle, n, len(n), a, len(a), flags)

    def _emit_encoded(self, batch: list[tuple[bytes, bytes]], flags: int = 0) -> int:
        """Emit pre-encoded (name, args JSON) pairs with back-to-back library calls (no
        Python work between them, so a polling flush rarely splits them); how many went."""
        lib, ptr, h = self.server._lib, self.server._ptr, self.handle
        if ptr is None:
            return 0
        sent = 0
        for n, a in batch:
            rc = lib.sio_emit(ptr, h, n, len(n), a, len(a), flags)
            if rc != 0:
                break
            sent += 1
        return sent

    def _send(self, text: str, flags: int) -> bool:
        t = str(text).encode("utf-8")
        return self.server._cmd("sio_send", self.handle, t, len(t), flags)

    def _json(self, data: Any, flags: int) -> bool:
        t = dumps(data).encode("utf-8")
        return self.server._cmd("sio_json", self.handle, t, len(t), flags)

    def emit(self, name: str, *args: Any, callback: Callable | None = None) -> bool:
        """Emit event ``name``; with ``callback``, the client's ack calls ``callback(*args)``."""
        if callback is None:
            return self._emit(name, args, 0)
        srv = self.server
        token = srv._token()
        n = name.encode("utf-8")
        a = dumps_args(args).encode("utf-8")
        srv._acks[token] = (self.handle, _Caller(callback, 0))
        ok = srv._cmd("sio_emit_with_ack", self.handle, n, len(n), a, len(a), token)
        if not ok:
            srv._acks.pop(token, None)
        return ok

    async def call(self, name: str, *args: Any, timeout: float | None = None) -> list:
        """Emit ``name`` with an ack and wait for the client's answer (its arguments, a list)."""
        fut = asyncio.get_running_loop().create_future()

        def done(*reply):
            if not fut.done():
                fut.set_result(list(reply))
        if not self.emit(name, *args, callback=done):
            raise SioError(SIO_E_NOT_FOUND, "socket is gone", "emit")
        return await asyncio.wait_for(fut, timeout)

    def send(self, text: str) -> bool:
        """A text message (packet ``3``)."""
        return self._send(text, 0)

    @property
    def json(self) -> _Json:
        """``socket.json(data)`` / ``socket.json.send(data)``: a JSON message (packet ``4``)."""
        return _Json(lambda d: self._json(d, 0))

    @property
    def volatile(self) -> _SocketEmitter:
        return _SocketEmitter(self, SIO_F_VOLATILE)

    @property
    def broadcast(self) -> BroadcastOperator:
        """Everyone in the namespace (``.to(room)``: in the room) except this socket."""
        return BroadcastOperator(self.namespace, None, (self.handle,))

    def join(self, room: str) -> bool:
        ok = self.server._cmd("sio_join", self.handle, str(room).encode("utf-8"))
        if ok:
            self.rooms.add(str(room))
        return ok

    def leave(self, room: str) -> bool:
        ok = self.server._cmd("sio_leave", self.handle, str(room).encode("utf-8"))
        self.rooms.discard(str(room))
        return ok

    def disconnect(self) -> bool:
        """Disconnect this socket (the client gets ``0::/nsp``; reason ``booted``)."""
        return self.server._cmd("sio_disconnect", self.handle)

    # -- per-client store (shared by the session's sockets in every namespace)
    async def _store(self, op: str, key: str, *value: bytes) -> Any:
        srv = self.server
        token = srv._token()
        fut = asyncio.get_running_loop().create_future()
        srv._stores[token] = fut
        k = str(key).encode("utf-8")
        try:
            srv._check_call(f"sio_client_{op}", self.handle, k, *value, token)
        except BaseException:
            srv._stores.pop(token, None)
            raise
        return await fut

    async def set(self, key: str, value: Any) -> bool:
        v = dumps(value).encode("utf-8")
        return await self._store("set", key, v, len(v))

    async def get(self, key: str) -> Any:
        """The stored value, or None when missing."""
        return await self._store("get", key)

    async def has(self, key: str) -> bool:
        return await self._store("has", key)

    async def delete(self, key: str) -> bool:
        return await self._store("del", key)


setattr(Socket, "del", Socket.delete)  # socket.io's name (a keyword in Python: getattr(s, "del"))


class Namespace:
    """A namespace (``server.of(name)``; ``server.sockets`` is the main one, ``""``)."""

    def __init__(self, server: "Server", name: str, nsp_id: int):
        self._server = server
        self.name = name
        self.id = nsp_id
        self._handlers: dict[str, list[_Caller]] = {}
        self._auth: Callable | None = None

    def __repr__(self) -> str:
        return f"<Namespace {self.name or '/'} #{self.id}>"

    @property
    def server(self) -> "Server":
        return self._server

    def on(self, event: str, handler: Callable | None = None):
        """Register a handler (decorator or direct call).

        ``"connection"``: ``handler(socket)``; ``"disconnect"``: ``handler(socket, reason)``;
        ``"message"``: ``handler(socket, data)`` (str for a ``3`` message, the decoded value for
        ``4``); any other name: ``handler(socket, *args)``. For events and messages that asked for
        a data ack, a returned value answers it (a tuple gives several arguments, ``None`` no
        answer), or declare an ``ack`` keyword parameter and call it.
        """
        def reg(fn):
            self._handlers.setdefault(event, []).append(_Caller(fn, 1))
            return fn
        return reg(handler) if handler is not None else reg

    def authorization(self, fn: Callable | None = None):
        """Namespace authorization: ``fn(handshake)`` (sync or async) returns True to accept,
        False to refuse, or raises to fail (both answer the client ``7::/nsp:2``). Before
        ``serve``."""
        def reg(f):
            self._server._check_call("sio_authorization", self.id)
            self._auth = f
            return f
        return reg(fn) if fn is not None else reg

    # broadcasting
    def to(self, room: str) -> BroadcastOperator:
        return BroadcastOperator(self, str(room))

    in_ = to

    def except_(self, *sockets: "Socket | int") -> BroadcastOperator:
        return BroadcastOperator(self).except_(*sockets)

    @property
    def volatile(self) -> BroadcastOperator:
        return BroadcastOperator(self, None, (), SIO_F_VOLATILE)

    def emit(self, name: str, *args: Any) -> bool:
        return BroadcastOperator(self).emit(name, *args)

    def send(self, text: str) -> bool:
        return BroadcastOperator(self).send(text)

    @property
    def json(self) -> _Json:
        return BroadcastOperator(self).json

    def client_ids(self, room: str | None = None) -> list[str]:
        """Session ids of the sockets in the namespace (or in ``room``), sorted; with a Redis
        store, those on the other nodes of the cluster too."""
        srv = self._server
        r = _b(room) if room else None
        n = c_size_t(0)
        size = 4096
        while True:
            buf = ctypes.create_string_buffer(size)
            rc = srv._lib.sio_clients(srv._live(), self.id, r, buf, size, byref(n))
            if rc == SIO_E_BUFFER_TOO_SMALL and n.value > size:
                size = n.value
                continue
            srv._raise(rc, "sio_clients")
            return loads(buf.raw[: n.value])

    def join_sid(self, sid: str, room: str) -> bool:
        """Session ``sid`` joins ``room`` of this namespace wherever it lives: here, or on
        another node of a Redis cluster, which applies it (0.9's ``nsp.socket(id).join``)."""
        srv = self._server
        return srv._cmd("sio_join_sid", self.id, _b(sid), _b(str(room)))

    def leave_sid(self, sid: str, room: str) -> bool:
        """Session ``sid`` leaves ``room`` of this namespace wherever it lives."""
        srv = self._server
        return srv._cmd("sio_leave_sid", self.id, _b(sid), _b(str(room)))

    def clients(self, room: str | None = None) -> list[Socket]:
        """The sockets in the namespace (or in ``room``)."""
        out = []
        for sid in self.client_ids(room):
            s = self.socket(sid)
            if s is not None:
                out.append(s)
        return out

    def socket(self, sid: str) -> Socket | None:
        """The socket of session ``sid`` in this namespace, or None."""
        srv = self._server
        for s in srv._sockets.values():
            if s.id == sid and s.namespace is self:
                return s
        out = c_uint64(0)
        rc = srv._lib.sio_socket_lookup(srv._live(), self.id, sid.encode(), byref(out))
        if rc == SIO_E_NOT_FOUND:
            return None
        srv._raise(rc, "sio_socket_lookup")
        s = Socket(srv, self, out.value, sid)
        srv._sockets[out.value] = s
        return s


class Request:
    """An HTTP request outside the socket.io resource (see :meth:`Server.on_request`)."""

    __slots__ = ("method", "url", "headers", "body")

    def __init__(self, method: str, url: str, headers: dict, body: bytes):
        self.method, self.url, self.headers, self.body = method, url, headers, body

    def __repr__(self) -> str:
        return f"<Request {self.method} {self.url}>"


class Server:
    """A Socket.IO 0.9 server (socket.io 0.9's ``Manager``, ``io``).

    ``Server(options)`` applies ``options`` (0.9 option names → values) with :meth:`set`.
    Configure, register namespaces and handlers, then ``await server.serve(host, port)``.
    """

    def __init__(self, options: dict | None = None, *, library: ctypes.CDLL | None = None):
        self._lib = library if library is not None else _lib.lib()
        p = c_void_p()
        rc = self._lib.sio_server_new(byref(p))
        if rc != 0 or not p.value:
            raise SioError(rc or _lib.SIO_E_INVALID_PARAM, self._result_str(rc), "sio_server_new")
        self._ptr: int | None = p.value
        self._nsps: dict[str, Namespace] = {}
        self._sockets: dict[int, Socket] = {}
        self._acks: dict[int, tuple[int, _Caller]] = {}
        self._stores: dict[int, asyncio.Future] = {}
        self._next = 1
        self._auth: Callable | None = None
        self._request_handler: Callable | None = None
        self._server_handlers: dict[str, list[Callable]] = {}
        self._tasks: set[asyncio.Task] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._fd: int | None = None
        self._listener = None
        self._started = False
        self._stopped = False
        self._closed: asyncio.Future | None = None
        self._evbuf = (_lib.sio_event * _POLL_CAP)()
        self.port: int | None = None
        self.sockets = self.of("")
        for k, v in (options or {}).items():
            self.set(k, v)

    # ------------------------------------------------------------------ plumbing
    def _live(self) -> int:
        if self._ptr is None:
            raise SioError(SIO_E_STOPPED, "server is closed")
        return self._ptr

    def _result_str(self, rc: int) -> str:
        s = self._lib.sio_result_str(rc)
        return s.decode("utf-8", "replace") if s else f"error {rc}"

    def last_error(self) -> str:
        """``sio_last_error_message``: the library's last detailed error text ('' when none)."""
        if self._ptr is None:
            return ""
        n = c_size_t(0)
        buf = ctypes.create_string_buffer(1024)
        if self._lib.sio_last_error_message(self._ptr, buf, 1024, byref(n)) != 0:
            return ""
        return buf.raw[: min(n.value, 1024)].decode("utf-8", "replace")

    def _raise(self, rc: int, func: str) -> None:
        if rc == 0:
            return
        msg = self._result_str(rc)
        detail = self.last_error()
        if detail and detail != msg:
            msg = f"{msg}: {detail}"
        raise SioError(rc, msg, func)

    def _check_call(self, func: str, *args: Any) -> None:
        self._raise(getattr(self._lib, func)(self._live(), *args), func)

    def _cmd(self, func: str, *args: Any) -> bool:
        """A command on a socket: False when the socket (or server) is gone."""
        if self._ptr is None:
            return False
        rc = getattr(self._lib, func)(self._ptr, *args)
        if rc in (SIO_E_NOT_FOUND, SIO_E_STOPPED):
            return False
        self._raise(rc, func)
        return True

    def _token(self) -> int:
        t = self._next
        self._next += 1
        return t

    # ------------------------------------------------------------------ options
    def set(self, key: str, value: Any) -> "Server":
        """Set 0.9 option ``key`` (booleans, numbers, strings; lists for ``transports``,
        ``origins``, ``blacklist``)."""
        self._check_call("sio_set", key.encode(), _option_text(value).encode())
        return self

    def get(self, key: str) -> Any:
        """The current value of option ``key`` (decoded from the library's JSON)."""
        n = c_size_t(0)
        size = 256
        while True:
            buf = ctypes.create_string_buffer(size)
            rc = self._lib.sio_get(self._live(), key.encode(), buf, size, byref(n))
            if rc == SIO_E_BUFFER_TOO_SMALL and n.value > size:
                size = n.value
                continue
            self._raise(rc, "sio_get")
            return loads(buf.raw[: n.value])

    def enable(self, key: str) -> "Server":
        self._check_call("sio_enable", key.encode())
        return self

    def disable(self, key: str) -> "Server":
        self._check_call("sio_disable", key.encode())
        return self

    def enabled(self, key: str) -> bool:
        return bool(self.get(key))

    def disabled(self, key: str) -> bool:
        return not self.get(key)

    def configure(self, *args: Any) -> "Server":
        """``configure([env,] fn_or_options)``: when ``env`` is omitted or equals ``$NODE_ENV``
        (default ``development``), call ``fn(server)`` or apply the ``{option: value}`` dict
        (through ``sio_configure``, all pairs at once)."""
        if len(args) == 1:
            env, what = None, args[0]
        elif len(args) == 2:
            env, what = args
        else:
            raise TypeError("configure([env,] fn_or_options)")
        if callable(what):
            if env is None or env == os.environ.get("NODE_ENV", "development"):
                what(self)
            return self
        items = list(dict(what).items())
        keys = (c_char_p * max(1, len(items)))(*[k.encode() for k, _ in items])
        vals = (c_char_p * max(1, len(items)))(*[_option_text(v).encode() for _, v in items])
        self._check_call("sio_configure", _b(env), keys, vals, len(items))
        return self

    # ------------------------------------------------------------------ namespaces, handlers
    def of(self, name: str) -> Namespace:
        """The namespace ``name`` (created before ``serve``; ``""`` is the main one)."""
        nsp = self._nsps.get(name)
        if nsp is not None:
            return nsp
        out = c_uint32(0)
        self._check_call("sio_of", name.encode(), byref(out))
        nsp = Namespace(self, name, out.value)
        self._nsps[name] = nsp
        return nsp

    def _nsp_by_id(self, nsp_id: int) -> Namespace | None:
        for n in self._nsps.values():
            if n.id == nsp_id:
                return n
        return None

    def on(self, event: str, handler: Callable | None = None):
        """Handlers of the main namespace (``server.sockets.on``); ``"error"``:
        ``handler(message)`` for the library's SIO_EV_ERROR reports."""
        if event == "error":
            def reg(fn):
                self._server_handlers.setdefault("error", []).append(fn)
                return fn
            return reg(handler) if handler is not None else reg
        return self.sockets.on(event, handler)

    def authorization(self, fn: Callable | None = None):
        """Global (handshake) authorization: ``fn(handshake)`` (sync or async) returns True to
        accept, False to refuse (403), raises to fail (500 handshake error). It may add
        keys to the handshake dict; sockets then see them in ``socket.handshake``."""
        def reg(f):
            self._check_call("sio_authorization", SIO_NSP_GLOBAL)
            self._auth = f
            return f
        return reg(fn) if fn is not None else reg

    def on_request(self, fn: Callable | None = None):
        """Answer HTTP requests outside the resource: ``fn(request)`` (sync or async) returns
        ``(status, content_type, body)`` or a body (str/bytes, ``200 text/plain``)."""
        def reg(f):
            self._request_handler = f
            return f
        return reg(fn) if fn is not None else reg

    # ------------------------------------------------------------------ lifecycle
    async def serve(self, host: str = "127.0.0.1", port: int = 0) -> "Server":
        """Start listening on ``host:port`` (0: any free port, see ``server.port``) and deliver
        events on the running loop. Returns once the port accepts connections."""
        if self._started:
            raise SioError(_lib.SIO_E_STATE, "already serving", "serve")
        loop = asyncio.get_running_loop()
        self._loop = loop
        self._closed = loop.create_future()
        addr = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        native_requests = self._request_handler is not None and _lib.has("sio_on_request")
        if native_requests:
            self._check_call("sio_on_request")
        if self._request_handler is not None and not native_requests:
            # With TLS the library terminates it on every connection the listener accepts
            # and gives the requests outside the resource back decrypted (hand-back).
            tls = bool(self.get("tls cert") or self.get("tls key"))
            from ._listener import HostListener
            self._check_call("sio_server_listen", None)
            if tls:
                self._check_call("sio_server_set_handback", 1, None, 0)
            self._listener = HostListener(self, host, port, tls=tls)
            self.port = self._listener.start(loop)
        else:
            self._check_call("sio_server_listen", addr.encode())
            p = c_uint16(0)
            self._check_call("sio_server_local_port", byref(p))
            self.port = p.value
        self._started = True
        fd = c_int(-1)
        self._check_call("sio_server_event_fd", byref(fd))
        self._fd = fd.value
        loop.add_reader(self._fd, self._drain)
        self._drain()
        return self

    def stop(self, grace_ms: int = 0) -> None:
        """Stop the server: no new connections, clients get their disconnects (within
        ``grace_ms``), remaining events are delivered (disconnect handlers run), then the
        library's resources are freed. Idempotent."""
        if self._ptr is None:
            return
        if self._listener is not None:
            self._listener.close()
            self._listener = None
        if self._started and not self._stopped:
            self._lib.sio_server_stop(self._ptr, max(0, int(grace_ms)))
            self._stopped = True
            # everything left, through SIO_EV_STOPPED
            for _ in range(10000):
                if self._ptr is None or self._poll_batch() == 0:
                    break
        self._free()

    close = stop

    def _free(self) -> None:
        if self._ptr is None:
            return
        if self._loop is not None and self._fd is not None:
            try:
                self._loop.remove_reader(self._fd)
            except Exception:  # loop already closed
                pass
            self._fd = None
        ptr, self._ptr = self._ptr, None
        rc = self._lib.sio_server_free(ptr)
        if rc != 0:
            log.warning("sio_server_free: %s", self._result_str(rc))
        for fut in self._stores.values():
            if not fut.done():
                fut.set_exception(SioError(SIO_E_STOPPED, "server stopped"))
        self._stores.clear()
        self._acks.clear()
        if self._closed is not None and not self._closed.done():
            self._closed.set_result(None)

    async def wait_closed(self) -> None:
        """Wait until :meth:`stop` has run."""
        if self._closed is None:
            return
        await asyncio.shield(self._closed)

    async def __aenter__(self) -> "Server":
        return self

    async def __aexit__(self, *exc: Any) -> None:
        self.stop()

    def __del__(self) -> None:
        try:
            if self._ptr is not None and not self._started:
                self._lib.sio_server_free(self._ptr)
                self._ptr = None
        except Exception:
            pass

    # ------------------------------------------------------------------ events
    def _drain(self) -> None:
        for _ in range(_BATCHES_PER_WAKEUP):
            if self._ptr is None or self._poll_batch() < _POLL_CAP:
                return

    def _poll_batch(self) -> int:
        n = c_size_t(0)
        rc = self._lib.sio_server_poll_events(self._ptr, self._evbuf, _POLL_CAP, byref(n))
        if rc != 0:
            log.error("sio_server_poll_events: %s", self._result_str(rc))
            return 0
        count = min(n.value, _POLL_CAP)
        # copy every view before anything can call into the library again
        evs = []
        for i in range(count):
            e = self._evbuf[i]
            evs.append((e.kind, e.nsp, e.socket, e.id, _view(e.sid, e.sid_len),
                        _view(e.name, e.name_len), _view(e.data, e.data_len)))
        for ev in evs:
            try:
                self._dispatch(*ev)
            except Exception:
                log.exception("sio09: error while handling event %d", ev[0])
        return count

    def _handback(self, fd: int, peer: str, data: bytes) -> None:
        """A connection the library gave back (a request outside the resource on a TLS
        connection it terminates): the listener serves it from ``data`` on."""
        if self._listener is None or self._loop is None:
            os.close(fd)
            return
        self._listener.resume(self._loop, fd, bytes(data), peer)

    def _spawn(self, coro: Any, done: Callable[[Any], None] | None = None) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)

        def fin(t: asyncio.Task) -> None:
            self._tasks.discard(t)
            if t.cancelled():
                return
            exc = t.exception()
            if done is not None:
                done(t)
            elif exc is not None:
                log.error("sio09: handler failed", exc_info=exc)
        task.add_done_callback(fin)

    def _run(self, caller: _Caller, head: tuple, args: list, ack: Ack | None) -> None:
        try:
            r = caller(head, args, ack)
        except Exception:
            log.exception("sio09: handler %r failed", caller.fn)
            return
        if inspect.isawaitable(r):
            def done(t: asyncio.Task) -> None:
                if t.exception() is not None:
                    log.error("sio09: handler %r failed", caller.fn, exc_info=t.exception())
                else:
                    _answer(ack, t.result())
            self._spawn(r, done)
        else:
            _answer(ack, r)

    def _handlers(self, sock: Socket | None, nsp: Namespace, event: str) -> list[_Caller]:
        hs = list(nsp._handlers.get(event, ()))
        if sock is not None:
            hs += sock._handlers.get(event, ())
        return hs

    def _dispatch(self, kind: int, nsp_id: int, handle: int, ev_id: int,
                  sid: bytes, name: bytes, data: bytes) -> None:
        if kind == _lib.SIO_EV_STOPPED:
            self._stopped = True
            return
        if kind == _lib.SIO_EV_ERROR:
            msg = name.decode("utf-8", "replace")
            log.warning("sio09: %s", msg)
            for fn in self._server_handlers.get("error", ()):
                try:
                    fn(msg)
                except Exception:
                    log.exception("sio09: error handler failed")
            return
        if kind == _lib.SIO_EV_ACK:
            entry = self._acks.pop(ev_id, None)
            if entry is not None:
                self._run(entry[1], (), list(loads(data) or []), None)
            return
        if kind == _lib.SIO_EV_STORE:
            self._store_done(ev_id, name.decode("utf-8", "replace"), data)
            return
        if kind == _lib.SIO_EV_AUTHORIZE:
            self._authorize(nsp_id, ev_id, data)
            return
        if kind == _lib.SIO_EV_HANDBACK:
            self._handback(ev_id, name.decode("latin-1"), data)
            return
        if kind == _lib.SIO_EV_REQUEST:
            self._native_request(ev_id, name, sid, data)
            return
        if kind == _lib.SIO_EV_ROOM:
            # cluster membership changes: this host asks the library instead (client_ids)
            return
        nsp = self._nsp_by_id(nsp_id)
        if nsp is None:
            return
        if kind == _lib.SIO_EV_CONNECTION:
            hs = loads(data) if data else {}
            sock = self._sockets.get(handle)
            if sock is None:
                sock = Socket(self, nsp, handle, sid.decode("utf-8", "replace"),
                              name.decode("utf-8", "replace") or None, hs if isinstance(hs, dict) else {})
                self._sockets[handle] = sock
            for c in self._handlers(None, nsp, "connection"):
                self._run(c, (sock,), [], None)
            return
        sock = self._sockets.get(handle)
        if sock is None:
            return
        if kind == _lib.SIO_EV_DISCONNECT:
            reason = name.decode("utf-8", "replace")
            sock.connected = False
            sock.disconnect_reason = reason
            self._sockets.pop(handle, None)
            for t in [t for t, (h, _) in self._acks.items() if h == handle]:
                del self._acks[t]
            for c in self._handlers(sock, nsp, "disconnect"):
                self._run(c, (sock,), [reason], None)
            return
        ack = Ack(self, handle, ev_id) if ev_id else None
        if kind == _lib.SIO_EV_EVENT:
            args = loads(data) if data else []
            if not isinstance(args, list):
                args = [args]
            for c in self._handlers(sock, nsp, name.decode("utf-8", "replace")):
                self._run(c, (sock,), args, ack)
        elif kind == _lib.SIO_EV_MESSAGE:
            for c in self._handlers(sock, nsp, "message"):
                self._run(c, (sock,), [data.decode("utf-8", "replace")], ack)
        elif kind == _lib.SIO_EV_JSON:
            for c in self._handlers(sock, nsp, "message"):
                self._run(c, (sock,), [loads(data)], ack)

    def _store_done(self, token: int, op: str, data: bytes) -> None:
        fut = self._stores.pop(token, None)
        if fut is None or fut.done():
            return
        try:
            v = loads(data) if data else None
        except ValueError as e:
            fut.set_exception(StoreError(f"bad store result: {e}"))
            return
        if isinstance(v, dict) and set(v) == {"error"} and op != "get":
            fut.set_exception(StoreError(str(v["error"])))
        elif isinstance(v, dict) and set(v) == {"error"} and op == "get" and isinstance(v["error"], str):
            fut.set_exception(StoreError(v["error"]))
        else:
            fut.set_result(v)

    def _authorize(self, nsp_id: int, request: int, data: bytes) -> None:
        try:
            hs = loads(data) if data else {}
        except ValueError:
            hs = {}
        if nsp_id == SIO_NSP_GLOBAL:
            fn = self._auth
        else:
            nsp = self._nsp_by_id(nsp_id)
            fn = nsp._auth if nsp is not None else None

        def reply(allow: bool, error: str | None) -> None:
            if self._ptr is None:
                return
            out = None
            if allow and error is None and isinstance(hs, dict):
                try:  # hand the data back only when the function changed it
                    if hs != (loads(data) if data else {}):
                        out = dumps(hs).encode("utf-8")
                except (TypeError, ValueError) as e:
                    log.warning("sio09: handshake data not sent back: %s", e)
            rc = self._lib.sio_authorize_reply(self._ptr, request, 1 if allow else 0, _b(error), out)
            if rc == _lib.SIO_E_INVALID_PARAM and out is not None:
                rc = self._lib.sio_authorize_reply(self._ptr, request, 1, None, None)
            if rc not in (0, SIO_E_NOT_FOUND, SIO_E_STOPPED):
                log.warning("sio_authorize_reply: %s", self._result_str(rc))

        if fn is None:
            reply(True, None)
            return
        try:
            r = fn(hs)
        except Exception as e:
            reply(False, str(e) or type(e).__name__)
            return
        if inspect.isawaitable(r):
            def done(t: asyncio.Task) -> None:
                e = t.exception()
                if e is not None:
                    reply(False, str(e) or type(e).__name__)
                else:
                    reply(bool(t.result()), None)
            self._spawn(r, done)
        else:
            reply(bool(r), None)

    # ------------------------------------------------------------------ HTTP outside the resource
    async def _answer_request(self, req: Request) -> tuple[int, str, bytes]:
        fn = self._request_handler
        if fn is None:
            return 200, "text/plain", b"Welcome to socket.io."
        try:
            r = fn(req)
            if inspect.isawaitable(r):
                r = await r
        except Exception:
            log.exception("sio09: request handler failed")
            return 500, "text/plain", b"Internal Server Error"
        if isinstance(r, tuple):
            status, ctype, body = r
        else:
            status, ctype, body = 200, "text/plain", r
        if isinstance(body, str):
            body = body.encode("utf-8")
        return int(status), str(ctype), bytes(body or b"")

    def _native_request(self, request: int, method: bytes, target: bytes, body: bytes) -> None:
        req = Request(method.decode("latin-1"), target.decode("utf-8", "replace"), {}, body)

        async def go() -> None:
            status, ctype, out = await self._answer_request(req)
            if self._ptr is not None:
                self._lib.sio_http_reply(self._ptr, request, status, ctype.encode(), out, len(out))
        self._spawn(go())


def _answer(ack: Ack | None, r: Any) -> None:
    if ack is None or ack.used or r is None:
        return
    if isinstance(r, tuple):
        ack(*r)
    else:
        ack(r)
