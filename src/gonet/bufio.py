# gonet.bufio: buffered reading and writing over any gonet Reader/Writer — the usual way to
# parse a line protocol on a conn (Go: bufio/bufio.go's Reader and Writer).
#
# Reader keeps one fixed bytearray for its whole life: [r, w) holds the unread bytes; fill()
# slides them to the front and reads once into the free tail. Lines are found with
# bytearray.find (C speed), and a line costs one allocation (its bytes) — read_slice costs none,
# returning a memoryview into the buffer that is valid only until the next read, as Go's slice.
#
# Go returns (data, err); gonet follows gonet.io's convention:
# - The underlying read(buf) returns 0 only at EOF; an exception from it (a deadline, a reset)
#   propagates and leaves every buffered byte in place, so a retry loses nothing (Go instead
#   hands back the partial data with the error).
# - Calls that end early raise: gonet.io.EOF (with ``.data``: what was read before the end, in
#   the type the call returns) and ErrBufferFull (with ``.data``: the full buffer, consumed),
#   except read_line, which like Go returns a last unterminated line and raises EOF only when
#   nothing is left, and read(buf), which returns 0 at EOF like any reader.
#
# Writer buffers writes in one bytearray and writes it through with the underlying write, which
# writes everything or raises. An error is sticky, as in Go: every later write and flush
# raises it again until reset(). Bytes the underlying writer reported as written (``.written``
# on gonet's OpError) are dropped from the buffer, the rest are kept.
from __future__ import annotations

from typing import Any

from gonet import io as _io
from gonet.io import EOF

__all__ = [
    "Reader",
    "Writer",
    "ReadWriter",
    "new_reader",
    "new_reader_size",
    "new_writer",
    "new_writer_size",
    "new_read_writer",
    "ErrBufferFull",
    "ErrNegativeCount",
    "ErrInvalidUnreadByte",
    "ErrInvalidUnreadRune",
    "ErrNegativeRead",
    "DEFAULT_BUF_SIZE",
    "MIN_READ_BUFFER_SIZE",
]

DEFAULT_BUF_SIZE = 4096
MIN_READ_BUFFER_SIZE = 16

_FOUND, _FULL, _END = 0, 1, 2
_NL = 10
_CR = 13


class ErrBufferFull(BufferError):
    """A delimiter was not found within the buffer. Go: bufio.ErrBufferFull.

    ``.data`` holds the whole buffer's content, which the call consumed.
    """

    def __init__(self, msg: str = "bufio: buffer full", *, data: Any = b"") -> None:
        super().__init__(msg)
        self.data = data


class ErrNegativeCount(ValueError):
    """A negative count was passed. Go: bufio.ErrNegativeCount."""

    def __init__(self, msg: str = "bufio: negative count") -> None:
        super().__init__(msg)


class ErrInvalidUnreadByte(ValueError):
    """unread_byte without a byte to put back. Go: bufio.ErrInvalidUnreadByte."""

    def __init__(self, msg: str = "bufio: invalid use of UnreadByte") -> None:
        super().__init__(msg)


class ErrInvalidUnreadRune(ValueError):
    """unread_rune not right after read_rune. Go: bufio.ErrInvalidUnreadRune."""

    def __init__(self, msg: str = "bufio: invalid use of UnreadRune") -> None:
        super().__init__(msg)


class ErrNegativeRead(ValueError):
    """The underlying reader returned an impossible count. Go: bufio's errNegativeRead."""

    def __init__(self, msg: str = "bufio: reader returned negative count from Read") -> None:
        super().__init__(msg)


# Every accepted spelling of a one-byte delimiter -> its value: one dict lookup per call.
_DELIMS: dict[Any, int] = {
    **{i: i for i in range(256)},
    **{bytes([i]): i for i in range(256)},
    **{chr(i): i for i in range(128)},
}


def _delim(delim: Any) -> int:
    d = _DELIMS.get(delim) if not isinstance(delim, (bool, bytearray, memoryview)) else None
    if d is None:
        raise TypeError(f"delimiter must be one byte (int 0-255, 1-byte bytes or ASCII char), not {delim!r}")
    return d


