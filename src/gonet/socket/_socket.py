# gonet.socket._socket: the stdlib socket class, with blocking calls that park a goroutine
# (Go: net.netFD over internal/poll.FD; Python: socket.socket).
#
# The OS socket is always non-blocking; the timeout the user set lives in `_gtimeout` and
# gettimeout/getblocking/settimeout/setblocking report and change only that, with the stdlib's
# exact semantics:
#   None   block until done        0.0   raise BlockingIOError at once
#   t > 0  raise TimeoutError("timed out") when one call has waited t seconds
# A call first tries the syscall; when it would block, in a goroutine it parks on the
# netpoller through a gonet._poll FD (one EPOLLET registration, made on first need, the fd's
# read/write locks, pollDesc deadlines for timeouts), anywhere else it waits in poll(2) on
# its thread, as the stdlib does.
#
# Invariants:
# - The FD is built over `_Raw`, the C socket's own methods bound to this object, so the fd
#   layer never re-enters these overrides.
# - close() goes through FD.close when an FD exists: waiters fail with EBADF, the registration
#   is removed before close(2), and close(2) happens once.
# - An FD belongs to the scheduler of the thread that made it; a goroutine of another thread
#   (rare) waits in poll(2) like a plain thread.
from __future__ import annotations

import _socket
import errno
import os
import select as _select
import socket as _std
import types
from typing import Any

from gonet._poll import FD
from gonet._poll._fd_posix import prepare
from gonet.errors import DeadlineExceededError, ErrClosed
from gonet.runtime._proc import Scheduler
from gonet.socket._wait import bad_fd, goroutine_sched, monotonic, poll_wait, timed_out

__all__ = ["socket", "socketpair", "fromfd", "check_timeout", "yield_after_send"]

_ss = _socket.socket
_select_poll = _select.poll  # bound at import: gonet.patch.select() may replace it
_CONNECT_PENDING = (errno.EINPROGRESS, errno.EALREADY, errno.EINTR)
_IP_FAMILIES = (_std.AF_INET, _std.AF_INET6)


def check_timeout(value: Any) -> float | None:
    """Validate a timeout as socket.settimeout does; return it as float or None.

    Raises:
        TypeError: not a number.
        ValueError: negative or NaN.
    """
    if value is None:
        return None
    t = value if isinstance(value, float) else float(_index(value))
    if t != t:
        raise ValueError("Invalid value NaN (not a number)")
    if t < 0:
        raise ValueError("Timeout value out of range")
    return t


def _index(value: Any) -> int:
    import operator

    return operator.index(value)


class _Raw:
    """The C socket's own methods bound to one gonet socket: what the fd layer calls."""

    __slots__ = (
        "fileno",
        "type",
        "setblocking",
        "recv_into",
        "recv",
        "send",
        "close",
        "_accept",
        "connect_ex",
        "getsockopt",
        "getpeername",
        "shutdown",
        "setsockopt",
        "recvfrom_into",
        "recvfrom",
        "sendto",
        "sendmsg",
    )

    def __init__(self, s: _socket.socket) -> None:
        for name in _Raw.__slots__:
            if name != "type":
                setattr(self, name, getattr(_ss, name).__get__(s))
        self.type = _ss.type.__get__(s)


def _keep_open() -> None:
    """Stand in for close(2) when a socket is detached: the caller keeps the descriptor."""


