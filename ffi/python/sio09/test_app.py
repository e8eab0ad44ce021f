"""The test app of TEST-APP.md on the Python host: ``python -m sio09.test_app [--port N]``.

Listens on 127.0.0.1:$PORT (default 8080); options come from the environment, ``SIO_X_Y`` →
option ``"x y"`` (values as text, parsed by the library like the sio09 binary does). Prints
``READY <port>``; stops on SIGTERM/SIGINT.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import signal
import sys
from typing import Any

from . import Server, SioError
from ._json import dumps

NAMESPACES = ["", "/chat", "/vip", "/private", "/broken"]
MAX_EMIT_MANY = 100_000
MAX_LATER_MS = 600_000.0


def _query_flag(hs: dict, key: str) -> bool:
    q = hs.get("query") if isinstance(hs, dict) else None
    return isinstance(q, dict) and q.get(key) == "1"


def _room_name(v: Any) -> str:
    """A room name from an event argument (as the Rust test app: strings as they are, null
    as '', anything else as its JSON text)."""
    if isinstance(v, str):
        return v
    if v is None:
        return ""
    return dumps(v)


def options_from_env(env: dict[str, str]) -> dict[str, str]:
    """``SIO_X_Y=v`` → ``{"x y": "v"}`` for every SIO_* variable."""
    return {k[4:].lower().replace("_", " "): v for k, v in env.items() if k.startswith("SIO_")}


def install_handlers(io: Server, name: str) -> None:
    nsp = io.of(name)

    @nsp.on("connection")
    def connection(socket):
        nsp.to("monitor").emit("arrived", socket.id, name)

    @nsp.on("disconnect")
    def disconnect(socket, reason):
        nsp.to("monitor").emit("gone", socket.id, name, reason)

    @nsp.on("echo")
    def echo(socket, *args, ack=None):
        if ack is not None:
            ack(*args)
        else:
            socket.emit("echo", *args)

    @nsp.on("message")
    def message(socket, data, ack=None):
        if ack is not None:
            ack(data)
        elif isinstance(data, str):
            socket.send(data)
        else:
            socket.json.send(data)

    @nsp.on("whoami")
    def whoami(socket):
        return socket.id, name

    @nsp.on("handshake-query")
    def handshake_query(socket):
        return (socket.handshake.get("query", {}),)

    @nsp.on("join")
    def join(socket, room):
        room = _room_name(room)
        socket.join(room)
        return (room,)

    @nsp.on("leave")
    def leave(socket, room):
        room = _room_name(room)
        socket.leave(room)
        return (room,)

    @nsp.on("to-room")
    def to_room(socket, room, data):
        room = _room_name(room)
        nsp.to(room).emit("room", room, data)

    @nsp.on("broadcast-room")
    def broadcast_room(socket, room, data):
        room = _room_name(room)
        socket.broadcast.to(room).emit("room", room, data)

    @nsp.on("room")
    def room(socket, *args):
        nsp.to(_room_name(args[0] if args else None)).emit("room", *args)
        return ()

    @nsp.on("broadcast")
    def broadcast(socket, data):
        socket.broadcast.emit("broadcast", data)

    @nsp.on("emit-all")
    def emit_all(socket, data):
        nsp.emit("all", data)

    @nsp.on("set")
    async def set_(socket, key, value):
        try:
            ok = await socket.set(_room_name(key), value)
        except Exception:
            ok = False
        return (bool(ok),)

    @nsp.on("get")
    async def get(socket, key):
        try:
            v = await socket.get(_room_name(key))
        except Exception:
            v = None
        return (v,)

    @nsp.on("disconnect-me")
    def disconnect_me(socket):
        socket.disconnect()

    @nsp.on("send-json")
    def send_json(socket, data):
        socket.json.send(data)

    @nsp.on("emit-many")
    def emit_many(socket, n, tag):
        # JavaScript's `for (i = 0; i < n; i++)`: ceil(n) iterations for a positive number
        ok = isinstance(n, (int, float)) and not isinstance(n, bool) and n > 0 and n == n
        count = min(math.ceil(n), MAX_EMIT_MANY) if ok and n != float("inf") else (MAX_EMIT_MANY if ok else 0)
        # encode first, then emit back to back: the packets of one handler travel together
        # (a sync host writes them all before any poll can be answered)
        name = b"seq"
        tag_json = dumps(tag)
        socket._emit_encoded([(name, f"[{i},{tag_json}]".encode()) for i in range(count)])

    @nsp.on("emit-later")
    def emit_later(socket, ms, data):
        delay = float(ms) if isinstance(ms, (int, float)) and not isinstance(ms, bool) else 0.0
        delay = min(max(delay, 0.0), MAX_LATER_MS)
        asyncio.get_running_loop().call_later(delay / 1000.0, socket.emit, "later", data)

    def server_ack(socket, data):
        socket.emit("ask", data, callback=lambda *reply: socket.emit("got-ack", list(reply)))

    nsp.on("server-ack", server_ack)
    nsp.on("server-ack-plain", server_ack)

    @nsp.on("clients")
    def clients(socket, room=None):
        return (nsp.client_ids(_room_name(room) or None),)

    def room_of(sid, room, join: bool) -> bool:
        try:
            op = nsp.join_sid if join else nsp.leave_sid
            return op(str(sid), _room_name(room))
        except SioError:
            return False  # not a session id

    @nsp.on("join-of")
    def join_of(socket, sid, room):
        return (room_of(sid, room, True),)

    @nsp.on("leave-of")
    def leave_of(socket, sid, room):
        return (room_of(sid, room, False),)

    @nsp.on("watch")
    def watch(socket):
        socket.join("monitor")
        return (True,)


def build(options: dict[str, Any] | None = None) -> Server:
    """The test app on a new (not yet serving) Server."""
    io = Server(options)

    @io.authorization
    def authorize(hs):
        if _query_flag(hs, "autherr"):
            raise RuntimeError("authorization failure")
        return not _query_flag(hs, "deny")

    @io.on_request
    def probe(req):
        return 200, "text/plain", f"probe app: {req.method} {req.url}"

    for name in NAMESPACES:
        nsp = io.of(name)
        if name == "/private":
            nsp.authorization(lambda hs: False)
        elif name == "/vip":
            nsp.authorization(lambda hs: _query_flag(hs, "vip"))
        elif name == "/broken":
            def broken(hs):
                raise RuntimeError("namespace auth failure")
            nsp.authorization(broken)
        install_handlers(io, name)
    return io


async def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m sio09.test_app", description=__doc__.split("\n")[0])
    ap.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8080")))
    ap.add_argument("--host", default="127.0.0.1")
    args = ap.parse_args(argv)
    try:
        io = build(options_from_env(dict(os.environ)))
    except SioError as e:
        print(f"sio09.test_app: options: {e}", file=sys.stderr)
        return 2
    try:
        await io.serve(args.host, args.port)
    except (SioError, OSError) as e:
        print(f"sio09.test_app: cannot listen on {args.host}:{args.port}: {e}", file=sys.stderr)
        io.stop()
        return 1
    print(f"READY {io.port}", flush=True)
    done = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, done.set)
    await done.wait()
    io.stop(0)
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
