# gonet.errors: every exception class gonet raises, in one place.
#
# Invariants:
# - A failed net operation raises an OpError that is ALSO an instance of the natural Python
#   class of its cause (ConnectionRefusedError, TimeoutError, ErrClosed, ...), so both
#   `except OpError` (Go style) and `except ConnectionRefusedError` (Python style) work.
#   `op_error()` builds that combined class once per cause class and caches it.
# - Messages follow Go's texts exactly where Go has one ("i/o timeout",
#   "use of closed network connection", "all goroutines are asleep - deadlock!").
from __future__ import annotations

import errno as _errno
import os
from typing import Any

__all__ = [
    "GonetError",
    "DeadlockError",
    "WrongThreadError",
    "PanicError",
    "ErrClosed",
    "DeadlineExceededError",
    "OpError",
    "AddrError",
    "UnknownNetworkError",
    "InvalidAddrError",
    "DNSError",
    "DNSTimeoutError",
    "ErrWriteToConnected",
    "ErrClosedPipe",
    "NotPollableError",
    "op_error",
]


class GonetError(Exception):
    """Base class of gonet's own runtime errors (not of net errors, which are OSErrors)."""


class DeadlockError(GonetError, RuntimeError):
    """Raised in the main goroutine when every goroutine is blocked and nothing can wake one.

    Go: fatal error "all goroutines are asleep - deadlock!".
    """

    def __init__(self, msg: str = "all goroutines are asleep - deadlock!") -> None:
        super().__init__(msg)


class WrongThreadError(GonetError, RuntimeError):
    """A goroutine blocked on an object owned by another OS thread's scheduler, or code tried to
    block where no goroutine runs (a timer callback)."""

    def __init__(self, in_hub: bool = False) -> None:
        if in_hub:
            msg = "gonet: cannot block outside a goroutine (e.g. in a timer callback)"
        else:
            msg = (
                "gonet: a goroutine may only block on objects of its own thread's scheduler "
                "(this conn/channel belongs to another OS thread)"
            )
        super().__init__(msg)


class PanicError(GonetError):
    """Base class of Go's runtime panics (send on closed channel, negative WaitGroup, ...)."""


class ErrClosed(OSError):
    """Use of a closed network connection or listener.

    Go: net.ErrClosed / poll.ErrNetClosing.
    """

    def __init__(self, msg: str = "use of closed network connection") -> None:
        super().__init__(msg)

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "use of closed network connection"


class DeadlineExceededError(TimeoutError):
    """An I/O deadline expired.

    Go: os.ErrDeadlineExceeded ("i/o timeout"), whose Timeout() is true.
    """

    def __init__(self, msg: str = "i/o timeout") -> None:
        super().__init__(msg)

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "i/o timeout"

    def timeout(self) -> bool:
        """Report True: this error is a timeout. Go: net.Error.Timeout."""
        return True

    def temporary(self) -> bool:
        """Report True, as Go's os.ErrDeadlineExceeded does. Go: net.Error.Temporary."""
        return True


class NotPollableError(OSError):
    """The fd reported EPOLLERR alone: it cannot be waited on. Go: poll.ErrNotPollable."""

    def __init__(self, msg: str = "not pollable") -> None:
        super().__init__(msg)

    def __str__(self) -> str:
        return "not pollable"


class AddrError(ValueError):
    """A malformed or unusable address. Go: net.AddrError ("address X: missing port in address")."""

    def __init__(self, err: str, addr: str = "") -> None:
        super().__init__(err, addr)
        self.err = err
        self.addr = addr

    def __str__(self) -> str:
        if self.addr:
            return f"address {self.addr}: {self.err}"
        return self.err


class UnknownNetworkError(ValueError):
    """A network name gonet does not know. Go: net.UnknownNetworkError."""

    def __init__(self, network: str) -> None:
        super().__init__(network)
        self.network = network

    def __str__(self) -> str:
        return f"unknown network {self.network}"


class InvalidAddrError(ValueError):
    """An address of the wrong kind for the operation. Go: net.InvalidAddrError."""


