"""The host-owned listener: used when the application answers HTTP requests outside the
socket.io resource (``Server.on_request``) and the loaded libsio09 has no ``sio_on_request``.

Python accepts each connection and reads only as much as it needs to route it: the request
line, and for targets outside the resource the whole head. Anything under the resource,
anything that is not an HTTP request (a Flash policy request, garbage), an Upgrade outside
the resource while ``destroy upgrade`` is on, or a connection that sends no complete request
line within ``_LINE_TIMEOUT`` is handed to the library with the bytes already read
(``sio_server_adopt_connection``); the library then serves it exactly as one it accepted.
Requests outside the resource get the application's answer here, with keep-alive.

With ``tls cert`` / ``tls key`` the listener reads nothing: every connection goes to the
library still encrypted (``SIO_ADOPT_TLS``), which terminates TLS and gives requests outside
the resource back (``SIO_EV_HANDBACK``) as the decrypted stream, a Unix socket, with the
client's address. Such a stream is routed as above; what goes to the library again goes as
a decrypted stream (``SIO_ADOPT_SECURE`` with that address).
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import socket

from ._lib import SIO_ADOPT_SECURE, SIO_ADOPT_TLS

log = logging.getLogger("sio09")

_LINE_TIMEOUT = 10.0
_MAX_LINE = 16 * 1024
_MAX_HEAD = 64 * 1024
_MAX_BODY = 1 << 20

# a prefix of an HTTP/1.x request line (so far)
_LINE_PREFIX = re.compile(rb"[A-Z]{0,32}(?: [\x21-\xff]*(?: [A-Z0-9/.]{0,8}\r?)?)?")
_LINE = re.compile(rb"([A-Z]{1,32}) ([\x21-\xff]+) HTTP/(\d)\.(\d)")

_REASONS = {200: "OK", 204: "No Content", 301: "Moved Permanently", 302: "Found",
            304: "Not Modified", 400: "Bad Request", 403: "Forbidden", 404: "Not Found",
            405: "Method Not Allowed", 413: "Payload Too Large", 500: "Internal Server Error"}


def in_resource(target: str, resource: str) -> bool:
    """sio09's ``split_resource``: the raw target starts with the resource, followed by
    nothing, ``/`` or ``?`` (or the resource ends with ``/``)."""
    if not target.startswith(resource):
        return False
    rest = target[len(resource):]
    return rest == "" or resource.endswith("/") or rest[0] in "/?"


class HostListener:
    def __init__(self, server, host: str, port: int, tls: bool = False):
        self._server = server
        self._tls = tls
        self._host = host
        self._port = port
        self._sock: socket.socket | None = None
        self._task: asyncio.Task | None = None
        self._conns: set[asyncio.Task] = set()
        self._resource = "/socket.io"
        self._destroy_upgrade = True

    def start(self, loop: asyncio.AbstractEventLoop) -> int:
        srv = self._server
        try:
            self._resource = str(srv.get("resource"))
            self._destroy_upgrade = bool(srv.get("destroy upgrade"))
        except Exception as e:  # the defaults of 0.9
            log.debug("sio09: reading options: %s", e)
        infos = socket.getaddrinfo(self._host, self._port, type=socket.SOCK_STREAM,
                                   flags=socket.AI_PASSIVE)
        family, _, _, _, addr = infos[0]
        s = socket.socket(family, socket.SOCK_STREAM)
        try:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(addr)
            s.listen(1024)
            s.setblocking(False)
        except BaseException:
            s.close()
            raise
        self._sock = s
        self._task = loop.create_task(self._accept_loop(loop))
        return s.getsockname()[1]

    def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self._task = None
        for t in list(self._conns):
            t.cancel()
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    async def _accept_loop(self, loop: asyncio.AbstractEventLoop) -> None:
        while self._sock is not None:
            try:
                conn, _ = await loop.sock_accept(self._sock)
            except asyncio.CancelledError:
                raise
            except OSError as e:
                log.warning("sio09: accept: %s", e)
                await asyncio.sleep(0.05)
                continue
            if self._tls:
                self._adopt(conn, b"", tls=True)
                continue
            conn.setblocking(False)
            self._track(loop.create_task(self._route(loop, conn)))

    def _track(self, t: asyncio.Task) -> None:
        self._conns.add(t)
        t.add_done_callback(self._conns.discard)

    def resume(self, loop: asyncio.AbstractEventLoop, fd: int, buf: bytes, peer: str) -> None:
        """Serve a decrypted stream the library gave back, starting with ``buf``."""
        try:
            conn = socket.socket(fileno=fd)
            conn.setblocking(False)
        except OSError as e:
            log.warning("sio09: a connection given back (%s) cannot be resumed: %s", peer, e)
            os.close(fd)
            return
        self._track(loop.create_task(self._route(loop, conn, buf, peer)))

    def _adopt(self, conn: socket.socket, buf: bytes, tls: bool = False, peer: str | None = None) -> None:
        srv = self._server
        if srv._ptr is None:
            conn.close()
            return
        fd = conn.detach()  # the library owns the fd from here on, in every case
        if tls or peer is not None:
            flags = SIO_ADOPT_TLS if tls else SIO_ADOPT_SECURE
            rc = srv._lib.sio_server_adopt_connection_with(
                srv._ptr, fd, buf, len(buf), flags, None if peer is None else peer.encode())
        else:
            rc = srv._lib.sio_server_adopt_connection(srv._ptr, fd, buf, len(buf))
        if rc != 0:
            log.warning("sio09: adopting a connection: %s", srv._result_str(rc))

    def _outside(self, buf: bytes) -> bool:
        """Whether ``buf`` starts with a request line whose target is outside the resource."""
        m = _LINE.match(buf)
        return m is not None and not in_resource(m.group(2).decode("latin-1"), self._resource)

    def _classify(self, buf: bytes):
        """'more', 'adopt', or (head_len, method, target, version, headers)."""
        i = buf.find(b"\n")
        if i < 0:
            if len(buf) > _MAX_LINE or not _LINE_PREFIX.fullmatch(buf):
                return "adopt"
            return "more"
        m = _LINE.fullmatch(buf[:i].rstrip(b"\r"))
        if m is None:
            return "adopt"
        target = m.group(2).decode("latin-1")
        if in_resource(target, self._resource):
            return "adopt"
        end = buf.find(b"\r\n\r\n")
        sep = 4
        if end < 0:
            end, sep = buf.find(b"\n\n"), 2
        if end < 0:
            return "adopt" if len(buf) > _MAX_HEAD else "more"
        headers: dict[str, str] = {}
        for line in buf[i + 1:end].split(b"\n"):
            line = line.rstrip(b"\r")
            if not line:
                continue
            k, colon, v = line.partition(b":")
            if not colon:
                return "adopt"  # malformed head: let the library answer it
            key = k.strip().decode("latin-1").lower()
            val = v.strip().decode("latin-1")
            headers[key] = f"{headers[key]}, {val}" if key in headers else val
        if "upgrade" in headers and self._destroy_upgrade:
            return "adopt"
        version = (int(m.group(3)), int(m.group(4)))
        return end + sep, m.group(1).decode("latin-1"), target, version, headers

    async def _recv(self, loop, conn, timeout: float) -> bytes:
        return await asyncio.wait_for(loop.sock_recv(conn, 65536), timeout)

    async def _route(self, loop: asyncio.AbstractEventLoop, conn: socket.socket,
                     buf: bytes = b"", peer: str | None = None) -> None:
        """Serve ``conn`` from ``buf`` on. ``peer``: the client's address when ``conn`` is a
        decrypted stream the library gave back (it goes back to the library as one)."""
        from .server import Request
        try:
            while True:
                d = self._classify(buf)
                if d == "adopt" and peer is not None and self._outside(buf):
                    # not the library's either (it gave it back): an upgrade outside the
                    # resource with `destroy upgrade`, or a head too long for this listener
                    conn.close()
                    return
                if d == "more":
                    try:
                        data = await self._recv(loop, conn, _LINE_TIMEOUT)
                    except asyncio.TimeoutError:
                        data = None
                    if data is None or (not data and buf):
                        self._adopt(conn, buf, peer=peer)
                        return
                    if not data:
                        conn.close()
                        return
                    buf += data
                    continue
                if d == "adopt":
                    self._adopt(conn, buf, peer=peer)
                    return
                head_len, method, target, version, headers = d
                body = buf[head_len:]
                if "chunked" in headers.get("transfer-encoding", "").lower():
                    got = await self._read_chunked(loop, conn, body)
                    if got is None:
                        await self._respond(loop, conn, 400, "text/plain", b"", False, method)
                        conn.close()
                        return
                    body, buf = got
                    clen = len(body)
                    body += buf
                else:
                    try:
                        clen = int(headers.get("content-length", "0") or 0)
                    except ValueError:
                        clen = -1
                    if clen < 0 or clen > _MAX_BODY:
                        await self._respond(loop, conn, 413 if clen > 0 else 400, "text/plain", b"", False, method)
                        conn.close()
                        return
                    while len(body) < clen:
                        data = await self._recv(loop, conn, 60.0)
                        if not data:
                            conn.close()
                            return
                        body += data
                buf = body[clen:]
                body = body[:clen]
                conn_hdr = headers.get("connection", "").lower()
                keep = ("keep-alive" in conn_hdr) if version < (1, 1) else ("close" not in conn_hdr)
                status, ctype, out = await self._server._answer_request(
                    Request(method, target, headers, body))
                await self._respond(loop, conn, status, ctype, out, keep, method)
                if not keep:
                    conn.close()
                    return
        except asyncio.CancelledError:
            conn.close()
            raise
        except (OSError, asyncio.TimeoutError):
            conn.close()
        except Exception:
            log.exception("sio09: host listener")
            conn.close()

    async def _read_chunked(self, loop, conn, buf: bytes):
        """A chunked body: (body, bytes after it), or None when malformed or too large."""
        body = b""
        while True:
            while b"\r\n" not in buf:
                if len(buf) > 1024:
                    return None
                data = await self._recv(loop, conn, 60.0)
                if not data:
                    return None
                buf += data
            line, _, buf = buf.partition(b"\r\n")
            try:
                size = int(line.split(b";")[0].strip(), 16)
            except ValueError:
                return None
            if size < 0 or len(body) + size > _MAX_BODY:
                return None
            if size == 0:
                # trailers, up to the empty line
                while True:
                    while b"\r\n" not in buf:
                        if len(buf) > 8192:
                            return None
                        data = await self._recv(loop, conn, 60.0)
                        if not data:
                            return None
                        buf += data
                    line, _, buf = buf.partition(b"\r\n")
                    if not line:
                        return body, buf
            while len(buf) < size + 2:
                data = await self._recv(loop, conn, 60.0)
                if not data:
                    return None
                buf += data
            if buf[size:size + 2] != b"\r\n":
                return None
            body += buf[:size]
            buf = buf[size + 2:]

    async def _respond(self, loop, conn, status: int, ctype: str, body: bytes, keep: bool, method: str) -> None:
        head = (f"HTTP/1.1 {status} {_REASONS.get(status, 'Unknown')}\r\n"
                f"Content-Type: {ctype}\r\nContent-Length: {len(body)}\r\n"
                f"Connection: {'keep-alive' if keep else 'close'}\r\n\r\n").encode("latin-1")
        await loop.sock_sendall(conn, head + (b"" if method == "HEAD" else body))
