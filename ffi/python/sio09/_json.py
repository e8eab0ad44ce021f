"""JSON the way JavaScript's ``JSON.parse``/``JSON.stringify`` do it.

Event arguments travel as JSON. Clients of a Socket.IO 0.9 server are JavaScript, and the
reference server re-serialises what it forwards with ``JSON.stringify``; so this module
formats numbers as JavaScript does (``1.0`` → ``1``, ``1e-7``, ``1e+21``, integers beyond
2**53 rounded to doubles), writes non-finite numbers as ``null``, never escapes non-ASCII
text, and escapes lone surrogates as ``\\udXXX`` (the well-formed ``JSON.stringify``).
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

_ESCAPES = {
    '"': '\\"', "\\": "\\\\", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t",
}
_NEEDS_ESCAPE = re.compile('["\\\\\x00-\x1f\ud800-\udfff]')


def _esc(m: re.Match) -> str:
    c = m.group(0)
    e = _ESCAPES.get(c)
    return e if e is not None else "\\u%04x" % ord(c)


def _str(s: str) -> str:
    return '"' + _NEEDS_ESCAPE.sub(_esc, s) + '"'


def js_number(x: float | int) -> str:
    """``String(x)`` for a finite number, JavaScript's Number::toString."""
    if isinstance(x, int):
        if -(2**53) <= x <= 2**53:
            return str(x)
        x = float(x)
    if math.isnan(x) or math.isinf(x):
        return "null"
    if x == 0:
        return "0"
    sign = "-" if x < 0 else ""
    r = repr(abs(x))  # shortest round-trip digits, as in JavaScript
    if "e" in r:
        mant, exp = r.split("e")
        e10 = int(exp)
    else:
        mant, e10 = r, 0
    if "." in mant:
        ip, fp = mant.split(".")
    else:
        ip, fp = mant, ""
    digits = (ip + fp).lstrip("0")
    # value = 0.DIGITS * 10**n
    lead_zeros = len(ip + fp) - len((ip + fp).lstrip("0"))
    n = len(ip) + e10 - lead_zeros
    digits = digits.rstrip("0") or "0"
    k = len(digits)
    if k <= n <= 21:
        out = digits + "0" * (n - k)
    elif 0 < n <= 21:
        out = digits[:n] + "." + digits[n:]
    elif -6 < n <= 0:
        out = "0." + "0" * (-n) + digits
    else:
        e = n - 1
        es = ("+" if e >= 0 else "-") + str(abs(e))
        out = digits[0] + ("." + digits[1:] if k > 1 else "") + "e" + es
    return sign + out


class RawJSON:
    """A JSON text inserted verbatim by :func:`dumps` (the caller vouches for it)."""

    __slots__ = ("text",)

    def __init__(self, text: str):
        self.text = text

    def __repr__(self) -> str:
        return f"RawJSON({self.text!r})"


def dumps(v: Any) -> str:
    """``JSON.stringify(v)`` (``None`` → ``null``; tuples as arrays; unknown types → TypeError)."""
    if v is None:
        return "null"
    if v is True:
        return "true"
    if v is False:
        return "false"
    if isinstance(v, str):
        return _str(v)
    if isinstance(v, (int, float)):
        return js_number(v)
    if isinstance(v, (list, tuple)):
        return "[" + ",".join(dumps(x) for x in v) + "]"
    if isinstance(v, dict):
        parts = []
        for k, x in v.items():
            if not isinstance(k, str):
                k = js_number(k) if isinstance(k, (int, float)) and not isinstance(k, bool) else str(k)
            parts.append(_str(k) + ":" + dumps(x))
        return "{" + ",".join(parts) + "}"
    if isinstance(v, RawJSON):
        return v.text
    if isinstance(v, (bytes, bytearray)):
        return _str(bytes(v).decode("utf-8", "replace"))
    raise TypeError(f"cannot send a {type(v).__name__} as JSON")


def dumps_args(args: Any) -> str:
    return "[" + ",".join(dumps(x) for x in args) + "]"


def loads(b: bytes | str) -> Any:
    """Parse JSON from the library (UTF-8; invalid sequences become U+FFFD)."""
    if isinstance(b, (bytes, bytearray)):
        b = bytes(b).decode("utf-8", "replace")
    return json.loads(b)
