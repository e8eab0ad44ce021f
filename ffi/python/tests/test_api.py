"""The Python API over a real libsio09 and real sockets (raw websocket / HTTP clients)."""

import asyncio
import json
import logging
import shutil
import subprocess

import pytest

import sio09
from sio09 import SioError, _lib
from conftest import run_async
from wsclient import HandshakeRefused, WsClient, handshake, http_request


async def serving(srv: sio09.Server) -> sio09.Server:
    await srv.serve("127.0.0.1", 0)
    assert isinstance(srv.port, int) and srv.port > 0
    return srv


# ---------------------------------------------------------------- library and options

def test_abi_version_matches_the_package():
    major, minor = sio09.abi_version()
    assert major == sio09.SIO_ABI_MAJOR
    assert minor >= 0
    assert sio09.library_version().count(".") == 2


def test_sio09_lib_pointing_nowhere_fails_clearly(monkeypatch, tmp_path):
    monkeypatch.setenv("SIO09_LIB", str(tmp_path / "nope.so"))
    with pytest.raises(sio09.LibraryError, match="SIO09_LIB"):
        _lib.find_library()


def test_wrong_abi_major_is_refused(tmp_path):
    cc = shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
    if cc is None:
        pytest.skip("no C compiler")
    src = tmp_path / "fake.c"
    src.write_text("unsigned sio_abi_version(void) { return (7u << 16) | 3u; }\n")
    so = tmp_path / "libfake.so"
    subprocess.run([cc, "-shared", "-fPIC", "-o", str(so), str(src)], check=True)
    with pytest.raises(sio09.LibraryError, match=r"ABI version 7\.3"):
        _lib.load(so)


def test_not_a_library_is_refused(tmp_path):
    bad = tmp_path / "libsio09.so"
    bad.write_bytes(b"not an ELF file")
    with pytest.raises(sio09.LibraryError, match="cannot load"):
        _lib.load(bad)


def test_every_spec_function_is_declared():
    lib = _lib.lib()
    for name, (restype, argtypes) in _lib.SIGNATURES.items():
        fn = getattr(lib, name)
        assert fn.restype is restype, name
        assert fn.argtypes == argtypes, name


def test_result_strings():
    lib = _lib.lib()
    assert lib.sio_result_str(0)
    assert lib.sio_result_str(_lib.SIO_E_NOT_FOUND) != lib.sio_result_str(0)
    # unknown codes print as "invalid parameter"
    assert lib.sio_result_str(12345) == lib.sio_result_str(_lib.SIO_E_INVALID_PARAM)


def test_options_set_get_enable_disable():
    srv = sio09.Server({"heartbeat interval": 7})
    assert srv.get("heartbeat interval") == 7
    srv.set("close timeout", 12.5)
    assert srv.get("close timeout") == 12.5
    srv.set("transports", ["websocket", "xhr-polling"])
    assert srv.get("transports") == ["websocket", "xhr-polling"]
    srv.disable("browser client")
    assert srv.get("browser client") is False and srv.disabled("browser client")
    srv.enable("browser client")
    assert srv.enabled("browser client")
    srv.set("resource", "/custom")
    assert srv.get("resource") == "/custom"
    srv.stop()


def test_unknown_option_raises_sioerror_with_the_library_message():
    srv = sio09.Server()
    with pytest.raises(SioError) as ei:
        srv.set("heartbeat intreval", 3)
    assert ei.value.code != 0
    assert ei.value.name.startswith("SIO_E_")
    assert "heartbeat intreval" in str(ei.value)
    with pytest.raises(SioError):
        srv.set("heartbeat interval", "soon")
    assert srv.get("heartbeat interval") == 25  # unchanged (0.9 default)
    srv.stop()


