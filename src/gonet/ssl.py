# gonet.ssl: the stdlib ssl module's SSLContext and SSLSocket over gonet.socket (Python: ssl;
# Go: crypto/tls.Conn over a net.Conn).
#
# The C SSL object works on the socket's descriptor directly. The OS socket is non-blocking
# (gonet.socket keeps it so), so OpenSSL answers "want read" / "want write" instead of blocking;
# each such answer waits — parking the goroutine on the netpoller, or poll(2) in a plain thread —
# for that direction and retries, within the socket's timeout. Everything else (certificates,
# SNI, ALPN, sessions, unwrap) is the stdlib's own code.
#
# Invariants:
# - read/write/send/do_handshake/unwrap each hold the fd's lock of their main direction (read
#   for read, handshake and unwrap; write for write/send) while they wait; a wait for the other
#   direction takes that lock too.
# - Timeouts raise the stdlib's messages ("The read operation timed out", ...).
from __future__ import annotations

import ssl as _std
import types
from collections.abc import Callable
from typing import Any

from gonet.socket._socket import socket, yield_after_send

ORIGINAL_SSLCONTEXT: type[_std.SSLContext] = _std.SSLContext
"""The stdlib's SSLContext, bound at import: gonet.patch.ssl() replaces ssl.SSLContext."""

__all__ = ["SSLContext", "SSLSocket", "create_default_context"]


class SSLSocket(_std.SSLSocket, socket):  # type: ignore[misc]  # accept: both return (socket, address)
    """A stdlib SSLSocket whose waits park only the calling goroutine. Go: tls.Conn."""

    __module__ = "gonet.ssl"

    def _want(self, exc: OSError, read: bool) -> bool | None:
        if isinstance(exc, _std.SSLWantReadError):
            return True
        if isinstance(exc, _std.SSLWantWriteError):
            return False
        return socket._want(self, exc, read)

    def _ssl_io(self, read: bool, what: str, timeout: float | None, fn: Any, *args: Any) -> Any:
        try:
            return self._io(read, timeout, fn, *args)
        except TimeoutError as e:
            if type(e) is TimeoutError and e.args == ("timed out",):
                raise TimeoutError(f"The {what} operation timed out") from None
            raise

    def read(self, len: int = 1024, buffer: Any = None) -> Any:
        """Read up to len bytes (into buffer, if given); b"" or 0 at EOF."""
        return self._ssl_io(True, "read", self._gtimeout, super().read, len, buffer)

    def write(self, data: Any) -> int:
        """Write data as one TLS record (or more); return the count."""
        n: int = self._ssl_io(False, "write", self._gtimeout, super().write, data)
        yield_after_send()
        return n

    def send(self, data: Any, flags: int = 0) -> int:
        """Send data over TLS once it is connected, else in the clear."""
        if self._sslobj is None:
            return socket.send(self, data, flags)
        n: int = self._ssl_io(False, "write", self._gtimeout, super().send, data, flags)
        yield_after_send()
        return n

    def do_handshake(self, block: bool = False) -> None:
        """Run the TLS handshake."""
        self._check_connected()  # type: ignore[attr-defined]
        t = self._gtimeout
        if t == 0.0 and block:
            t = None
        sslobj: Any = self._sslobj
        if sslobj is None:
            raise ValueError("do_handshake on an unwrapped socket")
        self._ssl_io(True, "handshake", t, sslobj.do_handshake)

    def unwrap(self) -> socket:
        """Shut TLS down (close_notify both ways); return the plain socket."""
        sslobj: Any = self._sslobj  # type: ignore[has-type]
        if sslobj is None:
            raise ValueError("No SSL wrapper around " + str(self))
        s = self._ssl_io(True, "shutdown", self._gtimeout, sslobj.shutdown)
        self._sslobj = None
        return s  # type: ignore[no-any-return]


class SSLContext(_std.SSLContext):
    """A stdlib SSLContext whose wrap_socket returns gonet SSLSockets."""

    __module__ = "gonet.ssl"
    sslsocket_class = SSLSocket


def pinned_properties(orig: type) -> list[tuple[str, property]]:
    """Return copies of orig's properties whose code names SSLContext, seeing orig under it.

    The stdlib's property setters spell `super(SSLContext, SSLContext)` with the module global,
    which gonet.patch.ssl() makes gonet's subclass: on gonet's class they would call
    themselves, and so would they on a stdlib SSLContext made by a library that bound the class
    before the patch (urllib3 does: RecursionError in `minimum_version`). These copies see the
    stdlib class whatever the module global holds.
    """
    g = dict(vars(_std))
    g["SSLContext"] = orig
    out: list[tuple[str, property]] = []
    for name, prop in vars(orig).items():
        if not isinstance(prop, property):
            continue
        funcs = [prop.fget, prop.fset, prop.fdel]
        if not any(f is not None and "SSLContext" in f.__code__.co_names for f in funcs):
            continue
        fget, fset, fdel = (_with_globals(f, g) if f is not None else None for f in funcs)
        out.append((name, property(fget, fset, fdel, prop.__doc__)))
    return out


def _with_globals(fn: Callable[..., Any], g: dict[str, Any]) -> Callable[..., Any]:
    f = types.FunctionType(fn.__code__, g, fn.__name__, fn.__defaults__, fn.__closure__)
    f.__kwdefaults__ = fn.__kwdefaults__
    f.__doc__ = fn.__doc__
    return f


for _name, _prop in pinned_properties(ORIGINAL_SSLCONTEXT):
    setattr(SSLContext, _name, _prop)


def _rebind(fn: Callable[..., Any]) -> Callable[..., Any]:
    # The stdlib's code with gonet's SSLContext in its globals (see gonet.socket._create).
    g = dict(vars(_std))
    g["SSLContext"] = SSLContext
    f = types.FunctionType(fn.__code__, g, fn.__name__, fn.__defaults__, fn.__closure__)
    f.__kwdefaults__ = fn.__kwdefaults__
    f.__doc__ = fn.__doc__
    f.__module__ = "gonet.ssl"
    return f


create_default_context: Callable[..., SSLContext] = _rebind(_std.create_default_context)
