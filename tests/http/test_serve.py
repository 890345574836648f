"""gonet serve's pieces: MODULE:APP loading, WSGI-vs-handler detection, the access log line, and
the usage errors of the command (one line, exit status 2)."""

from __future__ import annotations

import io
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from helpers import SUB_ENV

from gonet import http
from gonet._serve import AccessLog, ServeError, build_handler, detect_interface, load_app
from gonet.net.url import parse_request_uri

# -- load_app ---------------------------------------------------------------------------------


@pytest.fixture
def app_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "servemod_ok.py").write_text(
        textwrap.dedent(
            """
            class Holder:
                def app(self, environ, start_response):
                    start_response("200 OK", [])
                    return [b"nested"]

            holder = Holder()
            not_callable = 42

            def app(environ, start_response):
                start_response("200 OK", [])
                return [b"ok"]
            """
        )
    )
    (tmp_path / "servemod_broken.py").write_text("import servemod_no_such_dependency\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    return tmp_path


def test_load_app_module_attribute_and_dotted_path(app_dir: Path) -> None:
    assert load_app("servemod_ok:app").__name__ == "app"
    assert load_app("servemod_ok:holder.app").__name__ == "app"


@pytest.mark.parametrize(
    ("spec", "msg"),
    [
        ("servemod_ok", 'expected MODULE:APP \\(e.g. "myapp:app"\\), got "servemod_ok"'),
        ("servemod_ok:", "expected MODULE:APP"),
        (":app", "expected MODULE:APP"),
        (
            "servemod_missing:app",
            "cannot import module \"servemod_missing\": No module named 'servemod_missing'",
        ),
        ("servemod_ok:nope", 'module "servemod_ok" has no attribute "nope"'),
        ("servemod_ok:holder.nope", 'module "servemod_ok" has no attribute "holder.nope"'),
        ("servemod_ok:not_callable", '"servemod_ok:not_callable" is not callable \\(it is a int\\)'),
    ],
)
def test_load_app_errors(app_dir: Path, spec: str, msg: str) -> None:
    with pytest.raises(ServeError, match=msg):
        load_app(spec)


def test_load_app_keeps_the_apps_own_import_error(app_dir: Path) -> None:
    with pytest.raises(ModuleNotFoundError, match="servemod_no_such_dependency"):
        load_app("servemod_broken:app")


# -- detect_interface ---------------------------------------------------------------------------


def wsgi_app(environ: Any, start_response: Any) -> list[bytes]:
    return []


def go_handler(w: Any, r: Any) -> None:
    pass


def annotated(a: http.ResponseWriter, b: http.Request) -> None:
    pass


class WSGIClass:
    def __call__(self, environ: Any, start_response: Any) -> list[bytes]:
        return []


class HandlerObject:
    def serve_http(self, w: Any, r: Any) -> None:
        pass

    def __call__(self, x: Any, y: Any) -> None:
        pass


def mystery(a: Any, b: Any) -> None:
    pass


def test_detect_interface_by_names_annotations_and_serve_http() -> None:
    assert detect_interface(wsgi_app) == "wsgi"
    assert detect_interface(WSGIClass()) == "wsgi"
    assert detect_interface(go_handler) == "handler"
    assert detect_interface(annotated) == "handler"
    assert detect_interface(HandlerObject()) == "handler"
    assert detect_interface(lambda environ, start_response: []) == "wsgi"
    assert detect_interface(http.ServeMux()) == "handler"
    assert detect_interface(http.wsgi(wsgi_app)) == "handler"


def test_detect_interface_refuses_to_guess() -> None:
    with pytest.raises(
        ServeError,
        match=r"cannot tell whether mystery\(a, b\) is a WSGI app or a handler: pass --interface wsgi or --interface handler",
    ):
        detect_interface(mystery)
    with pytest.raises(ServeError, match=r"cannot tell whether print\(\)"):
        detect_interface(print)


def test_build_handler_rejects_unknown_interface() -> None:
    with pytest.raises(ServeError, match='unknown interface "asgi" \\(want wsgi or handler\\)'):
        build_handler(wsgi_app, "asgi")


def test_build_handler_wraps() -> None:
    assert isinstance(build_handler(wsgi_app, "wsgi"), http.WSGIHandler)
    assert build_handler(go_handler, "handler") is go_handler
    obj = HandlerObject()
    assert build_handler(obj, "handler") == obj.serve_http
    assert isinstance(build_handler(go_handler, "handler", access_log=io.StringIO()), AccessLog)


# -- the access log ---------------------------------------------------------------------------


def req(target: str, method: str = "GET", remote: str = "10.1.2.3:5555") -> http.Request:
    r = http.Request(method, parse_request_uri(target))
    r.request_uri = target
    r.remote_addr = remote
    return r


def test_access_log_line_common_log_format() -> None:
    r = req("/a?b=1")
    line = AccessLog.line(r, 200, 1234, when=0.0)
    assert line.startswith("10.1.2.3 - - [01/Jan/1970:")
    assert line.endswith('] "GET /a?b=1 HTTP/1.1" 200 1234\n')
    r = req("/", "HEAD", remote="[::1]:80")
    r.set_basic_auth("alice", "pw")
    assert AccessLog.line(r, 304, 0).startswith("::1 - alice [")
    assert AccessLog.line(r, 304, 0).endswith('"HEAD / HTTP/1.1" 304 -\n')
    assert '"GET /\\x22q\\x5c HTTP/1.1"' in AccessLog.line(req('/"q\\'), 400, 1)


class Recorder:
    def __init__(self) -> None:
        self.h = http.Header()
        self.code = 0
        self.body = bytearray()

    def header(self) -> http.Header:
        return self.h

    def write_header(self, code: int) -> None:
        self.code = code

    def write(self, data: bytes) -> int:
        self.body += data
        return len(data)

    def flush(self) -> None:
        pass

    def hijack(self) -> Any:
        raise http.ErrHijacked()


def test_access_log_counts_status_and_bytes() -> None:
    out = io.StringIO()

    def handler(w: Any, r: Any) -> None:
        w.write_header(201)
        w.write(b"abc")
        w.write(b"de")

    AccessLog(handler, out)(Recorder(), req("/x"))
    assert out.getvalue().endswith('"GET /x HTTP/1.1" 201 5\n')

    def implicit(w: Any, r: Any) -> None:
        w.write(b"x")

    AccessLog(implicit, out)(Recorder(), req("/y"))
    assert out.getvalue().endswith('"GET /y HTTP/1.1" 200 1\n')

    def raises(w: Any, r: Any) -> None:
        raise RuntimeError("handler bug")

    before = out.getvalue()
    with pytest.raises(RuntimeError, match="handler bug"):
        AccessLog(raises, out)(Recorder(), req("/z"))
    assert out.getvalue() == before  # nothing was sent: the error log has it


def test_access_log_read_from_falls_back_to_write() -> None:
    out = io.StringIO()

    def handler(w: Any, r: Any) -> None:
        w.read_from(io.BytesIO(b"0123456789"))

    rec = Recorder()
    AccessLog(handler, out)(rec, req("/f"))
    assert bytes(rec.body) == b"0123456789"
    assert out.getvalue().endswith(" 200 10\n")


# -- the command's usage errors ------------------------------------------------------------------


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gonet.cli", "serve", *args],
        capture_output=True,
        text=True,
        env=SUB_ENV,
        cwd=cwd,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("args", "err"),
    [
        (["servemod_ok"], 'gonet serve: expected MODULE:APP (e.g. "myapp:app"), got "servemod_ok"\n'),
        (
            ["servemod_missing:app"],
            "gonet serve: cannot import module \"servemod_missing\": No module named 'servemod_missing'\n",
        ),
        (["servemod_ok:nope"], 'gonet serve: module "servemod_ok" has no attribute "nope"\n'),
        (
            ["servemod_ok:app", "--bind", "127.0.0.1:notaport"],
            'gonet serve: cannot listen on "127.0.0.1:notaport": ',
        ),
        (
            ["servemod_ok:app", "--graceful-timeout", "-1"],
            "gonet serve: --graceful-timeout must be >= 0, got -1.0\n",
        ),
    ],
)
def test_cli_usage_errors_are_one_line_and_exit_2(app_dir: Path, args: list[str], err: str) -> None:
    p = run_cli(*args, cwd=app_dir)
    assert p.returncode == 2
    assert p.stderr.startswith(err)
    assert p.stderr.count("\n") == 1
    assert p.stdout == ""


def test_cli_argparse_errors_exit_2(app_dir: Path) -> None:
    p = run_cli("servemod_ok:app", "--interface", "asgi", cwd=app_dir)
    assert p.returncode == 2
    assert "argument --interface: invalid choice: 'asgi'" in p.stderr
    p = run_cli(cwd=app_dir)
    assert p.returncode == 2
    assert "the following arguments are required: MODULE:APP" in p.stderr
