# gonet._serve: `gonet serve MODULE:APP` — serve a WSGI app or a Go-style handler with http.Server.
#
# One process, one scheduler: import the app, decide its interface (WSGI (environ,
# start_response) or handler (w, r)), listen, print where, serve until SIGINT or SIGTERM, then
# shut down gracefully: stop accepting, let the requests in flight finish (bounded by
# --graceful-timeout; a second signal closes at once), exit 0.
#
# Invariants:
# - A bad MODULE:APP, an unknown interface or an undecidable signature is a ServeError: one
#   line naming the problem, exit status 2; nothing is listened on before the app is loaded.
# - Signals are taken with gonet.signal (never in a Python signal handler) only while serving,
#   and given back before serve() returns.
# - `--workers N` runs serve() in each worker process under the supervisor, on the listener the
#   supervisor hands over (serve's `ln` argument); this module never forks (_serve_workers does).
from __future__ import annotations

import importlib
import inspect
import logging
import signal as _signal
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from gonet import http
    from gonet.net import Listener

__all__ = ["ServeError", "ServeOptions", "load_app", "detect_interface", "build_handler", "serve"]

DEFAULT_BIND = "127.0.0.1:8000"
DEFAULT_GRACEFUL_TIMEOUT = 30.0
INTERFACES = ("wsgi", "handler")

_WSGI_NAMES = ({"environ", "env", "environment"}, {"start_response", "start"})
_HANDLER_NAMES = ({"w", "rw", "writer", "response_writer"}, {"r", "req", "request"})


class ServeError(Exception):
    """A usage error of `gonet serve`: its message is the one line printed (exit status 2)."""


@dataclass
class ServeOptions:
    """What `gonet serve` was asked to do (the command line, parsed)."""

    app: str
    bind: str = DEFAULT_BIND
    access_log: bool = False
    interface: str | None = None  # None: detect from the signature
    graceful_timeout: float = DEFAULT_GRACEFUL_TIMEOUT


def load_app(spec: str) -> Any:
    """Import MODULE and return its attribute APP (dotted paths allowed on both sides).

    The current directory comes first on sys.path, as `python -m` would put it.

    Raises:
        ServeError: spec is not MODULE:APP, the module is missing, the attribute is missing
            or not callable. An exception raised by the module's own code propagates.
    """
    module_name, colon, attr = spec.partition(":")
    if not colon or not module_name or not attr:
        raise ServeError(f'expected MODULE:APP (e.g. "myapp:app"), got "{spec}"')
    if "" not in sys.path:
        sys.path.insert(0, "")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as e:
        # Only a missing module named by spec is a usage error; one the module itself imports
        # is the app's bug and keeps its traceback.
        if e.name is not None and (module_name == e.name or module_name.startswith(e.name + ".")):
            raise ServeError(f'cannot import module "{module_name}": {e}') from None
        raise
    obj: Any = module
    for part in attr.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise ServeError(f'module "{module_name}" has no attribute "{attr}"') from None
    if not callable(obj):
        raise ServeError(f'"{spec}" is not callable (it is a {type(obj).__name__})')
    return obj


def _positional_names(fn: Any) -> list[tuple[str, Any]]:
    """Return (name, annotation) of fn's positional parameters (self excluded)."""
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return []
    kinds = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    return [(p.name, p.annotation) for p in sig.parameters.values() if p.kind in kinds]


def detect_interface(app: Any) -> str:
    """Tell a WSGI app from a Go-style handler by its signature; return "wsgi" or "handler".

    A handler object (one with serve_http, such as a ServeMux) is a handler; otherwise the names
    or annotations of the two positional parameters decide: (environ, start_response) is WSGI,
    (w, r) or annotations naming ResponseWriter / Request are a handler.

    Raises:
        ServeError: the signature says neither (then --interface must).
    """
    if callable(getattr(app, "serve_http", None)):
        return "handler"
    params = _positional_names(app)
    if len(params) == 2:
        (n1, a1), (n2, a2) = params
        ann = f"{a1!r} {a2!r} {a1} {a2}"
        if "ResponseWriter" in ann or "Request" in ann:
            return "handler"
        if n1 in _WSGI_NAMES[0] or n2 in _WSGI_NAMES[1]:
            return "wsgi"
        if n1 in _HANDLER_NAMES[0] or n2 in _HANDLER_NAMES[1]:
            return "handler"
    shown = ", ".join(n for n, _ in params)
    raise ServeError(
        f"cannot tell whether {_describe(app)}({shown}) is a WSGI app or a handler: "
        "pass --interface wsgi or --interface handler"
    )


def _describe(app: Any) -> str:
    name = getattr(app, "__qualname__", None) or type(app).__qualname__
    return str(name)