class DNSError(OSError):
    """A name lookup failed. Go: net.DNSError.

    ``is_temporary``: the resolver said "try again" (EAI_AGAIN), so a retry may succeed.
    """

    def __init__(
        self,
        err: str,
        name: str,
        server: str = "",
        is_timeout: bool = False,
        is_not_found: bool = False,
        is_temporary: bool = False,
    ) -> None:
        super().__init__(err)
        self.err = err
        self.name = name
        self.server = server
        self.is_timeout = is_timeout
        self.is_not_found = is_not_found
        self.is_temporary = is_temporary

    def __str__(self) -> str:
        s = f"lookup {self.name}"
        if self.server:
            s += f" on {self.server}"
        return f"{s}: {self.err}"

    def timeout(self) -> bool:
        """Report whether the lookup timed out. Go: DNSError.Timeout."""
        return self.is_timeout

    def temporary(self) -> bool:
        """Report whether a retry may succeed: timed out or "try again". Go: DNSError.Temporary."""
        return self.is_timeout or self.is_temporary


class DNSTimeoutError(DNSError, TimeoutError):
    """A lookup that timed out: a DNSError with is_timeout set that is also a TimeoutError."""


class ErrWriteToConnected(OSError):
    """write_to on a connected (dialled) datagram socket. Go: net.ErrWriteToConnected."""

    def __init__(self, msg: str = "use of WriteTo with pre-connected connection") -> None:
        super().__init__(_errno.EISCONN, msg)

    def __str__(self) -> str:
        return "use of WriteTo with pre-connected connection"


class ErrClosedPipe(OSError):
    """Read or write on a closed pipe. Go: io.ErrClosedPipe."""

    def __init__(self, msg: str = "io: read/write on closed pipe") -> None:
        super().__init__(_errno.EPIPE, msg)

    def __str__(self) -> str:
        return "io: read/write on closed pipe"


def _errno_text(err: BaseException, syscall: str | None) -> str:
    """Format a cause as Go would: "connect: connection refused" for syscall errors."""
    if isinstance(err, OSError) and type(err).__str__ is OSError.__str__ and err.errno:
        text = err.strerror or os.strerror(err.errno)
        text = text[:1].lower() + text[1:]
        return f"{syscall}: {text}" if syscall else text
    return str(err)


class OpError(OSError):
    """A failed network operation: what was done, on which network, between which addresses.

    Attributes mirror Go's net.OpError: ``op`` ("read", "dial", ...), ``net`` ("tcp"),
    ``source`` and ``addr`` (local and remote address, may be None), ``err`` (the cause),
    plus ``written``: bytes already written when a write failed part-way.

    Go: net.OpError.
    """

    op: str
    net: str
    source: Any
    addr: Any
    err: BaseException
    syscall: str | None
    written: int

    def __init__(
        self,
        op: str,
        net: str,
        source: Any,
        addr: Any,
        err: BaseException,
        syscall: str | None = None,
        written: int = 0,
    ) -> None:
        errno = err.errno if isinstance(err, OSError) else None
        # Not super(): the combined class's other base (ErrClosed, AddrError) has its own __init__.
        OSError.__init__(self, errno, _errno_text(err, syscall))
        self.op = op
        self.net = net
        self.source = source
        self.addr = addr
        self.err = err
        self.syscall = syscall
        self.written = written

    def __str__(self) -> str:
        s = self.op
        if self.net:
            s += " " + self.net
        if self.source is not None:
            s += f" {self.source}"
        if self.addr is not None:
            s += ("->" if self.source is not None else " ") + f"{self.addr}"
        return f"{s}: {self.strerror}"

    def __reduce__(self) -> Any:
        return (op_error, (self.op, self.net, self.source, self.addr, self.err, self.syscall, self.written))

    def timeout(self) -> bool:
        """Report whether the cause is a timeout. Go: net.Error.Timeout."""
        return isinstance(self.err, TimeoutError)

    def temporary(self) -> bool:
        """Report whether the failure is transient, so retrying the operation later may succeed.

        True for EMFILE/ENFILE (out of descriptors), EINTR, EAGAIN and ETIMEDOUT, for a
        connection reset or aborted before accept() returned it, and for a cause whose own
        temporary() says so (an expired deadline, a DNSError that timed out or said "try
        again"). An accept loop should sleep and retry on these rather than stop serving.

        Go: OpError.Temporary.
        """
        err = self.err
        if isinstance(err, OSError):
            if self.op == "accept" and err.errno in _CONN_ERRNOS:
                return True
            if err.errno in _TEMPORARY_ERRNOS:
                return True
        temporary = getattr(err, "temporary", None)
        return bool(temporary()) if callable(temporary) else False


