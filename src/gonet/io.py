# gonet.io: Go's io package over gonet's reader convention — copy, copy_n, read_full,
# read_at_least, read_all, limit_reader, multi_writer, and the EOF errors.
#
# The convention (the one every gonet conn already follows):
# - A Reader has read(buf) -> int: it reads at least one byte into buf and returns the count,
#   parking until data arrives; it returns 0 only at EOF (or for an empty buf). Go returns
#   (n, io.EOF); gonet returns 0 and raises nothing.
# - A Writer has write(data) -> int: it writes all of data or raises, and returns len(data).
# - Go's helpers that return an error where Python raises: read_full/read_at_least/copy_n raise
#   EOF when nothing was read and ErrUnexpectedEOF on a short read; both are EOFErrors and carry
#   ``.n``, the bytes read (or copied) before the end, so nothing is lost.
# - ReaderFrom/WriterTo: an object with read_from(r)/write_to(w) taking a Reader/Writer (bufio's
#   Reader and Writer). Datagram conns have methods of the same names with Go's PacketConn
#   meaning; copy never takes those for ReaderFrom/WriterTo.
#
# copy's fast paths, tried in Go's order: src.write_to(dst); dst.read_from(src); a stream conn
# destination fed from a regular file uses sendfile(2) (Conn.sendfile); a stream conn fed from
# another stream conn uses splice(2) through a pipe, each side parking on the netpoller through
# raw_read/raw_write (Go: net/splice_linux.go). Otherwise one 32 KiB buffer is reused.
from __future__ import annotations

import os
import stat
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:  # a type only: io imports net lazily, at the call that needs it
    from gonet.net._net import SocketConn

__all__ = [
    "Reader",
    "Writer",
    "ReaderFrom",
    "WriterTo",
    "EOF",
    "ErrUnexpectedEOF",
    "ErrShortBuffer",
    "ErrShortWrite",
    "copy",
    "copy_n",
    "copy_buffer",
    "read_full",
    "read_at_least",
    "read_all",
    "limit_reader",
    "LimitedReader",
    "multi_writer",
    "MultiWriter",
    "discard",
]

_BUF = 32 * 1024  # Go: io.Copy's buffer
_SPLICE_MAX = 1 << 20  # Go: maxSpliceSize
_SPLICE_FLAGS = getattr(os, "SPLICE_F_NONBLOCK", 2) | getattr(os, "SPLICE_F_MOVE", 1)


@runtime_checkable
class Reader(Protocol):
    """Something to read bytes from: read(buf) -> count, 0 only at EOF. Go: io.Reader."""

    def read(self, buf: bytearray | memoryview) -> int: ...


@runtime_checkable
class Writer(Protocol):
    """Something to write bytes to: write(data) writes all of data or raises. Go: io.Writer."""

    def write(self, data: bytes | bytearray | memoryview) -> int: ...


@runtime_checkable
class ReaderFrom(Protocol):
    """A Writer that copies from a Reader itself: read_from(r) -> bytes copied. Go: io.ReaderFrom."""

    def read_from(self, r: Reader) -> int: ...


@runtime_checkable
class WriterTo(Protocol):
    """A Reader that copies to a Writer itself: write_to(w) -> bytes copied. Go: io.WriterTo."""

    def write_to(self, w: Writer) -> int: ...


class EOF(EOFError):
    """No more input is available. Go: io.EOF ("EOF").

    Raised by the helpers where Go returns io.EOF; ``.n`` is 0 for read_full/read_at_least and
    the bytes copied for copy_n; bufio's delimited reads attach the partial data as ``.data``.
    """

    def __init__(self, msg: str = "EOF", *, n: int = 0, data: Any = b"") -> None:
        super().__init__(msg)
        self.n = n
        self.data = data


class ErrUnexpectedEOF(EOFError):
    """EOF in the middle of a fixed-size read. Go: io.ErrUnexpectedEOF ("unexpected EOF").

    ``.n`` is how many bytes were read into the buffer before the end.
    """

    def __init__(self, msg: str = "unexpected EOF", *, n: int = 0) -> None:
        super().__init__(msg)
        self.n = n


class ErrShortBuffer(ValueError):
    """The buffer cannot hold what was asked for. Go: io.ErrShortBuffer ("short buffer")."""

    def __init__(self, msg: str = "short buffer") -> None:
        super().__init__(msg)


class ErrShortWrite(OSError):
    """A write accepted fewer bytes than asked, without an error. Go: io.ErrShortWrite."""

    def __init__(self, msg: str = "short write") -> None:
        super().__init__(msg)

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "short write"