def build_handler(
    app: Any, interface: str, *, access_log: TextIO | None = None, multiprocess: bool = False
) -> http.Handler:
    """Return the Handler that serves app as interface ("wsgi" or "handler").

    Args:
        app: the loaded application.
        interface: "wsgi" wraps it with http.wsgi; "handler" serves it as is.
        access_log: a stream for Common Log Format lines, or None for none.
        multiprocess: wsgi.multiprocess (True in a worker process).
    """
    from gonet import http

    if interface not in INTERFACES:
        raise ServeError(f'unknown interface "{interface}" (want wsgi or handler)')
    handler: http.Handler
    if interface == "wsgi":
        handler = http.wsgi(app, multiprocess=multiprocess)
    elif callable(getattr(app, "serve_http", None)):
        handler = app.serve_http
    else:
        handler = app
    if access_log is not None:
        handler = AccessLog(handler, access_log)
    return handler


# -- access log ---------------------------------------------------------------------------------


class _CountingWriter:
    """A ResponseWriter that notes the status and body bytes of what goes through it."""

    __slots__ = ("w", "code", "size")

    def __init__(self, w: http.ResponseWriter) -> None:
        self.w = w
        self.code = 0
        self.size = 0

    def header(self) -> http.Header:
        """Return the wrapped writer's header map."""
        return self.w.header()

    def write_header(self, code: int) -> None:
        """Send the status (noted for the log line)."""
        if self.code == 0:
            self.code = code
        self.w.write_header(code)

    def write(self, data: bytes | bytearray | memoryview) -> int:
        """Write body bytes (counted)."""
        if self.code == 0:
            self.code = 200
        n = self.w.write(data)
        self.size += n
        return n

    def flush(self) -> None:
        """Flush the wrapped writer."""
        if self.code == 0:
            self.code = 200
        self.w.flush()

    def hijack(self) -> Any:
        """Hijack the wrapped writer's connection (logged as 101 if no status was sent)."""
        conn = self.w.hijack()
        if self.code == 0:
            self.code = 101
        return conn

    def read_from(self, src: Any) -> int:
        """Copy src to the response through the wrapped writer's read_from (sendfile)."""
        if self.code == 0:
            self.code = 200
        read_from = getattr(self.w, "read_from", None)
        if read_from is not None:
            n = int(read_from(src))
        else:
            n = 0
            while data := src.read(65536):
                n += self.w.write(data)
        self.size += n
        return n


def _clf_escape(s: str) -> str:
    """Escape a request line for the log: quotes, backslashes and non-printables as \\xNN."""
    if s.isprintable() and '"' not in s and "\\" not in s:
        return s
    return "".join(c if c.isprintable() and c not in '"\\' else f"\\x{ord(c) & 0xFF:02x}" for c in s)


class AccessLog:
    """A Handler that writes one Common Log Format line per request it passes to its handler.

    host ident authuser [date] "request line" status bytes
    """

    __slots__ = ("handler", "out")

    def __init__(self, handler: http.Handler, out: TextIO) -> None:
        self.handler = handler
        self.out = out

    def __call__(self, w: http.ResponseWriter, r: http.Request) -> None:
        cw = _CountingWriter(w)
        try:
            self.handler(cw, r)
        finally:
            if cw.code:  # a handler that raised before writing is in the error log instead
                self.out.write(self.line(r, cw.code, cw.size))
                self.out.flush()

    @staticmethod
    def line(r: http.Request, code: int, size: int, when: float | None = None) -> str:
        """Return the Common Log Format line (with its newline) for one request."""
        host = r.remote_addr.rpartition(":")[0].strip("[]") or "-"
        auth = r.basic_auth()
        user = _clf_escape(auth[0]) if auth and auth[0] else "-"
        stamp = time.strftime("%d/%b/%Y:%H:%M:%S %z", time.localtime(when))
        req = _clf_escape(f"{r.method} {r.request_uri} {r.proto}")
        return f'{host} - {user} [{stamp}] "{req}" {code} {size or "-"}\n'


# -- serving ----------------------------------------------------------------------------------


def serve(
    opts: ServeOptions,
    ln: Listener | None = None,
    *,
    signals: tuple[int, ...] = (_signal.SIGINT, _signal.SIGTERM),
    multiprocess: bool = False,
    out: TextIO | None = None,
    error_log: logging.Logger | None = None,
    wrap: Callable[[http.Handler], http.Handler] | None = None,
) -> int:
    """Run `gonet serve` in this process until one of signals arrives; return the exit status.

    This is also the body of each worker process under `--workers N`: the supervisor hands
    over its listener (ln), and a worker stops on SIGTERM only (signals=(SIGTERM,)), since
    the supervisor turns a Ctrl-C into one SIGTERM per worker.

    Args:
        opts: the parsed command line.
        ln: a listener to serve on; None listens on opts.bind (HOST:PORT or unix:PATH).
        signals: the signals that start the graceful shutdown.
        multiprocess: tell WSGI apps that other processes serve the same app (a worker).
        out: where the startup line and access log go (default: sys.stdout).
        error_log: the server's error log (default: the "gonet.http" logger).
        wrap: applied to the app's handler last (a worker counts its requests with it).

    Raises:
        ServeError: a usage error (bad MODULE:APP, interface, --bind).
    """
    out = sys.stdout if out is None else out
    if opts.graceful_timeout < 0:
        raise ServeError(f"--graceful-timeout must be >= 0, got {opts.graceful_timeout}")
    app = load_app(opts.app)
    interface = opts.interface or detect_interface(app)
    handler = build_handler(
        app, interface, access_log=out if opts.access_log else None, multiprocess=multiprocess
    )
    if wrap is not None:
        handler = wrap(handler)
    if ln is None:
        ln = listen(opts.bind)
    where = f"unix:{ln.addr()}" if opts.bind.startswith("unix:") else str(ln.addr())
    started = f"gonet serve: listening on http://{where} ({interface} app {opts.app})"
    return _run(handler, ln, opts.graceful_timeout, out, error_log, started, signals)