def test_configure_by_environment(monkeypatch):
    monkeypatch.delenv("NODE_ENV", raising=False)
    srv = sio09.Server()
    assert srv.get("log level") == 3  # 0.9 default
    srv.configure("production", {"log level": 0})
    assert srv.get("log level") == 3  # NODE_ENV defaults to development
    srv.configure("development", {"log level": 2, "heartbeats": False})
    assert srv.get("log level") == 2 and srv.get("heartbeats") is False
    srv.configure({"close timeout": 9})
    assert srv.get("close timeout") == 9
    seen = []
    srv.configure("production", lambda s: seen.append("prod"))
    srv.configure(lambda s: seen.append(s))
    assert seen == [srv]
    srv.stop()


def test_namespaces_can_be_declared_once_serving():
    async def main():
        srv = sio09.Server()
        chat = srv.of("/chat")
        assert srv.of("/chat") is chat
        assert srv.of("") is srv.sockets and srv.sockets.id == 0
        assert chat.id != 0
        await serving(srv)
        try:
            # SPEC 15:35: sio_of works after start (0.9 apps call io.of at any time).
            late = srv.of("/late")
            assert late.id == chat.id + 1
            assert srv.of("/late") is late
        finally:
            srv.stop()
    run_async(main)()


# ---------------------------------------------------------------- events and acks

@run_async
async def test_connection_handshake_and_event_with_returned_ack():
    srv = sio09.Server()
    connected = []

    @srv.on("connection")
    def on_conn(socket):
        connected.append(socket)

    @srv.sockets.on("add")
    def add(socket, a, b):
        return a + b

    @srv.sockets.on("pair")
    def pair(socket, x):
        return x, socket.id

    await serving(srv)
    c = await WsClient.connect(srv.port, "token=abc&x=1")
    try:
        assert await c.call("add", 2, 40) == [42]
        assert await c.call("pair", "p") == ["p", c.sid]
        assert len(connected) == 1
        s = connected[0]
        assert s.id == c.sid
        assert s.handshake["query"] == {"token": "abc", "x": "1"}
        assert s.transport == "websocket"
        assert s.namespace is srv.sockets
        # missing args are None, extra ones dropped (JavaScript arity)
        assert await c.call("add", 1, 2, 3) == [3]
    finally:
        await c.close()
        srv.stop()


@run_async
async def test_explicit_ack_async_handler_and_no_ack_when_not_asked():
    srv = sio09.Server()
    calls = []

    @srv.sockets.on("slow")
    async def slow(socket, ms, ack=None):
        calls.append(ack is not None)
        await asyncio.sleep(ms / 1000)
        if ack:
            ack("done", ms)

    await serving(srv)
    c = await WsClient.connect(srv.port)
    try:
        assert await c.call("slow", 20) == ["done", 20]
        c.emit("slow", 1)  # no ack asked: handler gets ack=None
        c.emit("marker")
        await asyncio.sleep(0.2)
        assert calls == [True, False]
        assert not any(f.startswith("6:") and f != "6:::1+[\"done\",20]" for f in c.frames)
    finally:
        await c.close()
        srv.stop()


@run_async
async def test_messages_text_and_json():
    srv = sio09.Server()
    got = []

    @srv.sockets.on("message")
    def message(socket, data):
        got.append(data)
        if isinstance(data, str):
            socket.send(data.upper())
        else:
            socket.json.send({"got": data})

    await serving(srv)
    c = await WsClient.connect(srv.port)
    try:
        c.send("3:::hello é")
        assert await c.wait_for(lambda f: f.startswith("3:")) == "3:::HELLO É"
        c.send('4:::{"a":[1,2.5,null]}')
        f = await c.wait_for(lambda f: f.startswith("4:"))
        assert json.loads(f[4:]) == {"got": {"a": [1, 2.5, None]}}
        assert got == ["hello é", {"a": [1, 2.5, None]}]
    finally:
        await c.close()
        srv.stop()


