"""TLS in the core from Python: ``tls cert`` / ``tls key`` set on the server, an https
handshake and an xhr-polling connect with a client that trusts the suite's test-only
certificate (conformance/fixtures); the same with a request handler (the Python listener
hands connections over encrypted and serves the ones given back)."""

import asyncio
import ssl
from pathlib import Path

import sio09
from conftest import run_async

FIXTURES = Path(__file__).resolve().parents[3] / "conformance" / "fixtures"
CERT = FIXTURES / "tls-cert.pem"
KEY = FIXTURES / "tls-key.pem"


async def https_get(port: int, target: str) -> bytes:
    ctx = ssl.create_default_context(cafile=str(CERT))
    r, w = await asyncio.open_connection("127.0.0.1", port, ssl=ctx, server_hostname="localhost")
    try:
        w.write(f"GET {target} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n".encode())
        await w.drain()
        return await asyncio.wait_for(r.read(), 5)
    finally:
        w.close()


@run_async
async def test_https_handshake_and_polling():
    srv = sio09.Server()
    srv.set("tls cert", str(CERT)).set("tls key", str(KEY))
    await srv.serve("127.0.0.1", 0)
    try:
        raw = await https_get(srv.port, "/socket.io/1/?t=1")
        head, body = raw.split(b"\r\n\r\n", 1)
        assert head.startswith(b"HTTP/1.1 200 OK")
        sid = body.decode().split(":")[0]
        assert len(sid) == 20
        poll = await https_get(srv.port, f"/socket.io/1/xhr-polling/{sid}?t=2")
        assert poll.endswith(b"\r\n\r\n1::")
    finally:
        srv.stop()


async def read_response(r: asyncio.StreamReader) -> tuple[int, bytes]:
    """One response by its Content-Length: (status, body)."""
    head = await asyncio.wait_for(r.readuntil(b"\r\n\r\n"), 5)
    length = 0
    for line in head.split(b"\r\n"):
        k, _, v = line.partition(b":")
        if k.strip().lower() == b"content-length":
            length = int(v)
    body = await asyncio.wait_for(r.readexactly(length), 5)
    return int(head.split(b" ")[1]), body


@run_async
async def test_tls_with_a_request_handler_keeps_one_connection_for_both():
    """With ``on_request`` the Python listener accepts; the library terminates TLS and gives
    the requests outside the resource back decrypted; one kept-alive connection carries the
    app's requests and socket.io's in turn, and the session sees ``secure``."""
    srv = sio09.Server({"log level": 0})
    srv.set("tls cert", str(CERT)).set("tls key", str(KEY))
    srv.on_request(lambda req: (200, "text/plain", f"page {req.method} {req.url}".encode()))
    secure = []

    @srv.on("connection")
    def on_connection(socket):
        secure.append(socket.handshake.get("secure"))

    await srv.serve("127.0.0.1", 0)
    ctx = ssl.create_default_context(cafile=str(CERT))
    r, w = await asyncio.open_connection("127.0.0.1", srv.port, ssl=ctx, server_hostname="localhost")
    H = "Host: localhost\r\n"
    try:
        w.write(f"GET /index.html HTTP/1.1\r\n{H}\r\n".encode())
        assert await read_response(r) == (200, b"page GET /index.html")
        w.write(f"GET /socket.io/1/?t=1 HTTP/1.1\r\n{H}\r\n".encode())
        status, body = await read_response(r)
        assert status == 200 and body.count(b":") == 3, body
        sid = body.decode().split(":")[0]
        w.write(f"POST /form HTTP/1.1\r\n{H}Content-Length: 2\r\n\r\nhi".encode())
        assert await read_response(r) == (200, b"page POST /form")
        w.write(f"GET /socket.io/1/xhr-polling/{sid}?t=2 HTTP/1.1\r\n{H}\r\n".encode())
        assert await read_response(r) == (200, b"1::")
        w.write(f"GET /again HTTP/1.1\r\n{H}\r\n".encode())
        assert await read_response(r) == (200, b"page GET /again")
        for _ in range(100):
            if secure:
                break
            await asyncio.sleep(0.02)
        assert secure == [True]
    finally:
        w.close()
        srv.stop()


@run_async
async def test_tls_with_a_request_handler_and_half_a_pair_does_not_start():
    srv = sio09.Server()
    srv.set("tls cert", str(CERT))
    srv.on_request(lambda req: (200, "text/plain", b"page"))
    try:
        await srv.serve("127.0.0.1", 0)
    except sio09.SioError as e:
        assert e.name == "SIO_E_CONFIG" and "tls key" in e.message
    else:
        raise AssertionError("serve() must refuse a certificate without its key")
    finally:
        srv.stop()