# Go: syscall.Errno.Temporary (EINTR, EMFILE, ENFILE and the Timeout() errnos) and isConnError.
_TEMPORARY_ERRNOS = frozenset(
    {_errno.EINTR, _errno.EMFILE, _errno.ENFILE, _errno.EAGAIN, _errno.EWOULDBLOCK, _errno.ETIMEDOUT}
)
_CONN_ERRNOS = frozenset({_errno.ECONNRESET, _errno.ECONNABORTED})


_combined: dict[type, type] = {}


def op_error(
    op: str,
    net: str,
    source: Any,
    addr: Any,
    err: BaseException,
    syscall: str | None = None,
    written: int = 0,
) -> OpError:
    """Build an OpError that is also an instance of ``type(err)``.

    Args:
        op, net, source, addr: as on OpError.
        err: the cause; its class becomes a base of the result's class.
        syscall: name of the failing system call, used in the message ("connect").
        written: bytes written before a write failed.
    """
    cls = type(err)
    combined = _combined.get(cls)
    if combined is None:
        if (
            cls is OSError
            or issubclass(cls, OpError)
            or cls.__module__ == "builtins"
            and not issubclass(cls, OSError)
        ):
            combined = OpError
        else:
            try:
                combined = type(f"OpError[{cls.__name__}]", (OpError, cls), {"__module__": __name__})
            except TypeError:
                combined = OpError
        _combined[cls] = combined
    if isinstance(err, OpError):
        err = err.err
    e: OpError = combined(op, net, source, addr, err, syscall, written)
    # The result is also a `cls`: give it the cause's own attributes (a DNSError's name and
    # is_timeout...), except where OpError's fields of the same name take precedence.
    for k, v in getattr(err, "__dict__", {}).items():
        if k not in _OP_FIELDS:
            setattr(e, k, v)
    return e


_OP_FIELDS = frozenset({"op", "net", "source", "addr", "err", "syscall", "written"})


# -- the concurrency toolkit: Go's runtime panics and the context errors ------------------------

__all__ += [
    "ClosedChannelError",
    "NilChannelError",
    "SyncError",
    "Canceled",
    "DeadlineExceeded",
    "SignalError",
]


class ClosedChannelError(PanicError):
    """A send on, or a close of, a closed channel.

    Go: panic "send on closed channel" / "close of closed channel".
    """


class NilChannelError(PanicError):
    """A close of the nil channel. Go: panic "close of nil channel"."""


class SyncError(PanicError):
    """Misuse of a gonet.sync primitive: "sync: negative WaitGroup counter",
    "sync: unlock of unlocked mutex", "semaphore: released more than held", ...

    Go: the panics and fatal errors of package sync (and x/sync/semaphore).
    """


class Canceled(GonetError):
    """The context was canceled. Go: context.Canceled ("context canceled")."""

    def __init__(self, msg: str = "context canceled") -> None:
        super().__init__(msg)

    def timeout(self) -> bool:
        """Report False: a cancellation is not a timeout."""
        return False


class DeadlineExceeded(GonetError, TimeoutError):
    """The context's deadline passed. Go: context.DeadlineExceeded ("context deadline exceeded").

    A TimeoutError, so ``except TimeoutError`` catches it too.
    """

    def __init__(self, msg: str = "context deadline exceeded") -> None:
        super().__init__(msg)

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "context deadline exceeded"

    def timeout(self) -> bool:
        """Report True: this error is a timeout. Go: DeadlineExceeded.Timeout()."""
        return True

    def temporary(self) -> bool:
        """Report True: waiting longer may succeed. Go: DeadlineExceeded.Temporary()."""
        return True


class SignalError(GonetError):
    """Why a signal.notify_context context ended: "<signal> signal received".

    Go: signal.signalError (the context's cause).
    """


# -- gonet.http: Go's net/http errors -----------------------------------------------------------

__all__ += [
    "HTTPError",
    "ErrServerClosed",
    "ErrNoCookie",
    "ErrHijacked",
    "ErrBodyNotAllowed",
    "ErrContentLength",
    "ErrBodyReadAfterClose",
    "ErrHandlerTimeout",
    "ErrAbortHandler",
    "ErrUseLastResponse",
    "MaxBytesError",
    "URLError",
    "URLParseError",
    "url_error",
]


