# ServeMux: registration errors (with where each pattern was registered), handler(), r.pattern
# and path values, the default mux, and the "*" request target.
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from gonet import _accel, http
from gonet.http import ServeMux, httptest
from gonet.http._servemux import _plain_segments, _strip_host_port, _strip_host_port_cached


def serve(mux: ServeMux, method: str, target: str, host: str = "example.com") -> httptest.ResponseRecorder:
    r = httptest.new_request(method, target)
    r.host = host
    rec = httptest.new_recorder()
    mux(rec, r)
    return rec


def test_conflict_names_both_registration_sites() -> None:
    mux = ServeMux()
    mux.handle_func("GET /a/{x}", lambda w, r: None)
    line = test_conflict_names_both_registration_sites.__code__.co_firstlineno + 2
    with pytest.raises(
        ValueError, match=r'^pattern "GET /a/\{y\}" \(registered at .*test_mux\.py:\d+\) conflicts'
    ) as ei:
        mux.handle_func("GET /a/{y}", lambda w, r: None)
    msg = str(ei.value)
    assert f"test_mux.py:{line})" in msg
    assert msg.endswith(":\nGET /a/{y} matches the same requests as GET /a/{x}")


_REGISTER_TWICE = textwrap.dedent(
    """\
    import json
    from gonet import _accel, http
    mux = http.ServeMux()
    mux.handle_func("GET /a/{x}", print)
    try:
        mux.handle("GET /a/{y}", print)
    except ValueError as e:
        on_mux = str(e)
    http.handle_func("GET /gonet-test-loc/{x}", print)
    try:
        http.handle("GET /gonet-test-loc/{y}", print)
    except ValueError as e:
        on_default = str(e)
    compiled = _accel.compiled()["gonet.http._servemux"]
    print(json.dumps({"compiled": compiled, "on_mux": on_mux, "on_default": on_default}))
    """
)


@pytest.mark.parametrize("pure", ["1", "0"])
def test_conflict_locations_in_both_builds(pure: str, tmp_path: Path) -> None:
    # Compiled functions push no Python frames and __file__ is then the extension: the
    # registration sites must still be the user's lines, in both implementations.
    script = tmp_path / "register_twice.py"
    script.write_text(_REGISTER_TWICE)
    env = {**os.environ, "GONET_PURE_PYTHON": pure}
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, env=env, timeout=60)
    assert out.returncode == 0, out.stderr
    got = json.loads(out.stdout.strip().splitlines()[-1])
    # "0": compiled when the extensions are built and fresh (else this checks the .py twice).
    assert got["compiled"] == (pure == "0" and not _accel._decide(False)[0])
    assert f"(registered at {script}:6) conflicts with" in got["on_mux"]
    assert f"(registered at {script}:4):" in got["on_mux"]
    assert f"(registered at {script}:11) conflicts with" in got["on_default"]
    assert f"(registered at {script}:9):" in got["on_default"]


def test_servemux_subclasses_isinstance_and_repr() -> None:
    calls = []

    class Counting(ServeMux):
        def __init__(self) -> None:
            super().__init__()
            self.count = 0

        def __call__(self, w: http.ResponseWriter, r: http.Request) -> None:
            self.count += 1
            super().__call__(w, r)

    mux = Counting()
    mux.handle_func("/a", lambda w, r: calls.append(r.pattern))
    serve(mux, "GET", "/a")
    assert (mux.count, calls) == (1, ["/a"])
    assert isinstance(mux, ServeMux)
    assert repr(mux) == "<ServeMux 1 patterns>"


def test_servemux_subclass_skipping_init_raises_attribute_error() -> None:
    # Compiled, the routing tree is a typed field left None: an error, never a crash.
    class Broken(ServeMux):
        def __init__(self) -> None:
            pass

    mux = Broken()
    with pytest.raises(AttributeError):
        mux.handle_func("/a", lambda w, r: None)
    with pytest.raises(AttributeError):
        serve(mux, "GET", "/a")
    with pytest.raises(AttributeError):
        serve(mux, "GET", "/a//b")