class socket(_std.socket):  # noqa: N801 - the stdlib's name: a drop-in replacement
    """A stdlib socket whose blocking calls park only the calling goroutine.

    In a plain thread it behaves exactly as socket.socket. Go: net.netFD.
    """

    __slots__ = ("_gfd", "_gtimeout")
    __module__ = "gonet.socket"

    def __init__(self, family: Any = -1, type: Any = -1, proto: int = -1, fileno: int | None = None) -> None:
        super().__init__(family, type, proto, fileno)
        self._gfd: FD | None = None
        self._gtimeout: float | None = _ss.gettimeout(self)
        if self._gtimeout != 0.0:
            _ss.settimeout(self, 0.0)

    # -- timeouts ------------------------------------------------------------------------------

    def settimeout(self, value: float | None) -> None:
        """Set the timeout of each blocking call: None blocks, 0.0 never waits."""
        self._gtimeout = check_timeout(value)

    def gettimeout(self) -> float | None:
        """Return the timeout in seconds, or None."""
        return self._gtimeout

    def setblocking(self, flag: bool) -> None:
        """Block (timeout None) or never wait (timeout 0.0)."""
        self._gtimeout = None if flag else 0.0

    def getblocking(self) -> bool:
        """Return False when the timeout is 0.0."""
        return self._gtimeout != 0.0

    @property
    def timeout(self) -> float | None:
        """The timeout in seconds, or None."""
        return self._gtimeout

    # -- the waiting machinery -----------------------------------------------------------------

    def _new_fd(self) -> FD:
        fd = self._gfd
        if fd is None:
            if _ss.fileno(self) < 0:
                raise bad_fd()
            fd = self._gfd = FD(_Raw(self))  # type: ignore[arg-type]
        return fd

    def _want(self, exc: OSError, read: bool) -> bool | None:
        """Return the direction to wait for after exc (True: readable), or None to raise it."""
        return read if isinstance(exc, BlockingIOError) else None

    def _io(self, read: bool, timeout: float | None, fn: Any, *args: Any) -> Any:
        """Call fn(*args) until it does not block, waiting up to timeout in all.

        Raises:
            BlockingIOError: timeout is 0.0 and fn would block.
            TimeoutError: the timeout passed ("timed out").
        """
        if timeout == 0.0:
            return fn(*args)
        s = goroutine_sched()
        fd = self._gfd
        if s is None or (fd is not None and fd.sched is not s):
            return self._io_thread(read, timeout, fn, args)
        # Try before taking the fd's lock: most calls on a busy socket do not wait, and the
        # stdlib's socket has no per-direction lock to honour.
        try:
            return fn(*args)
        except InterruptedError:
            want: bool | None = None
        except OSError as e:
            want = self._want(e, read)
            if want is None:
                raise
        if fd is None:
            # A new registration: the first edge may predate it, so try again under the lock.
            return self._io_park(self._new_fd(), s, read, timeout, fn, args, None)
        if want is read:
            # Proof of emptiness, taken in the same tick as the EAGAIN: only a new edge sets
            # the flag again, so the park below cannot miss one (Go: the fd's pollDesc rule).
            if read:
                fd.pd.rready = False
            else:
                fd.pd.wready = False
        return self._io_park(fd, s, read, timeout, fn, args, want)

    def _io_thread(self, read: bool, timeout: float | None, fn: Any, args: tuple[Any, ...]) -> Any:
        deadline = None if timeout is None else monotonic() + timeout
        while True:
            try:
                return fn(*args)
            except InterruptedError:
                continue
            except OSError as e:
                want = self._want(e, read)
                if want is None:
                    raise
            fileno = _ss.fileno(self)
            if fileno < 0:
                raise bad_fd()
            poll_wait(fileno, want, deadline)

    def _io_park(  # noqa: C901 - one lock/deadline/wait loop, kept whole
        self,
        fd: FD,
        s: Scheduler,
        read: bool,
        timeout: float | None,
        fn: Any,
        args: tuple[Any, ...],
        want: bool | None,
    ) -> Any:
        # want: the direction a try made just before asked to wait for (None: try first).
        try:
            pd = prepare(fd, read)
        except ErrClosed:
            raise bad_fd() from None
        # The deadline is armed at the first wait, not before the first try: a call that does
        # not wait (most, on a busy connection) costs no timer. It still bounds the whole call.
        armed = False
        try:
            while True:
                if want is not None:
                    if timeout is not None and not armed:
                        pd.set_deadline(s.clock() + timeout, read, not read)
                        armed = True
                    if want is read:
                        # The flag was cleared on the EAGAIN that proved the socket empty; an
                        # edge since (while the lock was contended) leaves it set: try again.
                        if read:
                            if not pd.rready:
                                pd.wait_read()
                        elif not pd.wready:
                            pd.wait_write()
                    else:
                        self._wait_other(fd, want)
                try:
                    return fn(*args)
                except InterruptedError:
                    want = None
                    continue
                except OSError as e:
                    want = self._want(e, read)
                    if want is None:
                        raise
                if want is read:
                    if read:
                        pd.rready = False
                    else:
                        pd.wready = False
        except DeadlineExceededError:
            raise timed_out() from None
        except ErrClosed:
            raise bad_fd() from None
        finally:
            if armed and not pd.closing:
                pd.set_deadline(None, read, not read)
            fd.unlock_slow(read)

    def _wait_other(self, fd: FD, read: bool) -> None:
        # A call holding one direction's lock needs the other direction (TLS renegotiation):
        # take that lock too for the wait, so the pollDesc keeps one waiter per direction.
        fd.lock_slow(read)
        try:
            pd = fd.pd
            if read:
                pd.rready = False
                pd.wait_read()
            else:
                pd.wready = False
                pd.wait_write()
        finally:
            fd.unlock_slow(read)

    # -- reads ---------------------------------------------------------------------------------

    def recv(self, bufsize: int, flags: int = 0) -> bytes:
        """Receive up to bufsize bytes; b"" at EOF."""
        fd = self._gfd
        if fd is not None and not flags and self._gtimeout is None and fd.sched is goroutine_sched():
            try:
                return fd.recv(bufsize)  # type: ignore[no-any-return,unused-ignore]
            except ErrClosed:
                raise bad_fd() from None
        return self._io(True, self._gtimeout, _ss.recv, self, bufsize, flags)  # type: ignore[no-any-return]

    def recv_into(self, buffer: Any, nbytes: int = 0, flags: int = 0) -> int:
        """Receive into buffer (its first nbytes bytes, if given); return the count."""
        fd = self._gfd
        if (
            fd is not None
            and not nbytes
            and not flags
            and self._gtimeout is None
            and (type(buffer) is bytearray or (type(buffer) is memoryview and buffer.itemsize == 1))
            and fd.sched is goroutine_sched()
        ):
            try:
                return fd.read(buffer)  # type: ignore[no-any-return,unused-ignore]
            except ErrClosed:
                raise bad_fd() from None
        return self._io(True, self._gtimeout, _ss.recv_into, self, buffer, nbytes, flags)  # type: ignore[no-any-return]

    def recvfrom(self, *args: Any) -> Any:
        """Receive (data, address)."""
        return self._io(True, self._gtimeout, _ss.recvfrom, self, *args)

    def recvfrom_into(self, *args: Any) -> Any:
        """Receive into a buffer; return (count, address)."""
        return self._io(True, self._gtimeout, _ss.recvfrom_into, self, *args)

    def recvmsg(self, *args: Any) -> Any:
        """Receive (data, ancdata, msg_flags, address)."""
        return self._io(True, self._gtimeout, _ss.recvmsg, self, *args)

    def recvmsg_into(self, *args: Any) -> Any:
        """Receive into buffers; return (count, ancdata, msg_flags, address)."""
        return self._io(True, self._gtimeout, _ss.recvmsg_into, self, *args)

    # -- writes --------------------------------------------------------------------------------

    def send(self, data: Any, flags: int = 0) -> int:
        """Send once; return how many bytes the kernel took."""
        n: int = self._io(False, self._gtimeout, _ss.send, self, data, flags)
        yield_after_send()
        return n

    def sendall(self, data: Any, flags: int = 0) -> None:
        """Send all of data; the timeout bounds the whole call, as in the stdlib."""
        fd = self._gfd
        if fd is not None and not flags and self._gtimeout is None and fd.sched is goroutine_sched():
            try:
                fd.write(data)
            except ErrClosed:
                raise bad_fd() from None
        elif type(data) is bytes and self._gtimeout:
            # A short request usually goes whole at the first try: no deadline, no view.
            try:
                sent = _ss.send(self, data, flags)
            except (BlockingIOError, InterruptedError):
                sent = 0
            if sent < len(data):
                self._sendall_slow(data[sent:] if sent else data, flags)
        else:
            self._sendall_slow(data, flags)
        yield_after_send()

    def _sendall_slow(self, data: Any, flags: int) -> None:
        with memoryview(data) as view, view.cast("B") as b:
            n = len(b)
            sent = 0
            t = self._gtimeout
            deadline = None if t is None else monotonic() + t
            while sent < n or not n:
                left = None if deadline is None else deadline - monotonic()
                if left is not None and left <= 0 and t:
                    raise timed_out()
                sent += self._io(False, left if t else t, _ss.send, self, b[sent:], flags)
                if not n:
                    return

    def sendto(self, *args: Any) -> Any:
        """Send a datagram to an address."""
        n = self._io(False, self._gtimeout, _ss.sendto, self, *args)
        yield_after_send()
        return n

    def sendmsg(self, *args: Any) -> Any:
        """Send buffers (and ancillary data) as one message."""
        n = self._io(False, self._gtimeout, _ss.sendmsg, self, *args)
        yield_after_send()
        return n

    def _sendfile_use_sendfile(self, file: Any, offset: int = 0, count: int | None = None) -> int:
        # The stdlib's os.sendfile loop, run with a stand-in for its selector whose waits for
        # writability park the goroutine (or poll(2) in a plain thread): its checks, errors and
        # fallbacks stay the interpreter's own.
        g = dict(_SENDFILE_GLOBALS)
        g["selectors"] = _Selectors(self)
        fn = _STD_SENDFILE
        run = types.FunctionType(fn.__code__, g, fn.__name__, fn.__defaults__, fn.__closure__)
        return run(self, file, offset, count)  # type: ignore[no-any-return]

    def _wait_writable(self, timeout: float | None) -> bool:
        """Wait until the socket may be written (True) or timeout seconds pass (False)."""
        fileno = _ss.fileno(self)
        if fileno < 0:
            raise bad_fd()
        if _writable_now(fileno):
            return True
        try:
            self._io(False, timeout, self._raise_unless_writable, fileno)
        except TimeoutError:
            return False
        return True

    @staticmethod
    def _raise_unless_writable(fileno: int) -> None:
        if not _writable_now(fileno):
            raise BlockingIOError(errno.EAGAIN, "not writable yet")

    # -- connections ---------------------------------------------------------------------------

    def connect(self, address: Any) -> None:
        """Connect to address; raise OSError on failure, TimeoutError after the timeout."""
        self._connect(address, True)

    def connect_ex(self, address: Any) -> int:
        """Connect to address; return 0 or the errno instead of raising OSError."""
        return self._connect(address, False)

    def _connect(self, address: Any, raise_: bool) -> int:
        s = goroutine_sched()
        if s is not None and self.family in _IP_FAMILIES:
            address = self._resolve(address)
        err = _ss.connect_ex(self, address)
        if err == 0:
            return 0
        if err not in _CONNECT_PENDING or self._gtimeout == 0.0:
            if raise_:
                raise OSError(err, os.strerror(err))
            return err
        try:
            self._io(False, self._gtimeout, self._connect_done)
        except TimeoutError:
            if raise_:
                raise
            return errno.EWOULDBLOCK
        except OSError as e:
            if raise_ or e.errno is None:
                raise
            return e.errno
        return 0

    def _connect_done(self) -> None:
        err = _ss.getsockopt(self, _std.SOL_SOCKET, _std.SO_ERROR)
        if err == 0:
            try:
                _ss.getpeername(self)
            except OSError as e:
                if e.errno in (errno.ENOTCONN, errno.EINVAL):
                    raise BlockingIOError(errno.EINPROGRESS, "connect in progress") from None
                raise
            return
        if err in _CONNECT_PENDING:
            raise BlockingIOError(err, os.strerror(err))
        raise OSError(err, os.strerror(err))

    def _resolve(self, address: Any) -> Any:
        # The C connect() resolves a host name itself, blocking the thread: resolve it on
        # the lookup pool first, as the stdlib would (first address of the socket's family).
        if not isinstance(address, tuple) or len(address) < 2:
            return address
        host = address[0]
        if not isinstance(host, str) or _is_ip(host):
            return address
        from gonet.socket._dns import getaddrinfo

        infos = getaddrinfo(host, address[1], self.family, self.type)
        return infos[0][4][:2] + tuple(address[2:]) if infos else address

    def accept(self) -> tuple[socket, Any]:
        """Wait for a connection; return (new socket, peer address)."""
        fdn, addr = self._io(True, self._gtimeout, _ss._accept, self)  # type: ignore[attr-defined]
        sock = socket(self.family, self.type, self.proto, fileno=fdn)
        if _std.getdefaulttimeout() is None and self.gettimeout():
            sock.setblocking(True)
        return sock, addr

    # -- closing -------------------------------------------------------------------------------

    def _real_close(self, _ss: Any = _ss) -> None:
        fd = self._gfd
        if fd is None or fd.destroyed:
            _ss.close(self)
            return
        if fd.closing:
            return
        self._close_fd(fd)

    def _close_fd(self, fd: FD) -> None:
        s = goroutine_sched()
        if s is fd.sched or fd.sched.closed:
            try:
                fd.close()
            except ErrClosed:
                pass
            return
        # Another thread's scheduler owns the registration: close there, where its waiters are.
        fd.sched.inject(_Closer(fd))

    def detach(self) -> int:
        """Give up the descriptor without closing it; return it.

        The descriptor stays non-blocking: the object that adopts it (ssl's wrap_socket builds
        one on the same descriptor before detaching) decides its mode.
        """
        fd = self._gfd
        if fd is not None and not fd.closing:
            fd.sock.close = _keep_open  # type: ignore[method-assign]
            self._close_fd(fd)
        self._closed = True
        return _ss.detach(self)