def _rune_len(lead: int) -> int:
    """The length a UTF-8 lead byte announces (0: not a valid lead byte)."""
    if 0xC2 <= lead <= 0xDF:
        return 2
    if 0xE0 <= lead <= 0xEF:
        return 3
    if 0xF0 <= lead <= 0xF4:
        return 4
    return 0


def _full_rune(b: memoryview) -> bool:
    """Report whether b starts with a whole character (or an invalid byte). Go: utf8.FullRune."""
    if not len(b):
        return False
    n = _rune_len(b[0])
    return n == 0 or len(b) >= n or any(not 0x80 <= x <= 0xBF for x in b[1:])


def _decode_rune(b: memoryview) -> tuple[str, int]:
    """Decode the first character of b: (char, size), ("\ufffd", 1) when invalid."""
    n = _rune_len(b[0])
    if n and len(b) >= n:
        try:
            return bytes(b[:n]).decode("utf-8"), n
        except UnicodeDecodeError:
            pass
    return "\ufffd", 1


def _decode(b: bytes) -> str:
    return b.decode("utf-8", "surrogateescape")


class Reader:
    """Buffered reading of a Reader (anything with read(buf) -> int, 0 at EOF). Go: bufio.Reader."""

    __slots__ = ("_rd", "_buf", "_mv", "_r", "_w", "_last_byte", "_last_rune_size")

    def __init__(self, rd: Any, size: int = DEFAULT_BUF_SIZE) -> None:
        size = max(size, MIN_READ_BUFFER_SIZE)
        self._buf = bytearray(size)
        self._mv = memoryview(self._buf)
        self._rd = rd
        self._r = 0
        self._w = 0
        self._last_byte = -1
        self._last_rune_size = -1

    # -- state ---------------------------------------------------------------------------------

    def size(self) -> int:
        """Return the size of the buffer in bytes. Go: Reader.Size."""
        return len(self._buf)

    def buffered(self) -> int:
        """Return how many bytes can be read from the buffer without reading. Go: Reader.Buffered."""
        return self._w - self._r

    def reset(self, rd: Any) -> None:
        """Drop the buffered data and read from rd from now on; reset(self) does nothing.

        Go: Reader.Reset.
        """
        if rd is self:
            return
        self._rd = rd
        self._r = self._w = 0
        self._last_byte = -1
        self._last_rune_size = -1

    def __repr__(self) -> str:
        return f"<bufio.Reader size={len(self._buf)} buffered={self._w - self._r} of {self._rd!r}>"

    # -- filling ---------------------------------------------------------------------------------

    def _fill(self) -> bool:
        """Slide the unread bytes to the front and read once into the rest; False at EOF."""
        r = self._r
        w = self._w
        if r > 0:
            if w > r:
                self._buf[: w - r] = self._mv[r:w]
            w -= r
            self._w = w
            self._r = 0
        room = len(self._buf) - w
        n = self._rd.read(self._mv[w:])
        if n <= 0 or n > room:
            if n == 0:
                return False
            raise ErrNegativeRead()
        self._w = w + n
        return True

    # -- reading -------------------------------------------------------------------------------

    def read(self, buf: bytearray | memoryview) -> int:
        """Read into buf: buffered bytes first, else at most one underlying read; 0 at EOF.

        A buf at least as large as the buffer is read into directly when nothing is buffered.

        Go: Reader.Read.
        """
        n = len(buf)
        if n == 0:
            return 0
        r = self._r
        if r == self._w:
            if n >= len(self._buf):
                got: int = self._rd.read(buf)
                if got < 0 or got > n:
                    raise ErrNegativeRead()
                if got:
                    self._last_byte = memoryview(buf).cast("B")[got - 1]
                    self._last_rune_size = -1
                return got
            self._r = self._w = 0
            if not self._fill():
                return 0
            r = 0
        avail = self._w - r
        if n > avail:
            n = avail
        buf[:n] = self._mv[r : r + n]
        self._r = r + n
        self._last_byte = self._buf[r + n - 1]
        self._last_rune_size = -1
        return n

    def read_byte(self) -> int:
        """Read and return one byte.

        Raises:
            EOF: no byte is left.

        Go: Reader.ReadByte.
        """
        while self._r == self._w:
            if not self._fill():
                raise EOF()
        c = self._buf[self._r]
        self._r += 1
        self._last_byte = c
        self._last_rune_size = -1
        return c

    def unread_byte(self) -> None:
        """Put back the last byte read by the last read operation.

        Raises:
            ErrInvalidUnreadByte: the last operation read nothing (or was peek, discard,
                unread_byte itself, ...).

        Go: Reader.UnreadByte.
        """
        if self._last_byte < 0 or (self._r == 0 and self._w > 0):
            raise ErrInvalidUnreadByte()
        if self._r > 0:
            self._r -= 1
        else:
            self._w = 1  # the buffer is empty: the byte becomes its only content
        self._buf[self._r] = self._last_byte
        self._last_byte = -1
        self._last_rune_size = -1

    def read_rune(self) -> tuple[str, int]:
        """Read one UTF-8 encoded character; return it and its size in bytes.

        An invalid encoding reads as ("\ufffd", 1), as Go's utf8.DecodeRune.

        Raises:
            EOF: no byte is left.

        Go: Reader.ReadRune.
        """
        while (
            self._w - self._r < 4
            and not _full_rune(self._mv[self._r : self._w])
            and self._w - self._r < len(self._buf)
        ):
            if not self._fill():
                break
        self._last_rune_size = -1
        if self._r == self._w:
            raise EOF()
        r = self._r
        c = self._buf[r]
        if c < 0x80:
            ch, size = chr(c), 1
        else:
            ch, size = _decode_rune(self._mv[r : self._w])
        self._r = r + size
        self._last_byte = self._buf[r + size - 1]
        self._last_rune_size = size
        return ch, size

    def unread_rune(self) -> None:
        """Put back the character the last read_rune returned.

        Raises:
            ErrInvalidUnreadRune: the last operation was not read_rune.

        Go: Reader.UnreadRune.
        """
        if self._last_rune_size < 0 or self._r < self._last_rune_size:
            raise ErrInvalidUnreadRune()
        self._r -= self._last_rune_size
        self._last_byte = -1
        self._last_rune_size = -1

    def peek(self, n: int) -> bytes:
        """Return the next n bytes without consuming them.

        Raises:
            ErrNegativeCount: n < 0.
            ErrBufferFull: n is larger than the buffer (``.data``: what is buffered; nothing is
                consumed).
            EOF: the input ends before n bytes (``.data``: what is left; nothing is consumed).

        Go: Reader.Peek.
        """
        if n < 0:
            raise ErrNegativeCount()
        self._last_byte = -1
        self._last_rune_size = -1
        size = len(self._buf)
        ended = False
        while self._w - self._r < n and self._w - self._r < size:
            if not self._fill():
                ended = True
                break
        if n > size:
            raise ErrBufferFull(data=self._mv[self._r : self._w].tobytes())
        if ended:
            raise EOF(data=self._mv[self._r : self._w].tobytes())
        return self._mv[self._r : self._r + n].tobytes()

    def discard(self, n: int) -> int:
        """Skip the next n bytes; return n.

        Raises:
            ErrNegativeCount: n < 0.
            EOF: the input ended first (``.n``: the bytes skipped).

        Go: Reader.Discard.
        """
        if n < 0:
            raise ErrNegativeCount()
        if n == 0:
            return 0
        self._last_byte = -1
        self._last_rune_size = -1
        remain = n
        while True:
            skip = self._w - self._r
            if skip == 0:
                self._r = self._w = 0
                if not self._fill():
                    raise EOF(n=n - remain)
                skip = self._w
            if skip > remain:
                skip = remain
            self._r += skip
            remain -= skip
            if remain == 0:
                return n

    def _slice(self, delim: int) -> tuple[int, int, int]:
        """Consume through the next delim; return (start, end, _FOUND | _FULL | _END) in _buf."""
        buf = self._buf
        s = self._r
        while True:
            i = buf.find(delim, s, self._w)
            if i >= 0:
                r = self._r
                self._r = i + 1
                self._last_byte = delim
                self._last_rune_size = -1
                return r, i + 1, _FOUND
            r = self._r
            w = self._w
            if w - r >= len(buf):
                self._r = w
                self._last_byte = buf[w - 1]
                self._last_rune_size = -1
                return r, w, _FULL
            seen = w - r
            if not self._fill():
                r = self._r
                w = self._w
                self._r = w
                if w > r:
                    self._last_byte = buf[w - 1]
                    self._last_rune_size = -1
                return r, w, _END
            s = self._r + seen

    def read_slice(self, delim: Any) -> memoryview:
        """Read through the first delim; return a view of the buffer, valid until the next read.

        The fastest way to read a delimited record: no copy is made.

        Raises:
            ErrBufferFull: the buffer filled without a delim (``.data``: its content, consumed).
            EOF: the input ended without a delim (``.data``: the rest, consumed; maybe b"").

        Go: Reader.ReadSlice.
        """
        d = _delim(delim)
        r = self._r
        i = self._buf.find(d, r, self._w)
        if i >= 0:  # the common case, inline: the record is buffered already
            self._r = i + 1
            self._last_byte = d
            self._last_rune_size = -1
            return self._mv[r : i + 1]
        r, w, st = self._slice(d)
        if st == _FOUND:
            return self._mv[r:w]
        if st == _FULL:
            raise ErrBufferFull(data=self._mv[r:w].tobytes())
        raise EOF(data=self._mv[r:w].tobytes())

    def read_line(self) -> tuple[bytes, bool]:
        """Read one line without its "\\n" or "\\r\\n"; return (line, is_prefix).

        is_prefix is True when the line did not fit the buffer: the rest follows in later calls.
        A last line without a newline is returned as is; EOF is raised only when nothing is left.

        Raises:
            EOF: no byte is left.

        Go: Reader.ReadLine.
        """
        buf = self._buf
        r = self._r
        i = buf.find(_NL, r, self._w)
        if i >= 0:  # the common case, inline: the line is buffered already
            self._r = i + 1
            self._last_byte = _NL
            self._last_rune_size = -1
            if i > r and buf[i - 1] == _CR:
                i -= 1
            return self._mv[r:i].tobytes(), False
        r, w, st = self._slice(_NL)
        if st == _FOUND:
            end = w - 1
            if end > r and buf[end - 1] == _CR:
                end -= 1
            return self._mv[r:end].tobytes(), False
        if st == _FULL:
            if buf[w - 1] == _CR:
                # "\r\n" may straddle the buffer's end: keep the '\r' for the next call.
                self._r -= 1
                w -= 1
            return self._mv[r:w].tobytes(), True
        if w == r:
            raise EOF()
        return self._mv[r:w].tobytes(), False

    def _collect(self, delim: int) -> tuple[bytes, bool]:
        """Read through delim across buffer refills; return (data, found)."""
        r = self._r
        i = self._buf.find(delim, r, self._w)
        if i >= 0:  # the common case, inline: the record is buffered already
            self._r = i + 1
            self._last_byte = delim
            self._last_rune_size = -1
            return self._mv[r : i + 1].tobytes(), True
        r, w, st = self._slice(delim)
        if st == _FOUND:
            return self._mv[r:w].tobytes(), True
        parts = [self._mv[r:w].tobytes()]
        while st == _FULL:
            r, w, st = self._slice(delim)
            parts.append(self._mv[r:w].tobytes())
        return b"".join(parts), st == _FOUND

    def read_bytes(self, delim: Any) -> bytes:
        """Read through the first delim and return the bytes, delim included.

        Raises:
            EOF: the input ended without a delim (``.data``: the bytes read, maybe b"").

        Go: Reader.ReadBytes.
        """
        data, found = self._collect(_delim(delim))
        if not found:
            raise EOF(data=data)
        return data

    def read_string(self, delim: Any) -> str:
        """Read through the first delim and return it as str, delim included.

        Bytes are decoded as UTF-8 with "surrogateescape", so any byte string round-trips
        (``s.encode("utf-8", "surrogateescape")``), like Go's byte strings.

        Raises:
            EOF: the input ended without a delim (``.data``: the str read, maybe "").

        Go: Reader.ReadString.
        """
        data, found = self._collect(_delim(delim))
        if not found:
            raise EOF(data=_decode(data))
        return _decode(data)

    def write_to(self, w: Any) -> int:
        """Write the buffered bytes and then the rest of the input to w; return the count.

        Go: Reader.WriteTo.
        """
        self._last_byte = -1
        self._last_rune_size = -1
        n = 0
        r = self._r
        if self._w > r:
            w.write(self._mv[r : self._w])
            n = self._w - r
        self._r = self._w = 0
        return n + _io.copy_buffer(w, self._rd, self._buf)

    def __iter__(self) -> Reader:
        return self

    def __next__(self) -> bytes:
        """Return the next line with its "\\n" (the last one may lack it); stop at EOF."""
        data, _ = self._collect(_NL)
        if not data:
            raise StopIteration
        return data