@run_async
async def test_server_emit_with_callback_and_call():
    srv = sio09.Server()
    sockets = []
    replies = []
    srv.on("connection", sockets.append)
    await serving(srv)
    c = await WsClient.connect(srv.port)
    try:
        await c.wait_for(lambda f: True)
        for _ in range(50):
            if sockets:
                break
            await asyncio.sleep(0.02)
        s = sockets[0]
        assert s.emit("ask", {"q": 1}, callback=lambda *a: replies.append(a))
        f = await c.wait_for(lambda f: f.startswith("5:"))
        ack_id = f.split(":")[1]
        assert ack_id.endswith("+")  # always the data-ack form
        assert json.loads(f.split(":", 3)[3]) == {"name": "ask", "args": [{"q": 1}]}
        c.send(f"6:::{ack_id[:-1]}+[\"yes\",3]")
        for _ in range(100):
            if replies:
                break
            await asyncio.sleep(0.02)
        assert replies == [("yes", 3)]

        # the awaitable form
        task = asyncio.ensure_future(s.call("ask2", timeout=5))
        f = await c.wait_for(lambda f: '"ask2"' in f)
        c.send(f"6:::{f.split(':')[1][:-1]}+[[1,2]]")
        assert await task == [[1, 2]]
    finally:
        await c.close()
        srv.stop()


# ---------------------------------------------------------------- rooms, broadcasts, clients

@run_async
async def test_rooms_broadcast_and_clients():
    srv = sio09.Server()

    @srv.sockets.on("join")
    def join(socket, room):
        socket.join(room)
        return room

    @srv.sockets.on("leave")
    def leave(socket, room):
        socket.leave(room)
        return room

    @srv.sockets.on("shout")
    def shout(socket, room, text):
        socket.broadcast.to(room).emit("heard", text)

    @srv.sockets.on("all")
    def all_(socket, text):
        srv.sockets.emit("everyone", text)

    await serving(srv)
    a = await WsClient.connect(srv.port)
    b = await WsClient.connect(srv.port)
    c = await WsClient.connect(srv.port)
    try:
        assert await a.call("join", "r1") == ["r1"]
        assert await b.call("join", "r1") == ["r1"]
        assert sorted(s.id for s in srv.sockets.clients("r1")) == sorted([a.sid, b.sid])
        assert sorted(srv.sockets.client_ids()) == sorted([a.sid, b.sid, c.sid])
        assert srv.sockets.clients("nobody") == []

        a.emit("shout", "r1", "hi")
        assert await b.wait_event("heard") == ["hi"]
        srv.sockets.to("r1").emit("direct", 1)
        assert await a.wait_event("direct") == [1]
        assert await b.wait_event("direct") == [1]

        a.emit("all", "x")
        for cl in (a, b, c):
            assert await cl.wait_event("everyone") == ["x"]
        # c never got the room traffic; a never heard its own shout
        assert c.events("heard") == [] and c.events("direct") == []
        assert a.events("heard") == []

        # packet kinds and flags of broadcasts
        srv.sockets.json.send({"k": [1, 2]})
        for cl in (a, b, c):
            assert await cl.wait_for(lambda f: f.startswith("4:")) == '4:::{"k":[1,2]}'
        srv.sockets.to("r1").send("txt")
        assert await b.wait_for(lambda f: f.startswith("3:")) == "3:::txt"
        srv.sockets.volatile.emit("v", 1.0)
        assert await c.wait_event("v") == [1]
        assert c.frames.count('5:::{"name":"v","args":[1]}') == 1  # JavaScript number text
        srv.sockets.except_(srv.sockets.socket(a.sid)).emit("not-a", True)
        assert await b.wait_event("not-a") == [True]
        assert await c.wait_event("not-a") == [True]
        srv.sockets.emit("marker")
        await a.wait_event("marker")
        assert a.events("not-a") == []
        assert "3:::txt" in a.frames and not any(f.startswith("3:") for f in c.frames)

        assert await b.call("leave", "r1") == ["r1"]
        assert [s.id for s in srv.sockets.clients("r1")] == [a.sid]
    finally:
        for cl in (a, b, c):
            await cl.close()
        srv.stop()