class _Selectors:
    """The part of the selectors module the stdlib's sendfile loop uses, for one socket."""

    __slots__ = ("sock",)
    EVENT_WRITE = 2  # selectors.EVENT_WRITE

    def __init__(self, sock: socket) -> None:
        self.sock = sock

    def PollSelector(self) -> _WriteSelector:  # noqa: N802 - the name the stdlib code calls
        return _WriteSelector(self.sock)


class _WriteSelector:
    """A selector over one socket's writability (selectors.PollSelector's calls only)."""

    __slots__ = ("sock",)

    def __init__(self, sock: socket) -> None:
        self.sock = sock

    def register(self, fileobj: Any, events: int, data: Any = None) -> None:
        """The stdlib loop registers the socket itself for EVENT_WRITE: nothing to record."""

    def select(self, timeout: float | None = None) -> list[Any]:
        """Return a non-empty list once the socket may be written, [] after timeout."""
        return [True] if self.sock._wait_writable(timeout) else []


def yield_after_send() -> None:
    """Let the other runnable goroutines run after a send, when the caller is a goroutine.

    A blocking-socket client (redis-py, a database driver) sends a request and reads the
    reply at once: that read would find nothing and park, one netpoller round trip per
    request. Yielding here first lets every runnable goroutine send its own request; the
    replies come back together and the reads that follow find them without parking. With
    nothing else runnable this costs one check. Go has no such yield: its goroutines run on
    every core at once, where one thread here takes turns.
    """
    s = goroutine_sched()
    if s is not None and s.runq:
        s.gosched()