def listen(bind: str) -> Listener:
    """Listen on --bind's address: "HOST:PORT" (TCP), "unix:PATH" (a Unix socket) or "fd://N"
    (an inherited listening socket, e.g. from systemd).

    Raises:
        ServeError: the address is malformed or cannot be listened on (one line).
    """
    from gonet import net

    network, address = ("unix", bind[5:]) if bind.startswith("unix:") else ("tcp", bind)
    try:
        if bind.startswith("fd://"):
            if not bind[5:].isdigit():
                raise ValueError("want fd://N with N a descriptor number")
            return net.file_listener(int(bind[5:]))
        return net.listen(network, address)
    except (OSError, ValueError) as e:
        raise ServeError(f'cannot listen on "{bind}": {e}') from None


def _run(
    handler: http.Handler,
    ln: Listener,
    graceful_timeout: float,
    out: TextIO,
    error_log: logging.Logger | None,
    started: str,
    signals: tuple[int, ...],
) -> int:
    """Serve on ln until a signal, then shut down; return the exit status.

    The startup line is printed once the signals are taken: from then on SIGTERM means a
    graceful shutdown, never the default action.
    """
    from gonet import Chan, go, select
    from gonet import signal as gsignal
    from gonet.context import background, with_timeout
    from gonet.errors import ErrServerClosed
    from gonet.http import Server

    srv = Server(handler=handler, error_log=error_log)
    sigs: Chan[Any] = Chan(2)
    served: Chan[BaseException | None] = Chan(1)
    closing: Chan[None] = Chan(1)
    done: Chan[str] = Chan(1)

    def run_server() -> None:
        try:
            srv.serve(ln)
        except ErrServerClosed:
            served.send(None)
        except BaseException as e:  # noqa: BLE001 - handed to the main goroutine, which reports it
            served.send(e)
        else:
            served.send(None)

    def shutdown() -> None:
        ctx, cancel = with_timeout(background(), graceful_timeout)
        try:
            srv.shutdown(ctx)
            done.send("done")
        except Exception:
            if ctx.err() is None:
                raise
            srv.close()  # the deadline passed: drop what remains
            done.send("timeout")
        finally:
            cancel()

    gsignal.notify(sigs, *signals)
    try:
        print(started, file=out, flush=True)
        go(run_server)
        i, v, _ = select(sigs.recv_case(), served.recv_case())
        if i == 1:  # the server stopped by itself: the listener failed
            print(f"gonet serve: server stopped: {v}", file=sys.stderr, flush=True)
            return 1
        # Shutdown starts these once it has closed the listeners (Go: RegisterOnShutdown), so
        # the line printed next means "no longer accepting".
        srv.register_on_shutdown(lambda: closing.send(None))
        go(shutdown)
        closing.recv()
        name = _signal.Signals(v).name
        say(out, f"{name} received, shutting down (graceful timeout {graceful_timeout:g}s)")
        i, v, _ = select(done.recv_case(), sigs.recv_case())
        if i == 1:
            say(out, "second signal, closing the remaining connections")
            srv.close()
            v = done.recv()
        if v == "timeout":
            say(out, f"graceful timeout ({graceful_timeout:g}s) exceeded, remaining connections closed")
        served.recv()
        say(out, "stopped")
        return 0
    finally:
        gsignal.stop(sigs)


def say(out: TextIO, msg: str) -> None:
    """Print one "gonet serve: ..." line at once (the output may be a pipe)."""
    print("gonet serve: " + msg, file=out, flush=True)


def configure_logging() -> None:
    """Send gonet.http's error log to stderr with timestamps, unless logging is configured."""
    root = logging.getLogger()
    if not root.handlers:
        logging.basicConfig(
            level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(name)s %(levelname)s: %(message)s"
        )


def main(opts: ServeOptions) -> int:
    """Run serve(opts) as the command does: usage errors are one line on stderr, exit 2."""
    configure_logging()
    try:
        return serve(opts)
    except ServeError as e:
        print(f"gonet serve: {e}", file=sys.stderr, flush=True)
        return 2