def test_rejected_pattern_leaves_mux_unchanged() -> None:
    mux = ServeMux()
    mux.handle_func("/a/{x}", lambda w, r: w.write(b"first"))
    with pytest.raises(ValueError, match="conflicts with"):
        mux.handle("/a/{y}", lambda w, r: w.write(b"second"))
    assert bytes(serve(mux, "GET", "/a/1").body) == b"first"


@pytest.mark.parametrize(
    ("pattern", "handler", "exc", "msg"),
    [
        ("", lambda w, r: None, ValueError, "http: invalid pattern"),
        ("/x", None, ValueError, "http: nil handler"),
        ("/x", 42, TypeError, 'http: handler for "/x" is not callable: 42'),
        (
            "/{",
            lambda w, r: None,
            ValueError,
            "parsing \"/{\": at offset 1: bad wildcard segment (must end with '}')",
        ),
    ],
)
def test_registration_errors(pattern, handler, exc, msg) -> None:
    with pytest.raises(exc, match="^" + re.escape(msg) + "$"):
        ServeMux().handle(pattern, handler)


def test_handler_returns_pattern_without_setting_values() -> None:
    mux = ServeMux()

    def item(w, r):
        pass

    mux.handle_func("GET /items/{id}", item)
    r = httptest.new_request("GET", "/items/7")
    h, pat = mux.handler(r)
    assert h is item
    assert pat == "GET /items/{id}"
    assert r.path_value("id") == ""
    h, pat = mux.handler(httptest.new_request("GET", "/items"))
    assert pat == ""
    rec = httptest.new_recorder()
    h(rec, r)
    assert rec.code == 404


def test_serving_sets_pattern_and_values() -> None:
    mux = ServeMux()
    seen = []
    mux.handle_func(
        "/b/{bucket}/o/{obj...}",
        lambda w, r: seen.append((r.pattern, r.path_value("bucket"), r.path_value("obj"))),
    )
    serve(mux, "PUT", "/b/pics/o/2024/cat%20one.jpg")
    assert seen == [("/b/{bucket}/o/{obj...}", "pics", "2024/cat one.jpg")]


# Go's shouldEscape(c, encodePath) is false for exactly these.
_PATH_KEEP = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/;,$&+=:@!*'()~-._"


def test_plain_segments_takes_only_clean_paths_that_need_no_escaping() -> None:
    for c in map(chr, range(0x180)):
        want = None if c not in _PATH_KEEP else ["a" + c] if c != "/" else ["a", "/"]
        assert _plain_segments("/a" + c) == want, repr(c)
    assert _plain_segments("/") == ["/"]
    assert _plain_segments("/a/b/") == ["a", "b", "/"]
    for p in ["", "a/b", "//a", "/a//b", "/./a", "/a/..", "/a/.b", "/a%20b", "/a b"]:
        assert _plain_segments(p) is None, p


class _Str(str):
    __slots__ = ()


@pytest.mark.parametrize("path", ["/a/1", "/a/x/", "/", "/a//1"])
def test_str_subclasses_in_the_request_route_as_plain_str(path: str) -> None:
    # The compiled fast path takes exact str only; anything else goes the general way, to the
    # same answer.
    mux = ServeMux()
    mux.handle_func("example.com/a/{x}", lambda w, r: w.write(f"a {r.pattern} {r.path_value('x')}".encode()))
    mux.handle_func("/a/{x}/", lambda w, r: w.write(f"slash {r.pattern} {r.path_value('x')}".encode()))
    mux.handle_func("/", lambda w, r: w.write(f"root {r.pattern}".encode()))
    got = []
    for wrap in (str, _Str):
        r = httptest.new_request("GET", path)
        r.url.path = wrap(r.url.path)
        r.host = wrap("example.com:8080")
        r.method = wrap("GET")
        rec = httptest.new_recorder()
        mux(rec, r)
        got.append((rec.code, rec.header().get("Location"), bytes(rec.body)))
    assert got[0] == got[1]


