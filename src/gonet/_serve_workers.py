# gonet._serve_workers: `gonet serve MODULE:APP --workers N` — the app served by N worker
# processes on one listening socket, under gonet.supervisor.
#
# The supervisor (this process) opens the socket, forks the workers, restarts the dead, drains on
# SIGTERM/SIGINT and reloads on SIGHUP; each worker is `gonet serve` in one process
# (_serve.serve) on the inherited listener, stopping gracefully on SIGTERM only.
#
# Invariants:
# - The supervisor never imports the app: a worker imports it after the fork, so a SIGHUP
#   reload serves new code. The app is checked once, before anything listens, in a throwaway
#   child, so a bad MODULE:APP is still one line and exit status 2.
# - The supervisor process starts no gonet scheduler and no thread (fork safety).
from __future__ import annotations

import os
import signal as _signal
import sys
from typing import TYPE_CHECKING, Any

from gonet._serve import ServeError, ServeOptions, build_handler, detect_interface, load_app, serve

if TYPE_CHECKING:
    from gonet import http

__all__ = ["WorkerOptions", "check_app", "serve_workers"]


class WorkerOptions:
    """The supervisor's part of the command line (--workers and the flags that go with it)."""

    def __init__(
        self,
        n: int | None = None,
        *,
        reuse_port: bool = False,
        max_requests: int = 0,
        max_requests_jitter: int = 0,
        debug_addr: str | None = None,
    ) -> None:
        self.n = n
        self.reuse_port = reuse_port
        self.max_requests = max_requests
        self.max_requests_jitter = max_requests_jitter
        self.debug_addr = debug_addr


def check_app(opts: ServeOptions) -> None:
    """Load the app and decide its interface in a throwaway child process.

    Raises:
        ServeError: the child could not load it (its one-line reason).
    """
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report, then leave without running any of the parent's cleanup
        code = 2
        try:
            os.close(r)
            app = load_app(opts.app)
            build_handler(app, opts.interface or detect_interface(app))
            code = 0
        except ServeError as e:
            os.write(w, str(e).encode(errors="replace"))
        except BaseException as e:  # noqa: BLE001 - any failure to load is the usage error
            os.write(w, f"cannot load {opts.app}: {type(e).__name__}: {e}".encode(errors="replace"))
        finally:
            os._exit(code)
    os.close(w)
    chunks = []
    with os.fdopen(r, "rb") as f:
        chunks.append(f.read())
    _, status = os.waitpid(pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise ServeError(b"".join(chunks).decode(errors="replace") or f"cannot load {opts.app}")


def _counting(handler: http.Handler) -> http.Handler:
    """Wrap handler so that each finished request counts toward the worker's max_requests."""
    from gonet.supervisor import request_done

    def counted(w: http.ResponseWriter, r: http.Request) -> Any:
        try:
            return handler(w, r)
        finally:
            request_done()

    return counted


def _worker_main(opts: ServeOptions, count: bool) -> Any:
    """Return the worker entry point: serve opts on the first inherited listener until SIGTERM."""

    def main(listener_fds: list[int]) -> None:
        from gonet import net

        ln = net.file_listener(listener_fds[0])
        try:
            code = serve(
                opts,
                ln,
                signals=(_signal.SIGTERM,),
                multiprocess=True,
                wrap=_counting if count else None,
            )
        except ServeError as e:  # e.g. a reload found the app broken: the supervisor logs the exit
            print(f"gonet serve: {e}", file=sys.stderr, flush=True)
            code = 2
        if code:
            sys.exit(code)

    return main


def _start_debug(info: Any) -> None:
    """worker_init: serve this worker's gonet.debug page on its own port."""
    if info.debug_addr is not None:
        from gonet import debug

        debug.serve(info.debug_addr)


def serve_workers(opts: ServeOptions, wopts: WorkerOptions) -> int:
    """Serve opts with wopts.n worker processes under a supervisor; return the exit status.

    0 after a graceful shutdown (SIGTERM or SIGINT), 1 after a forced one (a second SIGINT),
    2 for a usage error (bad MODULE:APP, --bind, --workers...), printed as one line.
    """
    from gonet.supervisor import Supervisor

    try:
        if wopts.n is not None and wopts.n < 1:
            raise ServeError(f"--workers must be >= 1, got {wopts.n}")
        if opts.graceful_timeout < 0:
            raise ServeError(f"--graceful-timeout must be >= 0, got {opts.graceful_timeout}")
        check_app(opts)
        sup = Supervisor(
            _worker_main(opts, wopts.max_requests > 0),
            wopts.n,
            [opts.bind],
            reuse_port=wopts.reuse_port,
            graceful_timeout=opts.graceful_timeout,
            max_requests=wopts.max_requests,
            max_requests_jitter=wopts.max_requests_jitter,
            debug_addr=wopts.debug_addr,
            worker_init=_start_debug if wopts.debug_addr else None,
        )
    except (ServeError, ValueError, TypeError) as e:
        print(f"gonet serve: {e}", file=sys.stderr, flush=True)
        return 2
    try:
        return sup.run()
    except OSError as e:  # the supervisor could not listen on --bind
        print(f'gonet serve: cannot listen on "{opts.bind}": {e}', file=sys.stderr, flush=True)
        return 2
