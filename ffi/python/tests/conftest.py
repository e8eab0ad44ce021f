import asyncio
import functools
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))


def run_async(fn):
    """Run an async test on a fresh event loop (no pytest plugin needed), bounded in time."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        async def bounded():
            return await asyncio.wait_for(fn(*args, **kwargs), 30)
        return asyncio.run(bounded())
    return wrapper