class HTTPError(GonetError):
    """Base class of gonet.http's own errors. Each carries Go's text as its message."""

    default = "http: error"

    def __init__(self, msg: str | None = None) -> None:
        super().__init__(self.default if msg is None else msg)


class ErrServerClosed(HTTPError):
    """Raised by Server.serve / listen_and_serve after shutdown() or close(). Go: http.ErrServerClosed."""

    default = "http: Server closed"


class ErrNoCookie(HTTPError, LookupError):
    """The request has no cookie of that name. Go: http.ErrNoCookie."""

    default = "http: named cookie not present"


class ErrHijacked(HTTPError):
    """The connection was taken over by hijack(); the writer no longer works. Go: http.ErrHijacked."""

    default = "http: connection has been hijacked"


class ErrBodyNotAllowed(HTTPError):
    """A write to a response whose method or status has no body (HEAD, 1xx, 204, 304).

    Go: http.ErrBodyNotAllowed.
    """

    default = "http: request method or response status code does not allow body"


class ErrContentLength(HTTPError):
    """The handler wrote more than the Content-Length it declared. Go: http.ErrContentLength."""

    default = "http: wrote more than the declared Content-Length"


class ErrBodyReadAfterClose(HTTPError):
    """A read of a request or response body after it was closed. Go: http.ErrBodyReadAfterClose."""

    default = "http: invalid Read on closed Body"


class ErrHandlerTimeout(HTTPError, TimeoutError):
    """A write to a ResponseWriter after timeout_handler timed out. Go: http.ErrHandlerTimeout."""

    default = "http: Handler timeout"


class ErrAbortHandler(HTTPError):
    """Raise it in a handler to abort the response silently (no panic log). Go: http.ErrAbortHandler."""

    default = "net/http: abort Handler"


class ErrUseLastResponse(HTTPError):
    """Return it from Client.check_redirect: stop, and return the last response unfollowed.

    Go: http.ErrUseLastResponse.
    """

    default = "net/http: use last response"


class MaxBytesError(HTTPError):
    """A read went past max_bytes_reader's limit. Go: http.MaxBytesError."""

    default = "http: request body too large"

    def __init__(self, limit: int = 0, msg: str | None = None) -> None:
        super().__init__(msg)
        self.limit = limit


class URLParseError(ValueError):
    """A URL that does not parse: 'parse "u": why'. Go: url.Error from url.Parse."""

    def __init__(self, op: str, url: str, reason: str) -> None:
        super().__init__(f'{op} "{url}": {reason}')
        self.op = op
        self.url = url
        self.reason = reason


class URLError(OSError):
    """A client request failed: 'Get "http://h/p": <cause>'. Go: url.Error from Client.Do.

    Built by url_error() so that it is also an instance of its cause's class (TimeoutError,
    ConnectionRefusedError, ...), as OpError is.
    """

    def __init__(self, op: str, url: str, err: BaseException) -> None:
        super().__init__(f'{op} "{url}": {err}')
        self.op = op
        self.url = url
        self.err = err

    def __str__(self) -> str:
        return f'{self.op} "{self.url}": {self.err}'

    def timeout(self) -> bool:
        """Report whether the cause is a timeout. Go: url.Error.Timeout()."""
        return isinstance(self.err, TimeoutError)

    def unwrap(self) -> BaseException:
        """Return the cause. Go: url.Error.Unwrap()."""
        return self.err


_URL_ERROR_CLASSES: dict[type[BaseException], type[URLError]] = {}


def url_error(op: str, url: str, err: BaseException) -> URLError:
    """Build a URLError that is also an instance of err's OSError/TimeoutError class.

    Go: &url.Error{Op, URL, Err}.
    """
    # The most specific built-in OSError subclass of the cause (TimeoutError for an OpError
    # timeout or a context deadline, ConnectionRefusedError...), never gonet's own classes.
    base: type[BaseException] | None = None
    for cls in type(err).__mro__:
        if cls.__module__ == "builtins" and issubclass(cls, OSError) and cls is not OSError:
            base = cls
            break
    if base is None:
        e = URLError(op, url, err)
    else:
        klass = _URL_ERROR_CLASSES.get(base)
        if klass is None:
            klass = type(f"URLError[{base.__name__}]", (URLError, base), {"__module__": __name__})
            _URL_ERROR_CLASSES[base] = klass
        e = klass(op, url, err)
    e.__cause__ = err
    return e