def read_at_least(r: Reader, buf: bytearray | memoryview, min: int) -> int:
    """Read into buf until at least min bytes are in it; return the count (it may exceed min).

    Raises:
        ErrShortBuffer: len(buf) < min.
        EOF: the reader ended before any byte was read (min > 0).
        ErrUnexpectedEOF: it ended after some bytes but fewer than min (``.n`` = that count).

    Go: io.ReadAtLeast.
    """
    mv = memoryview(buf).cast("B") if not isinstance(buf, memoryview) else buf
    if len(mv) < min:
        raise ErrShortBuffer()
    n = 0
    while n < min:
        got = r.read(mv[n:])
        if got == 0:
            if n:
                raise ErrUnexpectedEOF(n=n)
            raise EOF()
        n += got
    return n


def read_full(r: Reader, buf: bytearray | memoryview) -> int:
    """Fill buf exactly; return len(buf).

    Raises:
        EOF: the reader ended before any byte was read (buf not empty).
        ErrUnexpectedEOF: it ended part way (``.n`` = bytes read into buf).

    Go: io.ReadFull.
    """
    return read_at_least(r, buf, len(buf))


def read_all(r: Reader) -> bytes:
    """Read until EOF and return everything read (EOF is not an error here). Go: io.ReadAll."""
    out = bytearray()
    buf = bytearray(_BUF)
    mv = memoryview(buf)
    while True:
        n = r.read(mv)
        if n == 0:
            return bytes(out)
        out += mv[:n]


class LimitedReader:
    """A Reader of at most n bytes of r; n counts down as bytes are read. Go: io.LimitedReader."""

    __slots__ = ("r", "n")

    def __init__(self, r: Reader, n: int) -> None:
        self.r = r
        self.n = n

    def read(self, buf: bytearray | memoryview) -> int:
        """Read up to min(len(buf), n) bytes; 0 (EOF) once n is exhausted."""
        if self.n <= 0:
            return 0
        if len(buf) > self.n:
            buf = memoryview(buf)[: self.n]
        got = self.r.read(buf)
        self.n -= got
        return got

    def __repr__(self) -> str:
        return f"<LimitedReader n={self.n} of {self.r!r}>"


def limit_reader(r: Reader, n: int) -> LimitedReader:
    """Return a Reader that reads from r but stops with EOF after n bytes. Go: io.LimitReader."""
    return LimitedReader(r, n)


class MultiWriter:
    """A Writer that duplicates each write to all its writers, in order. Go: io.MultiWriter."""

    __slots__ = ("writers",)

    def __init__(self, *writers: Writer) -> None:
        flat: list[Any] = []
        for w in writers:
            flat.extend(w.writers if isinstance(w, MultiWriter) else (w,))
        self.writers: tuple[Writer, ...] = tuple(flat)

    def write(self, data: bytes | bytearray | memoryview) -> int:
        """Write data to every writer; stop at the first that fails.

        Raises:
            ErrShortWrite: a writer returned less than len(data).
        """
        size = len(memoryview(data).cast("B")) if not isinstance(data, bytes) else len(data)
        for w in self.writers:
            n = w.write(data)
            if n is not None and n != size:
                raise ErrShortWrite()
        return size


def multi_writer(*writers: Writer) -> MultiWriter:
    """Return a Writer that writes everything to each of writers. Go: io.MultiWriter."""
    return MultiWriter(*writers)


class _Discard:
    """A Writer that accepts and drops everything. Go: io.Discard."""

    __slots__ = ()

    def write(self, data: bytes | bytearray | memoryview) -> int:
        return len(data) if isinstance(data, bytes) else memoryview(data).nbytes

    def read_from(self, r: Reader) -> int:
        buf = memoryview(bytearray(8192))
        total = 0
        while True:
            n = r.read(buf)
            if n == 0:
                return total
            total += n

    def __repr__(self) -> str:
        return "io.Discard"


discard = _Discard()


def copy(dst: Writer, src: Reader) -> int:
    """Copy from src to dst until EOF; return the number of bytes copied (EOF is not an error).

    Uses src.write_to or dst.read_from when present, sendfile(2) from a regular file into a
    stream conn, splice(2) between two stream conns, else a 32 KiB buffer.

    Go: io.Copy.
    """
    return _copy(dst, src, None)


def copy_buffer(dst: Writer, src: Reader, buf: bytearray | memoryview | None) -> int:
    """Copy like copy(), staging through buf (if a buffer is needed at all). Go: io.CopyBuffer.

    Raises:
        ValueError: "empty buffer in CopyBuffer".
    """
    if buf is not None and len(buf) == 0:
        raise ValueError("empty buffer in CopyBuffer")
    return _copy(dst, src, buf)


def copy_n(dst: Writer, src: Reader, n: int) -> int:
    """Copy exactly n bytes from src to dst; return n.

    Raises:
        EOF: src ended first (``.n`` = the bytes copied).

    Go: io.CopyN.
    """
    written = copy(dst, LimitedReader(src, n))
    if written < n:
        raise EOF(n=written)
    return written


