# The file server with a recorder: Range (single, multipart, unsatisfiable), conditional
# requests, Content-Type, directory listings and redirects, ".." and symlink escapes, errors.
from __future__ import annotations

import io
import os

import pytest

from gonet.http import Dir, file_server, serve_content, serve_file
from gonet.http._fs import format_time, parse_range, parse_time
from gonet.http.httptest import new_recorder, new_request

DATA = bytes(range(256)) * 4  # 1024 bytes, not text


@pytest.fixture
def root(tmp_path):
    (tmp_path / "a.bin").write_bytes(DATA)
    (tmp_path / "hello.txt").write_text("hello, world\n")
    (tmp_path / "page.html").write_text("<p>x</p>")
    (tmp_path / "noext").write_text("plain words")
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / "index.html").write_text("<h1>index</h1>")
    lst = tmp_path / "list"
    lst.mkdir()
    (lst / "b<&>.txt").write_text("b")
    (lst / "a:colon").write_text("a")
    (lst / "dir").mkdir()
    os.utime(tmp_path / "hello.txt", (1_000_000_000, 1_000_000_000))
    return tmp_path


def get(root, target, method="GET", **headers):
    r = new_request(method, target)
    for k, v in headers.items():
        r.header.set(k.replace("_", "-"), v)
    w = new_recorder()
    file_server(Dir(root))(w, r)
    return w


def test_whole_file_with_type_length_and_last_modified(root) -> None:
    w = get(root, "/hello.txt")
    assert w.code == 200
    assert bytes(w.body) == b"hello, world\n"
    h = w.header()
    assert h.get("Content-Type") == "text/plain; charset=utf-8"
    assert h.get("Content-Length") == "13"
    assert h.get("Accept-Ranges") == "bytes"
    assert h.get("Last-Modified") == "Sun, 09 Sep 2001 01:46:40 GMT"
    assert get(root, "/page.html").header().get("Content-Type") == "text/html; charset=utf-8"
    assert get(root, "/noext").header().get("Content-Type") == "text/plain; charset=utf-8"
    assert get(root, "/a.bin").header().get("Content-Type") == "application/octet-stream"


def test_head_has_length_and_no_body(root) -> None:
    w = get(root, "/a.bin", method="HEAD")
    assert w.header().get("Content-Length") == "1024"
    assert bytes(w.body) == b""


@pytest.mark.parametrize(
    ("rng", "start", "end"),
    [
        ("bytes=0-9", 0, 10),
        ("bytes=1000-", 1000, 1024),
        ("bytes=-24", 1000, 1024),
        ("bytes=1020-5000", 1020, 1024),
    ],
)
def test_single_range(root, rng, start, end) -> None:
    w = get(root, "/a.bin", Range=rng)
    assert w.code == 206
    assert bytes(w.body) == DATA[start:end]
    assert w.header().get("Content-Range") == f"bytes {start}-{end - 1}/1024"
    assert w.header().get("Content-Length") == str(end - start)


def test_multipart_byteranges(root) -> None:
    w = get(root, "/a.bin", Range="bytes=0-1,10-12")
    assert w.code == 206
    ctype = w.header().get("Content-Type")
    assert ctype.startswith("multipart/byteranges; boundary=")
    b = ctype.split("boundary=")[1]
    want = (
        f"--{b}\r\nContent-Range: bytes 0-1/1024\r\nContent-Type: application/octet-stream\r\n\r\n".encode()
        + DATA[0:2]
        + f"\r\n--{b}\r\nContent-Range: bytes 10-12/1024\r\nContent-Type: application/octet-stream\r\n\r\n".encode()
        + DATA[10:13]
        + f"\r\n--{b}--\r\n".encode()
    )
    assert bytes(w.body) == want
    assert w.header().get("Content-Length") == str(len(want))


def test_unsatisfiable_and_invalid_ranges(root) -> None:
    w = get(root, "/a.bin", Range="bytes=2000-")
    assert w.code == 416
    assert w.header().get("Content-Range") == "bytes */1024"
    assert bytes(w.body) == b"invalid range: failed to overlap\n"
    w = get(root, "/a.bin", Range="bytes=5-1")
    assert (w.code, bytes(w.body)) == (416, b"invalid range\n")
    w = get(root, "/a.bin", Range="lines=1-2")
    assert w.code == 416
    assert get(root, "/a.bin", Range="bytes=0-1023,0-1023").code == 200  # more than the file: ignored


def test_if_modified_since_and_if_unmodified_since(root) -> None:
    lm = "Sun, 09 Sep 2001 01:46:40 GMT"
    w = get(root, "/hello.txt", If_Modified_Since=lm)
    assert w.code == 304
    assert bytes(w.body) == b""
    assert w.header().get("Content-Type") == ""
    assert get(root, "/hello.txt", If_Modified_Since="Sat, 08 Sep 2001 01:46:40 GMT").code == 200
    assert get(root, "/hello.txt", If_Unmodified_Since="Sat, 08 Sep 2001 01:46:40 GMT").code == 412
    assert get(root, "/hello.txt", If_Unmodified_Since=lm).code == 200


def etagged(method="GET", **headers):
    r = new_request(method, "/x.txt")
    for k, v in headers.items():
        r.header.set(k.replace("_", "-"), v)
    w = new_recorder()
    w.header().set("ETag", '"v1"')
    serve_content(w, r, "x.txt", 1_000_000_000, io.BytesIO(b"0123456789"))
    return w


