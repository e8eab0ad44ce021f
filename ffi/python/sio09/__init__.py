"""sio09 for Python: a Socket.IO 0.9 server (libsio09, over ctypes) with an asyncio API.

    import asyncio, sio09

    async def main():
        io = sio09.Server({"transports": ["websocket", "xhr-polling"]})

        @io.on("connection")
        def connected(socket):
            socket.emit("hello", socket.id)

        @io.sockets.on("echo")
        def echo(socket, *args):
            return args          # answers the client's ack, if it asked for one

        await io.serve("127.0.0.1", 3000)
        await io.wait_closed()

    asyncio.run(main())
"""

from ._json import RawJSON
from ._lib import LibraryError, SIO_ABI_MAJOR, SIO_ABI_MINOR, find_library
from .server import (
    Ack,
    BroadcastOperator,
    Namespace,
    Request,
    Server,
    SioError,
    Socket,
    StoreError,
)

__version__ = "0.1.0"


def library_version() -> str:
    """``sio_version()`` of the loaded libsio09."""
    from ._lib import lib
    return lib().sio_version().decode()


def abi_version() -> tuple[int, int]:
    """``sio_abi_version()`` of the loaded libsio09 as (major, minor)."""
    from ._lib import lib
    v = lib().sio_abi_version()
    return v >> 16, v & 0xFFFF


__all__ = [
    "Ack", "BroadcastOperator", "LibraryError", "Namespace", "RawJSON", "Request", "Server",
    "SioError", "Socket", "StoreError", "SIO_ABI_MAJOR", "SIO_ABI_MINOR", "abi_version",
    "find_library", "library_version",
]