@run_async
async def test_namespaces_route_events_separately():
    srv = sio09.Server()
    chat = srv.of("/chat")
    seen = []

    @chat.on("connection")
    def conn(socket):
        seen.append(("chat", socket.id))

    @chat.on("where")
    def where(socket):
        return socket.namespace.name

    @srv.sockets.on("where")
    def where_main(socket):
        return "main"

    await serving(srv)
    c = await WsClient.connect(srv.port)
    try:
        c.send("1::/chat")
        await c.wait_for(lambda f: f == "1::/chat")
        assert await c.call("where", endpoint="/chat") == ["/chat"]
        assert await c.call("where") == ["main"]
        assert seen == [("chat", c.sid)]
        assert [s.id for s in chat.clients()] == [c.sid]
        assert chat.socket(c.sid).namespace is chat
        assert chat.socket("nope") is None
    finally:
        await c.close()
        srv.stop()


# ---------------------------------------------------------------- store

@run_async
async def test_socket_store_set_get_has_del():
    srv = sio09.Server()
    results = []

    @srv.sockets.on("run")
    async def run(socket):
        assert await socket.set("k", {"n": 1}) is True
        results.append(await socket.get("k"))
        results.append(await socket.has("k"))
        results.append(await getattr(socket, "del")("k"))
        results.append(await socket.has("k"))
        results.append(await socket.get("k"))
        return "ok"

    await serving(srv)
    c = await WsClient.connect(srv.port)
    try:
        assert await c.call("run") == ["ok"]
        assert results == [{"n": 1}, True, True, False, None]
    finally:
        await c.close()
        srv.stop()


# ---------------------------------------------------------------- disconnects

@run_async
async def test_server_disconnect_and_reasons():
    srv = sio09.Server()
    gone = []

    @srv.sockets.on("kick-me")
    def kick(socket):
        assert socket.disconnect() is True

    @srv.sockets.on("disconnect")
    def disc(socket, reason):
        gone.append((socket.id, reason, socket.connected))

    await serving(srv)
    c = await WsClient.connect(srv.port)
    d = await WsClient.connect(srv.port)
    try:
        c.emit("kick-me")
        await c.wait_for(lambda f: f == "0::")
        await d.close()
        for _ in range(200):
            if len(gone) == 2:
                break
            await asyncio.sleep(0.02)
        assert (c.sid, "booted", False) in gone
        assert any(sid == d.sid for sid, _, _ in gone)
        assert srv.sockets.clients() == []
    finally:
        await c.close()
        srv.stop()


# ---------------------------------------------------------------- authorization

@run_async
async def test_global_authorization_allow_refuse_error_and_extension():
    srv = sio09.Server()
    authed = []

    @srv.authorization
    async def auth(hs):
        q = hs.get("query", {})
        if q.get("boom"):
            raise ValueError("no entry")
        await asyncio.sleep(0.01)
        hs["user"] = q.get("user")
        return q.get("user") != "mallory"

    srv.on("connection", authed.append)
    await serving(srv)
    try:
        with pytest.raises(HandshakeRefused) as ei:
            await handshake(srv.port, "user=mallory")
        assert ei.value.status == 403
        with pytest.raises(HandshakeRefused) as ei:
            await handshake(srv.port, "boom=1")
        assert ei.value.status == 500
        c = await WsClient.connect(srv.port, "user=alice")
        try:
            for _ in range(50):
                if authed:
                    break
                await asyncio.sleep(0.02)
            assert authed[0].handshake.get("user") == "alice"
        finally:
            await c.close()
    finally:
        srv.stop()


@run_async
async def test_namespace_authorization():
    srv = sio09.Server()
    srv.of("/closed").authorization(lambda hs: False)

    @srv.of("/err").authorization
    def err(hs):
        raise RuntimeError("nope")

    srv.of("/vip").authorization(lambda hs: hs["query"].get("vip") == "1")
    await serving(srv)
    c = await WsClient.connect(srv.port, "vip=1")
    try:
        c.send("1::/closed")
        assert await c.wait_for(lambda f: "/closed" in f) == "7::/closed:2"
        c.send("1::/err")
        assert await c.wait_for(lambda f: "/err" in f) == "7::/err:2"
        c.send("1::/vip")
        assert await c.wait_for(lambda f: "/vip" in f) == "1::/vip"
    finally:
        await c.close()
        srv.stop()


# ---------------------------------------------------------------- HTTP outside the resource

