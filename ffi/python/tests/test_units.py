"""Units without a server: JavaScript-compatible JSON, the host listener's routing decisions."""

import json
import math

import pytest

from sio09._json import RawJSON, dumps, dumps_args, js_number, loads
from sio09._listener import HostListener, in_resource


@pytest.mark.parametrize("value,text", [
    (1.0, "1"), (0.1, "0.1"), (-2.5, "-2.5"), (1e-7, "1e-7"), (1e-6, "0.000001"),
    (1.5e-6, "0.0000015"), (1e20, "100000000000000000000"), (1e21, "1e+21"),
    (123456789012345678901234.0, "1.2345678901234569e+23"), (5e-324, "5e-324"),
    (2**60, "1152921504606847000"), (2**53, "9007199254740992"), (-0.0, "0"), (100, "100"),
    (float("nan"), "null"), (float("inf"), "null"), (12345678.9, "12345678.9"),
])
def test_numbers_format_like_javascript(value, text):
    assert js_number(value) == text


def test_strings_and_containers_like_json_stringify():
    assert dumps({"a": [1, "é\u2028\x01\"\\", None, True, False], "b": {}}) == \
        '{"a":[1,"é\u2028\\u0001\\"\\\\",null,true,false],"b":{}}'
    assert dumps("\ud800x") == '"\\ud800x"'  # lone surrogate escaped, stays valid UTF-8
    assert dumps(("t", 1)) == '["t",1]'
    assert dumps_args(()) == "[]"
    assert dumps([RawJSON('{"x":1}')]) == '[{"x":1}]'
    with pytest.raises(TypeError):
        dumps(object())
    for v in ["x", 1, 2.5, [1, {"a": None}], {"k": "é"}, True]:
        assert json.loads(dumps(v)) == v


def test_loads_replaces_invalid_utf8():
    assert loads(b'["a\xffb"]') == ["a\ufffdb"]
    assert math.isnan(loads("NaN"))  # Python's parser; the library never sends it


@pytest.mark.parametrize("target,resource,ours", [
    ("/socket.io/1/", "/socket.io", True),
    ("/socket.io", "/socket.io", True),
    ("/socket.io?x=1", "/socket.io", True),
    ("/socket.iox/1/", "/socket.io", False),
    ("/socket/io/1/", "/socket.io", False),
    ("/hello", "/socket.io", False),
    ("/custom/1/", "/custom", True),
    ("/socket.io/1/", "/custom", False),
    ("/a/b", "/a/", True),
])
def test_in_resource_matches_sio09_split_resource(target, resource, ours):
    assert in_resource(target, resource) is ours


class _Srv:
    def get(self, key):
        return {"resource": "/socket.io", "destroy upgrade": True}[key]


def _classify(buf):
    h = HostListener(_Srv(), "127.0.0.1", 0)
    return h._classify(buf)


def test_classify_routes_by_request_line_and_head():
    assert _classify(b"") == "more"
    assert _classify(b"GE") == "more"
    assert _classify(b"GET /hel") == "more"
    assert _classify(b"<policy-file-request/>\0") == "adopt"
    assert _classify(b"\x16\x03\x01") == "adopt"  # TLS hello: not HTTP
    assert _classify(b"GET /socket.io/1/ HTTP/1.1\r\n") == "adopt"  # resource: at the line
    assert _classify(b"GET /hello HTTP/1.1\r\nHost: x\r\n") == "more"  # head not complete
    d = _classify(b"POST /hello?x=1 HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc")
    assert d[1:4] == ("POST", "/hello?x=1", (1, 1))
    assert d[4]["content-length"] == "3"
    assert d[0] == len(b"POST /hello?x=1 HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\n")
    # an Upgrade outside the resource is the library's to destroy (destroy upgrade on)
    assert _classify(b"GET /x HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n") == "adopt"
    assert _classify(b"GET /x HTTP/1.1\r\nbroken header\r\n\r\n") == "adopt"
    assert _classify(b"NOT HTTP AT ALL\r\n") == "adopt"