def test_method_and_host_are_case_sensitive() -> None:
    mux = ServeMux()
    mux.handle_func("GET Example.com/x", lambda w, r: w.write(b"x"))
    rec = serve(mux, "get", "/x", "Example.com")
    assert rec.code == 405
    assert rec.header_map.get("Allow") == "GET, HEAD"
    assert serve(mux, "GET", "/x", "example.com").code == 404
    assert serve(mux, "GET", "/x", "Example.com:8080").code == 200


def test_host_pattern_wins_over_hostless() -> None:
    mux = ServeMux()
    mux.handle_func("/a", lambda w, r: w.write(b"any"))
    mux.handle_func("h.test/a", lambda w, r: w.write(b"host"))
    assert bytes(serve(mux, "GET", "/a", "h.test").body) == b"host"
    assert bytes(serve(mux, "GET", "/a", "other").body) == b"any"


def test_405_lists_allowed_methods_sorted() -> None:
    mux = ServeMux()
    for m in ("PUT", "GET", "DELETE"):
        mux.handle_func(f"{m} /r", lambda w, r: None)
    rec = serve(mux, "POST", "/r")
    assert rec.code == 405
    assert rec.header_map.get("Allow") == "DELETE, GET, HEAD, PUT"
    assert bytes(rec.body) == b"Method Not Allowed\n"
    assert rec.header_map.get("X-Content-Type-Options") == "nosniff"


def test_star_request_is_400_with_close() -> None:
    mux = ServeMux()
    mux.handle_func("/", lambda w, r: w.write(b"no"))
    r = httptest.new_request("OPTIONS", "*")
    rec = httptest.new_recorder()
    mux(rec, r)
    assert rec.code == 400
    assert rec.header_map.get("Connection") == "close"
    assert bytes(rec.body) == b""


def test_head_matches_get_but_exact_head_wins() -> None:
    mux = ServeMux()
    mux.handle_func("GET /h", lambda w, r: w.write(b"get"))
    assert bytes(serve(mux, "HEAD", "/h").body) == b"get"
    mux.handle_func("HEAD /h", lambda w, r: w.write(b"head"))
    assert bytes(serve(mux, "HEAD", "/h").body) == b"head"


def test_many_patterns_register_and_match() -> None:
    mux = ServeMux()
    for i in range(2000):
        mux.handle_func(f"GET /api/v1/r{i}/{{id}}", lambda w, r, i=i: w.write(str(i).encode()))
    assert bytes(serve(mux, "GET", "/api/v1/r1234/9").body) == b"1234"
    assert serve(mux, "GET", "/api/v1/r2000/9").code == 404


def test_default_serve_mux_module_functions() -> None:
    name = "/gonet-test-default-mux/{x}"
    http.handle_func(name, lambda w, r: w.write(r.path_value("x").encode()))
    rec = httptest.new_recorder()
    http.default_serve_mux(rec, httptest.new_request("GET", "/gonet-test-default-mux/v"))
    assert bytes(rec.body) == b"v"
    with pytest.raises(ValueError, match="conflicts with pattern"):
        http.handle("/gonet-test-default-mux/{y}", lambda w, r: None)


@pytest.mark.parametrize(
    ("host", "want"),
    [
        ("a.com", "a.com"),
        ("a.com:80", "a.com"),
        ("[::1]:80", "::1"),
        ("::1", "::1"),
        ("[::1]", "[::1]"),
        ("a:b:c", "a:b:c"),
    ],
)
def test_strip_host_port(host, want) -> None:
    assert _strip_host_port(host) == want
    assert _strip_host_port_cached(host) == want
    assert _strip_host_port_cached(host) == want  # from the cache