@run_async
async def test_on_request_answers_outside_the_resource_only():
    srv = sio09.Server()
    reqs = []

    @srv.on_request
    async def app(req):
        reqs.append((req.method, req.url, req.body))
        if req.url == "/teapot":
            return 418, "text/plain", "short and stout"
        return f"app: {req.method} {req.url}"

    await serving(srv)
    try:
        st, hdr, body = await http_request(srv.port, "GET", "/hello?x=1")
        assert (st, body) == (200, b"app: GET /hello?x=1")
        assert hdr["content-type"].startswith("text/plain")
        st, _, body = await http_request(srv.port, "POST", "/form", b"a=1&b=2")
        assert (st, body) == (200, b"app: POST /form")
        assert reqs[-1] == ("POST", "/form", b"a=1&b=2")
        st, _, body = await http_request(srv.port, "GET", "/teapot")
        assert (st, body) == (418, b"short and stout")
        # the resource is the library's
        st, _, body = await http_request(srv.port, "GET", "/socket.io/1/")
        assert st == 200 and body.count(b":") == 3
        st, _, body = await http_request(srv.port, "GET", "/socket.io/")
        assert body == b"Welcome to socket.io."
        assert [r[1] for r in reqs] == ["/hello?x=1", "/form", "/teapot"]
        # chunked body, then a second request on the same (keep-alive) connection
        r, w = await asyncio.open_connection("127.0.0.1", srv.port)
        w.write(b"POST /chunked HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                b"3\r\nabc\r\n2;ext=1\r\nde\r\n0\r\n\r\n"
                b"GET /second HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        raw = await asyncio.wait_for(r.read(), 5)
        w.close()
        assert raw.count(b"HTTP/1.1 200 OK") == 2
        assert raw.endswith(b"app: GET /second")
        assert b"app: POST /chunked" in raw
        assert reqs[-2] == ("POST", "/chunked", b"abcde")
    finally:
        srv.stop()


# ---------------------------------------------------------------- robustness and shutdown

@run_async
async def test_handler_errors_and_bad_values_do_not_break_the_server(caplog):
    srv = sio09.Server()

    @srv.sockets.on("crash")
    def crash(socket):
        raise KeyError("boom")

    @srv.sockets.on("bad-emit")
    def bad_emit(socket):
        with pytest.raises(TypeError):
            socket.emit("x", object())
        return "survived"

    @srv.sockets.on("echo")
    def echo(socket, *a):
        return a

    await serving(srv)
    c = await WsClient.connect(srv.port)
    try:
        with caplog.at_level(logging.ERROR, logger="sio09"):
            c.emit("crash")
            assert await c.call("echo", "still", "here") == ["still", "here"]
        assert any("boom" in r.getMessage() or (r.exc_info and "boom" in str(r.exc_info[1])) for r in caplog.records)
        assert await c.call("bad-emit") == ["survived"]
        c.send("5:::not json")  # the library drops it; the session goes on
        assert await c.call("echo", 1) == [1]
    finally:
        await c.close()
        srv.stop()


@run_async
async def test_stop_runs_disconnects_then_frees():
    srv = sio09.Server()
    sockets, gone = [], []
    srv.on("connection", sockets.append)
    srv.sockets.on("disconnect", lambda s, reason: gone.append(reason))
    await serving(srv)
    port = srv.port
    c = await WsClient.connect(port)
    for _ in range(50):
        if sockets:
            break
        await asyncio.sleep(0.02)
    srv.stop(100)
    assert gone and len(gone) == 1
    await asyncio.wait_for(srv.wait_closed(), 1)
    assert sockets[0].emit("late") is False
    with pytest.raises(SioError) as ei:
        srv.get("heartbeats")
    assert ei.value.code == _lib.SIO_E_STOPPED
    srv.stop()  # idempotent
    await asyncio.wait_for(c.closed, 5)
    await c.close()
    with pytest.raises(OSError):
        await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), 2)


def test_unstarted_server_is_freed_without_a_loop():
    srv = sio09.Server()
    srv.of("/x")
    srv.stop()
    srv.stop()
    assert srv._ptr is None
