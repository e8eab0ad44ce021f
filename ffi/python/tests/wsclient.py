"""A minimal Socket.IO 0.9 client for the tests: the HTTP handshake and a raw RFC 6455
websocket over asyncio streams (masked client frames, text frames only)."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import re
import struct


async def http_request(port: int, method: str, target: str, body: bytes = b"",
                       headers: dict | None = None, timeout: float = 5.0) -> tuple[int, dict, bytes]:
    """One request on its own connection (Connection: close); (status, headers, body)."""
    r, w = await asyncio.open_connection("127.0.0.1", port)
    try:
        h = {"Host": f"127.0.0.1:{port}", "Connection": "close", **(headers or {})}
        if body or method == "POST":
            h["Content-Length"] = str(len(body))
        head = f"{method} {target} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in h.items()) + "\r\n"
        w.write(head.encode("latin-1") + body)
        await w.drain()
        raw = await asyncio.wait_for(r.read(), timeout)
    finally:
        w.close()
    head, _, rest = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    hdrs = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        hdrs[k.strip().lower()] = v.strip()
    if "content-length" in hdrs:
        rest = rest[: int(hdrs["content-length"])]
    return status, hdrs, rest


async def handshake(port: int, query: str = "") -> str:
    status, _, body = await http_request(port, "GET", f"/socket.io/1/{'?' + query if query else ''}")
    if status != 200:
        raise HandshakeRefused(status, body.decode("utf-8", "replace"))
    return body.decode().split(":")[0]


class HandshakeRefused(Exception):
    def __init__(self, status: int, body: str):
        super().__init__(f"{status} {body}")
        self.status, self.body = status, body


_PACKET = re.compile(r"^(\d):([^:]*):([^:]*)(?::(.*))?$", re.S)


def parse(packet: str) -> dict:
    m = _PACKET.match(packet)
    if not m:
        raise ValueError(f"not a packet: {packet!r}")
    kind, pid, endpoint, data = m.groups()
    p = {"type": int(kind), "id": pid, "endpoint": endpoint, "data": data or ""}
    if p["type"] == 5:
        ev = json.loads(p["data"])
        p["name"], p["args"] = ev["name"], ev.get("args", [])
    if p["type"] == 6:
        ack_id, _, args = p["data"].partition("+")
        p["ack"], p["args"] = ack_id, json.loads(args) if args else []
    return p


class WsClient:
    """A session over websocket; ``frames`` collects every packet received."""

    def __init__(self, reader, writer, sid: str):
        self.r, self.w, self.sid = reader, writer, sid
        self.frames: list[str] = []
        self._cond = asyncio.Condition()
        self._task = asyncio.ensure_future(self._read_loop())
        self.closed = asyncio.get_event_loop().create_future()
        self._next_ack = 1

    @classmethod
    async def connect(cls, port: int, query: str = "", sid: str | None = None) -> "WsClient":
        sid = sid or await handshake(port, query)
        r, w = await asyncio.open_connection("127.0.0.1", port)
        key = base64.b64encode(os.urandom(16)).decode()
        w.write((f"GET /socket.io/1/websocket/{sid} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                 f"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                 f"Sec-WebSocket-Version: 13\r\n\r\n").encode())
        await w.drain()
        head = await asyncio.wait_for(r.readuntil(b"\r\n\r\n"), 5)
        if b" 101 " not in head.split(b"\r\n")[0]:
            raise ConnectionError(f"upgrade refused: {head!r}")
        c = cls(r, w, sid)
        await c.wait_for(lambda p: p == "1::")
        return c

    async def _read_loop(self) -> None:
        try:
            while True:
                b0, b1 = await self.r.readexactly(2)
                n = b1 & 0x7F
                if n == 126:
                    n = struct.unpack(">H", await self.r.readexactly(2))[0]
                elif n == 127:
                    n = struct.unpack(">Q", await self.r.readexactly(8))[0]
                payload = await self.r.readexactly(n)
                op = b0 & 0x0F
                if op == 8:
                    break
                if op == 1:
                    async with self._cond:
                        self.frames.append(payload.decode("utf-8"))
                        self._cond.notify_all()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            if not self.closed.done():
                self.closed.set_result(True)
            async with self._cond:
                self._cond.notify_all()

    def send(self, packet: str) -> None:
        data = packet.encode("utf-8")
        mask = os.urandom(4)
        n = len(data)
        if n < 126:
            head = bytes([0x81, 0x80 | n])
        elif n < 65536:
            head = bytes([0x81, 0x80 | 126]) + struct.pack(">H", n)
        else:
            head = bytes([0x81, 0x80 | 127]) + struct.pack(">Q", n)
        self.w.write(head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data)))

    def emit(self, name: str, *args, endpoint: str = "", ack: bool = False) -> str | None:
        ack_id = None
        if ack:
            ack_id = str(self._next_ack)
            self._next_ack += 1
        self.send(f"5:{ack_id + '+' if ack_id else ''}:{endpoint}:" + json.dumps({"name": name, "args": list(args)}))
        return ack_id

    async def call(self, name: str, *args, endpoint: str = "", timeout: float = 5.0) -> list:
        ack_id = self.emit(name, *args, endpoint=endpoint, ack=True)
        p = await self.wait_packet(lambda p: p["type"] == 6 and p["ack"] == ack_id, timeout)
        return p["args"]

    async def wait_for(self, pred, timeout: float = 5.0, start: int = 0) -> str:
        """The first frame (from index ``start``) matching ``pred``."""
        async def look():
            async with self._cond:
                i = start
                while True:
                    while i < len(self.frames):
                        if pred(self.frames[i]):
                            return self.frames[i]
                        i += 1
                    if self.closed.done():
                        raise ConnectionError(f"closed; frames: {self.frames}")
                    await self._cond.wait()
        return await asyncio.wait_for(look(), timeout)

    async def wait_packet(self, pred, timeout: float = 5.0) -> dict:
        def ok(f):
            try:
                return pred(parse(f))
            except ValueError:
                return False
        return parse(await self.wait_for(ok, timeout))

    async def wait_event(self, name: str, endpoint: str = "", timeout: float = 5.0) -> list:
        p = await self.wait_packet(lambda p: p["type"] == 5 and p["name"] == name and p["endpoint"] == endpoint, timeout)
        return p["args"]

    def events(self, name: str, endpoint: str = "") -> list[list]:
        out = []
        for f in self.frames:
            try:
                p = parse(f)
            except ValueError:
                continue
            if p["type"] == 5 and p["name"] == name and p["endpoint"] == endpoint:
                out.append(p["args"])
        return out

    async def close(self) -> None:
        try:
            self.w.close()
            await self.w.wait_closed()
        except Exception:
            pass
        self._task.cancel()