class Writer:
    """Buffered writing to a Writer (anything with write(data) writing all or raising).

    Call flush() at the end: buffered bytes are not written otherwise.

    Go: bufio.Writer.
    """

    __slots__ = ("_wr", "_buf", "_mv", "_n", "_err")

    def __init__(self, wr: Any, size: int = DEFAULT_BUF_SIZE) -> None:
        if size <= 0:
            size = DEFAULT_BUF_SIZE
        self._buf = bytearray(size)
        self._mv = memoryview(self._buf)
        self._wr = wr
        self._n = 0
        self._err: BaseException | None = None

    def size(self) -> int:
        """Return the size of the buffer in bytes. Go: Writer.Size."""
        return len(self._buf)

    def available(self) -> int:
        """Return how many bytes are unused in the buffer. Go: Writer.Available."""
        return len(self._buf) - self._n

    def buffered(self) -> int:
        """Return how many bytes are in the buffer, not yet written. Go: Writer.Buffered."""
        return self._n

    def reset(self, wr: Any) -> None:
        """Drop buffered data and any error, and write to wr from now on. Go: Writer.Reset."""
        if wr is self:
            return
        self._wr = wr
        self._n = 0
        self._err = None

    def __repr__(self) -> str:
        return f"<bufio.Writer size={len(self._buf)} buffered={self._n} of {self._wr!r}>"

    def flush(self) -> None:
        """Write the buffered bytes to the underlying writer.

        Raises:
            the underlying writer's error, also on every later call until reset().

        Go: Writer.Flush.
        """
        if self._err is not None:
            raise self._err
        n = self._n
        if n == 0:
            return
        try:
            self._wr.write(self._mv[:n])
        except BaseException as e:
            done = getattr(e, "written", 0)
            if isinstance(done, int) and 0 < done < n:
                self._buf[: n - done] = self._mv[done:n]
                self._n = n - done
            if isinstance(e, Exception):
                self._err = e
            raise
        self._n = 0

    def write(self, data: bytes | bytearray | memoryview) -> int:
        """Buffer data, writing through whenever the buffer fills; return len(data).

        Data at least as large as the buffer goes straight to the underlying writer when the
        buffer is empty (no copy).

        Go: Writer.Write.
        """
        if self._err is not None:
            raise self._err
        if type(data) is not bytes and type(data) is not bytearray:
            data = memoryview(data).cast("B")
        size = len(self._buf)
        n = self._n
        ln = len(data)
        if ln <= size - n:
            self._buf[n : n + ln] = data
            self._n = n + ln
            return ln
        mv = data if isinstance(data, memoryview) else memoryview(data)
        total = ln
        while len(mv) > size - self._n:
            if self._n == 0:
                try:
                    self._wr.write(mv)
                except Exception as e:
                    self._err = e
                    raise
                return total
            k = size - self._n
            self._buf[self._n : size] = mv[:k]
            self._n = size
            mv = mv[k:]
            self.flush()
        k = len(mv)
        self._buf[self._n : self._n + k] = mv
        self._n += k
        return total

    def write_byte(self, c: int) -> None:
        """Buffer one byte. Go: Writer.WriteByte."""
        if self._err is not None:
            raise self._err
        if self._n >= len(self._buf):
            self.flush()
        self._buf[self._n] = c
        self._n += 1

    def write_rune(self, r: str) -> int:
        """Write one character UTF-8 encoded; return the number of bytes written.

        Raises:
            ValueError: r is not exactly one character.

        Go: Writer.WriteRune.
        """
        if len(r) != 1:
            raise ValueError(f"bufio: write_rune wants one character, got {len(r)}")
        try:
            data = r.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate: Go writes utf8.RuneError
            data = "\ufffd".encode()
        return self.write(data)

    def write_string(self, s: str) -> int:
        """Buffer s encoded as UTF-8 ("surrogateescape", the inverse of read_string); return the
        byte count. Go: Writer.WriteString.
        """
        return self.write(s.encode("utf-8", "surrogateescape"))

    def read_from(self, r: Any) -> int:
        """Copy all of r (until EOF) through the buffer; return the bytes read from r.

        When the buffer is empty and the underlying writer can copy by itself (a read_from, or
        sendfile/splice into a stream conn), the copy is handed to it.

        Go: Writer.ReadFrom.
        """
        if self._err is not None:
            raise self._err
        total = 0
        size = len(self._buf)
        read = r.read
        while True:
            if self._n == size:
                self.flush()
            if self._n == 0:
                try:
                    done = _io.delegate_copy(self._wr, r)
                except Exception as e:
                    self._err = e
                    raise
                if done is not None:
                    return total + done
            m = read(self._mv[self._n :])
            if m == 0:
                return total
            if m < 0 or m > size - self._n:
                raise ErrNegativeRead()
            self._n += m
            total += m


