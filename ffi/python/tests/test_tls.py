"""TLS in the core from Python: ``tls cert`` / ``tls key`` set on the server, an https
handshake and an xhr-polling connect with a client that trusts the suite's test-only
certificate (conformance/fixtures)."""

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


@run_async
async def test_tls_with_a_host_listener_is_refused_not_served_plain():
    srv = sio09.Server()
    srv.set("tls cert", str(CERT)).set("tls key", str(KEY))
    srv.on_request(lambda req: (200, "text/plain", b"page"))
    try:
        await srv.serve("127.0.0.1", 0)
    except sio09.SioError as e:
        assert e.name == "SIO_E_CONFIG" and "tls cert" in e.message
    else:
        raise AssertionError("serve() must refuse TLS options it cannot honour")
    finally:
        srv.stop()