def test_etags_if_none_match_if_match_if_range() -> None:
    assert etagged(If_None_Match='"v0", W/"v1"').code == 304
    assert etagged("POST", If_None_Match='"v1"').code == 412
    assert etagged(If_None_Match='"v2"').code == 200
    assert etagged(If_Match='"v2"').code == 412
    assert etagged(If_Match="*").code == 200
    w = etagged(Range="bytes=0-1", If_Range='"v1"')
    assert (w.code, bytes(w.body)) == (206, b"01")
    w = etagged(Range="bytes=0-1", If_Range='"old"')
    assert (w.code, bytes(w.body)) == (200, b"0123456789")
    w = etagged(Range="bytes=0-1", If_Range="Sun, 09 Sep 2001 01:46:40 GMT")
    assert w.code == 206


def test_directory_redirects_and_index(root) -> None:
    w = get(root, "/sub")
    assert (w.code, w.header().get("Location")) == (301, "sub/")
    w = get(root, "/sub?q=1")
    assert w.header().get("Location") == "sub/?q=1"
    w = get(root, "/sub/")
    assert (w.code, bytes(w.body)) == (200, b"<h1>index</h1>")
    w = get(root, "/sub/index.html")
    assert (w.code, w.header().get("Location")) == (301, "./")
    w = get(root, "/hello.txt/")
    assert (w.code, w.header().get("Location")) == (301, "../hello.txt")


def test_directory_listing(root) -> None:
    w = get(root, "/list/")
    assert w.code == 200
    assert w.header().get("Content-Type") == "text/html; charset=utf-8"
    assert bytes(w.body).decode() == (
        '<!doctype html>\n<meta name="viewport" content="width=device-width">\n<pre>\n'
        '<a href="./a:colon">a:colon</a>\n'
        '<a href="b%3C&%3E.txt">b&lt;&amp;&gt;.txt</a>\n'
        '<a href="dir/">dir/</a>\n'
        "</pre>\n"
    )


def test_missing_and_forbidden(root) -> None:
    w = get(root, "/nope.txt")
    assert (w.code, bytes(w.body)) == (404, b"404 page not found\n")
    assert get(root, "/hello.txt/more").code == 404  # through a non-directory
    secret = root / "secret.txt"
    secret.write_text("s")
    secret.chmod(0)
    if os.geteuid() != 0:
        w = get(root, "/secret.txt")
        assert (w.code, bytes(w.body)) == (403, b"403 Forbidden\n")


def test_dot_dot_never_escapes(root, tmp_path_factory) -> None:
    outside = tmp_path_factory.mktemp("outside")
    (outside / "passwd").write_text("root:x")
    r = new_request("GET", "/")
    r.url.path = "/../" + outside.name + "/passwd"  # a raw path the mux would have cleaned
    w = new_recorder()
    file_server(Dir(root))(w, r)
    assert w.code == 404
    with pytest.raises(FileNotFoundError, match="invalid or unsafe"):
        Dir(root).open("/a\x00b")


def test_symlink_out_of_root_is_404(root, tmp_path_factory) -> None:
    outside = tmp_path_factory.mktemp("outside")
    (outside / "secret").write_text("top secret")
    (root / "link").symlink_to(outside / "secret")
    (root / "inlink").symlink_to(root / "hello.txt")
    assert get(root, "/link").code == 404
    assert bytes(get(root, "/inlink").body) == b"hello, world\n"
    w = new_recorder()
    file_server(Dir(root, follow_symlinks_out=True))(w, new_request("GET", "/link"))
    assert bytes(w.body) == b"top secret"


def test_fifo_is_not_served(root) -> None:
    os.mkfifo(root / "fifo")
    assert get(root, "/fifo").code == 404


def test_serve_file_refuses_dot_dot_in_url(root) -> None:
    r = new_request("GET", "/x")
    r.url.path = "/a/../b"
    w = new_recorder()
    serve_file(w, r, str(root / "hello.txt"))
    assert (w.code, bytes(w.body)) == (400, b"invalid URL path\n")
    w = new_recorder()
    serve_file(w, new_request("GET", "/anything"), str(root / "hello.txt"))
    assert bytes(w.body) == b"hello, world\n"


def test_parse_time_formats() -> None:
    t = 784111777.0
    assert parse_time("Sun, 06 Nov 1994 08:49:37 GMT") == t
    assert parse_time("Sunday, 06-Nov-94 08:49:37 GMT") == t
    assert parse_time("Sun Nov  6 08:49:37 1994") == t
    assert format_time(t) == "Sun, 06 Nov 1994 08:49:37 GMT"
    with pytest.raises(ValueError, match="not an HTTP date"):
        parse_time("yesterday")


def test_parse_range_edges() -> None:
    assert parse_range("bytes=0-0,-1", 10) == [(0, 1), (9, 1)]
    assert parse_range("bytes=" + ",".join(["0-1"] * 201), 10) == []
    with pytest.raises(ValueError, match="^invalid range$"):
        parse_range("bytes=-", 10)
    with pytest.raises(ValueError, match="^invalid range$"):
        parse_range("bytes=+1-2", 10)
