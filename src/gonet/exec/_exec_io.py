# gonet.exec._exec_io: what a Cmd wires between the parent and the child — readers and writers
# for the copying goroutines (Go: bytes.Reader, bytes.Buffer, exec.prefixSuffixSaver), the
# stdin pipe's close-once end (Go: exec.closeOnce) and the child's ends the parent holds until
# start() (Go: Cmd.childIOFiles).
#
# Invariant: a _ChildFd is closed exactly once: by start(), or by its finalizer for a Cmd that
# never started.
from __future__ import annotations

import errno as _errno
import os
from typing import Any

from gonet.os import File

__all__ = [
    "BytesReader",
    "ReadIntoReader",
    "Buffer",
    "PrefixSuffixSaver",
    "ChildFd",
    "PipeWriter",
    "as_reader",
    "skip_stdin_copy_error",
    "close_all",
]


class BytesReader:
    """A Reader over bytes. Go: bytes.Reader."""

    def __init__(self, data: bytes | bytearray | memoryview) -> None:
        self._view = memoryview(data).cast("B")
        self._off = 0

    def read(self, buf: Any) -> int:
        n = min(len(buf), len(self._view) - self._off)
        buf[:n] = self._view[self._off : self._off + n]
        self._off += n
        return n


class ReadIntoReader:
    """A Reader over a Python binary file (readinto)."""

    def __init__(self, f: Any) -> None:
        self._readinto = f.readinto

    def read(self, buf: Any) -> int:
        return self._readinto(buf) or 0


class Buffer:
    """A Writer that keeps everything. Go: bytes.Buffer."""

    def __init__(self) -> None:
        self.data = bytearray()

    def write(self, data: Any) -> int:
        self.data += data
        return len(data)


class PrefixSuffixSaver:
    """A Writer keeping the first and last n bytes. Go: exec.prefixSuffixSaver."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.prefix = bytearray()
        self.suffix = bytearray()
        self.skipped = 0

    def write(self, data: Any) -> int:
        p = bytes(data)
        size = len(p)
        room = self.n - len(self.prefix)
        if room > 0:
            self.prefix += p[:room]
            p = p[room:]
        if p:
            self.suffix += p
            over = len(self.suffix) - self.n
            if over > 0:
                del self.suffix[:over]
                self.skipped += over
        return size

    def value(self) -> bytes:
        if not self.skipped:
            return bytes(self.prefix + self.suffix)
        return bytes(self.prefix) + f"\n... omitting {self.skipped} bytes ...\n".encode() + bytes(self.suffix)


class ChildFd:
    """The child's end of a pipe (or /dev/null), held by the parent until start() closes it.

    A Cmd that is never started drops it unclosed; the finalizer then closes the descriptor,
    as Go's os.File finalizer does.
    """

    __slots__ = ("fd",)

    def __init__(self, fd: int) -> None:
        self.fd = fd

    def close(self) -> None:
        fd, self.fd = self.fd, -1
        if fd >= 0:
            os.close(fd)

    def __del__(self) -> None:
        try:
            self.close()
        except OSError:
            pass


class PipeWriter:
    """stdin_pipe's end: a File whose close() may be called again (Go: exec.closeOnce)."""

    def __init__(self, f: File) -> None:
        self.file = f
        self._closed = False
        self._close_err: BaseException | None = None

    def write(self, data: bytes | bytearray | memoryview) -> int:
        return self.file.write(data)

    def fileno(self) -> int:
        return self.file.fileno()

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            try:
                self.file.close()
            except OSError as e:
                self._close_err = e
        if self._close_err is not None:
            raise self._close_err

    def __enter__(self) -> PipeWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def as_reader(x: Any) -> Any:
    if isinstance(x, (bytes, bytearray, memoryview)):
        return BytesReader(x)
    if isinstance(x, str):
        raise TypeError("gonet.exec: stdin must be bytes or a binary reader, not str (encode it first)")
    if hasattr(x, "readinto"):
        return ReadIntoReader(x)
    if not hasattr(x, "read"):
        raise TypeError(f"gonet.exec: stdin must be a Reader, bytes or a File, not {type(x).__name__}")
    return x


def skip_stdin_copy_error(e: BaseException) -> bool:
    # The child stopped reading (it exited, or closed stdin): not an error of the copy.
    # Go: skipStdinCopyError.
    return isinstance(e, OSError) and e.errno == _errno.EPIPE


def close_all(closers: list[Any]) -> None:
    for c in closers:
        try:
            c.close()
        except OSError:
            pass  # already closed by its user