class ReadWriter:
    """A Reader and a Writer in one object (a conn's two directions). Go: bufio.ReadWriter."""

    __slots__ = ("reader", "writer")

    def __init__(self, reader: Reader, writer: Writer) -> None:
        self.reader = reader
        self.writer = writer

    def __getattr__(self, name: str) -> Any:
        # Reading methods from the Reader, writing ones from the Writer, as Go's embedding does.
        if name in ("write", "write_byte", "write_string", "flush", "available", "read_from"):
            return getattr(self.writer, name)
        return getattr(self.reader, name)


def new_reader_size(rd: Any, size: int) -> Reader:
    """Return a Reader with a buffer of at least size bytes (at least 16); rd itself if it is a
    Reader that large already. Go: bufio.NewReaderSize.
    """
    if isinstance(rd, Reader) and len(rd._buf) >= size:
        return rd
    return Reader(rd, size)


def new_reader(rd: Any) -> Reader:
    """Return a Reader with the default 4096-byte buffer. Go: bufio.NewReader."""
    return new_reader_size(rd, DEFAULT_BUF_SIZE)


def new_writer_size(wr: Any, size: int) -> Writer:
    """Return a Writer with a buffer of at least size bytes (4096 if size <= 0); wr itself if it
    is a Writer that large already. Go: bufio.NewWriterSize.
    """
    if isinstance(wr, Writer) and len(wr._buf) >= size:
        return wr
    return Writer(wr, size)


def new_writer(wr: Any) -> Writer:
    """Return a Writer with the default 4096-byte buffer. Go: bufio.NewWriter."""
    return new_writer_size(wr, DEFAULT_BUF_SIZE)


def new_read_writer(r: Reader, w: Writer) -> ReadWriter:
    """Return a ReadWriter of r and w. Go: bufio.NewReadWriter."""
    return ReadWriter(r, w)