def _writable_now(fileno: int) -> bool:
    p = _select_poll()
    p.register(fileno, _select.POLLOUT)
    return bool(p.poll(0))


# Bound at import, before gonet.patch can replace socket.socket with this module's class.
_SENDFILE_GLOBALS: dict[str, Any] = dict(vars(_std))
_STD_SENDFILE: Any = _std.socket._sendfile_use_sendfile  # type: ignore[attr-defined]


class _Closer:
    """Close an FD on its owning scheduler's thread (delivered by Scheduler.inject)."""

    __slots__ = ("fd",)

    def __init__(self, fd: FD) -> None:
        self.fd = fd

    def deliver(self, sched: Any) -> None:
        fd = self.fd
        if fd.begin_close():
            if fd.pd is not None:
                fd.pd.evict()
            fd.wait_destroyed()  # on the hub it returns at once: the last decref destroys


def _is_ip(host: str) -> bool:
    for fam in _IP_FAMILIES:
        try:
            _socket.inet_pton(fam, host.partition("%")[0])
            return True
        except OSError:
            pass
    return not host


def socketpair(family: Any = None, type: Any = _std.SOCK_STREAM, proto: int = 0) -> tuple[socket, socket]:
    """Return a connected pair of gonet sockets (AF_UNIX by default). Python: socket.socketpair."""
    if family is None:
        family = _std.AF_UNIX
    a, b = _socket.socketpair(family, type, proto)
    sa = socket(family, type, proto, a.detach())
    sb = socket(family, type, proto, b.detach())
    return sa, sb


def fromfd(fd: int, family: Any, type: Any, proto: int = 0) -> socket:
    """Return a gonet socket on a duplicate of fd. Python: socket.fromfd."""
    return socket(family, type, proto, os.dup(fd))