def _is_datagram_conn(x: Any) -> bool:
    from gonet.net._net import SocketPacketConn

    return isinstance(x, SocketPacketConn)


def delegate_copy(dst: Any, src: Any) -> int | None:
    """Copy src to dst without a user-space buffer if dst knows how; None if it does not.

    dst.read_from(src) (Go's ReaderFrom), else sendfile(2)/splice(2) into a stream conn.

    Go: the ReaderFrom step of io.copyBuffer.
    """
    rf = getattr(dst, "read_from", None)
    if rf is not None and not _is_datagram_conn(dst):
        n: int = rf(src)
        return n
    return _conn_copy(dst, src)


def _copy(dst: Writer, src: Reader, buf: bytearray | memoryview | None) -> int:
    wt = getattr(src, "write_to", None)
    if wt is not None and not _is_datagram_conn(src):
        n: int = wt(dst)
        return n
    fast = delegate_copy(dst, src)
    if fast is not None:
        return fast
    limit = src.n if isinstance(src, LimitedReader) else None
    if buf is None:
        size = _BUF if limit is None else max(1, min(_BUF, limit))
        buf = bytearray(size)
    mv = memoryview(buf).cast("B") if not isinstance(buf, memoryview) else buf
    written = 0
    read = src.read
    write = dst.write
    while True:
        n = read(mv)
        if n == 0:
            return written
        nw = write(mv[:n])
        if nw is not None and nw != n:  # a writer that stopped short without raising
            raise ErrShortWrite()
        written += n


def _stream_conn(x: Any) -> SocketConn | None:
    """x as a gonet stream socket conn (TCP, Unix stream), else None."""
    from gonet.net._net import SocketConn

    # The socket type decides, not the class: a UnixConn is also a PacketConn (as in Go) but
    # may be a stream, and then the kernel copies apply to it as to TCP.
    if isinstance(x, SocketConn) and x._fd.stream:
        return x
    return None


def _conn_copy(dst: Any, src: Any) -> int | None:
    """The kernel-side copies into a stream conn; None when neither applies. Go: TCPConn.ReadFrom."""
    d = _stream_conn(dst)
    if d is None:
        return None
    limit: int | None = None
    inner = src
    if isinstance(src, LimitedReader):
        limit, inner = src.n, src.r
        if limit <= 0:
            return 0
    if _regular_file(inner):
        sent = d.sendfile(inner, inner.tell(), limit)
        if limit is not None:
            src.n -= sent
        return sent
    s = _stream_conn(inner)
    if s is not None:
        moved = _splice(d, s, limit)
        if limit is not None:
            src.n -= moved
        return moved
    return None


def _regular_file(x: Any) -> bool:
    fileno = getattr(x, "fileno", None)
    mode = getattr(x, "mode", "b")
    if fileno is None or not hasattr(x, "tell") or not isinstance(mode, str) or "b" not in mode:
        return False  # a text file's position is not a byte offset
    try:
        return stat.S_ISREG(os.fstat(fileno()).st_mode)
    except (OSError, ValueError):
        return False


def _splice(dst: Any, src: Any, limit: int | None) -> int:
    """Move bytes socket -> pipe -> socket with splice(2), parking on both conns' pollers.

    Raises:
        OpError: op "readfrom" on dst, as Go's TCPConn.ReadFrom reports any failure of the copy
            (reading src included); ``.written`` = bytes delivered to dst.

    Go: net/splice_linux.go (spliceDrain, splicePump).
    """
    from gonet.errors import OpError, op_error

    pr, pw = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
    total = 0
    inpipe = 0
    eof = False

    def drain(fd: int) -> bool:
        nonlocal inpipe, eof
        want = _SPLICE_MAX if limit is None else min(_SPLICE_MAX, limit - total)
        try:
            n = os.splice(fd, pw, want, flags=_SPLICE_FLAGS)
        except BlockingIOError:
            return False
        eof = n == 0
        inpipe = n
        return True

    def pump(fd: int) -> bool:
        nonlocal inpipe, total
        while inpipe:
            try:
                n = os.splice(pr, fd, inpipe, flags=_SPLICE_FLAGS)
            except BlockingIOError:
                return False
            inpipe -= n
            total += n
        return True

    try:
        while limit is None or total < limit:
            src.raw_read(drain)
            if eof:
                break
            dst.raw_write(pump)
        return total
    except OSError as e:
        cause = e.err if isinstance(e, OpError) and isinstance(e.err, BaseException) else e
        raise op_error(
            "readfrom", dst._net, dst.local_addr(), dst.remote_addr(), cause, syscall="splice", written=total
        ) from e
    finally:
        os.close(pr)
        os.close(pw)
