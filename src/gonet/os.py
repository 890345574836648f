# gonet.os: files for goroutines (Go: os/file.go, file_unix.go, file_posix.go, pipe2_unix.go).
#
# A File is one of two kinds, decided when it is made, as Go's newFile does:
# - pollable (pipes, FIFOs, sockets, terminals, character devices): the fd is non-blocking and
#   registered once with this thread's netpoller through the _poll FD layer, so read/write park
#   the goroutine until the kernel reports readiness; deadlines work.
# - blocking (regular files, directories, anything epoll refuses with EPERM): a regular file
#   never reports EAGAIN, so the netpoller cannot help; read, write, seek, stat, sync and close
#   run on the runtime's thread pool while the goroutine parks. Each call costs one hand-off to
#   a worker thread and back; read_file/write_file do all of their work in one hand-off.
#
# Errors are PathError ("read |0: file already closed", "open /x: no such file or
# directory"), which is also an instance of the cause's class (FileNotFoundError, ErrClosed).
#
# Invariants:
# - Both kinds hold the fd under an FdMutex: reads are serialised, writes are serialised, a
#   read and a write may run at once; close() waits for operations in flight, and close(2)
#   happens exactly once, after the last one has left, so a worker thread never touches a
#   descriptor number that was closed (and maybe reused) under it.
# - A File belongs to the thread that made it (its scheduler), like every gonet fd.
from __future__ import annotations

import os as _os
import stat as _stat
from typing import Any

from gonet._poll import FD
from gonet._poll._fd_mutex import FdMutex
from gonet.errors import ErrClosed as _PollClosed
from gonet.runtime import _proc
from gonet.runtime._threadpool import run_in_thread

__all__ = [
    "File",
    "PathError",
    "ErrClosed",
    "ErrNoDeadline",
    "open",
    "create",
    "open_file",
    "new_file",
    "pipe",
    "read_file",
    "write_file",
    "path_error",
    "O_RDONLY",
    "O_WRONLY",
    "O_RDWR",
    "O_APPEND",
    "O_CREATE",
    "O_EXCL",
    "O_SYNC",
    "O_TRUNC",
]

O_RDONLY = _os.O_RDONLY
O_WRONLY = _os.O_WRONLY
O_RDWR = _os.O_RDWR
O_APPEND = _os.O_APPEND
O_CREATE = _os.O_CREAT
O_EXCL = _os.O_EXCL
O_SYNC = _os.O_SYNC
O_TRUNC = _os.O_TRUNC

_READ_CHUNK = 512 * 1024  # read_file's step once the size hint is used up


class ErrClosed(_PollClosed):
    """An operation on a closed File. Go: os.ErrClosed."""

    def __init__(self, msg: str = "file already closed") -> None:
        super().__init__(msg)

    def __str__(self) -> str:
        return "file already closed"


class ErrNoDeadline(OSError):
    """The file's kind (a regular file) has no deadlines. Go: os.ErrNoDeadline."""

    def __init__(self, msg: str = "file type does not support deadline") -> None:
        super().__init__(msg)

    def __str__(self) -> str:
        return "file type does not support deadline"


def _cause_text(err: BaseException) -> str:
    if isinstance(err, OSError) and type(err).__str__ is OSError.__str__ and err.errno:
        text = err.strerror or _os.strerror(err.errno)
        return text[:1].lower() + text[1:]
    return str(err)


class PathError(OSError):
    """A failed operation on a named file: "op path: cause". Go: fs.PathError.

    Attributes: ``op`` ("open", "read", ...), ``path``, ``err`` (the cause); ``errno`` is the
    cause's. Built by path_error, the result is also an instance of the cause's class.
    """

    op: str
    path: str
    err: BaseException

    def __init__(self, op: str, path: str, err: BaseException) -> None:
        # Not super(): the combined class's other base (ErrClosed) has its own __init__.
        OSError.__init__(self, err.errno if isinstance(err, OSError) else None, _cause_text(err))
        self.op = op
        self.path = path
        self.err = err

    def __str__(self) -> str:
        return f"{self.op} {self.path}: {self.strerror}"

    def __reduce__(self) -> Any:
        return (path_error, (self.op, self.path, self.err))


_combined: dict[tuple[type, type], type] = {}


def combined_class(base: type, cause: type) -> type:
    """Return a subclass of base and cause (cached), or base if the two cannot be combined."""
    key = (base, cause)
    cls = _combined.get(key)
    if cls is None:
        cls = base
        if cause is not OSError and not issubclass(cause, base) and issubclass(cause, OSError):
            try:
                cls = type(
                    f"{base.__name__}[{cause.__name__}]", (base, cause), {"__module__": base.__module__}
                )
            except TypeError:
                cls = base
        _combined[key] = cls
    return cls


def path_error(op: str, path: str, err: BaseException) -> PathError:
    """Build a PathError that is also an instance of ``type(err)``.

    A poll-layer ErrClosed becomes os.ErrClosed ("file already closed").
    """
    if isinstance(err, PathError):
        err = err.err
    if isinstance(err, _PollClosed) and not isinstance(err, ErrClosed):
        err = ErrClosed()
    e: PathError = combined_class(PathError, type(err))(op, path, err)
    return e


# -- the two kinds of descriptor ----------------------------------------------------------------


class _PollFile:
    """The socket-shaped face the _poll FD drives, over a pipe or device descriptor."""

    __slots__ = ("fd",)
    type = 0  # not SOCK_STREAM: pipes get no short-read inference (each read asks the kernel)

    def __init__(self, fd: int) -> None:
        self.fd = fd

    def fileno(self) -> int:
        return self.fd

    def setblocking(self, flag: bool) -> None:
        _os.set_blocking(self.fd, flag)

    def recv_into(self, buf: Any) -> int:
        return _os.readv(self.fd, (buf,))

    def recv(self, n: int) -> bytes:
        return _os.read(self.fd, n)

    def send(self, data: Any) -> int:
        return _os.write(self.fd, data)

    def close(self) -> None:
        fd, self.fd = self.fd, -1
        if fd >= 0:
            _os.close(fd)


class _BlockingFD(FdMutex):
    """The fd mutex over a blocking descriptor whose syscalls go to the thread pool."""

    __slots__ = ("sysfd", "pool_close")

    def __init__(self, fd: int) -> None:
        super().__init__(_proc.current())
        self.sysfd = fd
        self.pool_close = False  # close() will close(2) on a worker thread itself

    def destroy(self) -> None:
        if not self.pool_close:
            _os.close(self.sysfd)

    def describe_wait(self, g: Any, now: float) -> str:
        """Say which lock of this file g waits for, for a goroutine dump."""
        return f"file fd {self.sysfd} {self.lock_wait(g)}"

    def __del__(self) -> None:
        # An unreachable File is closed (Go: the finalizer on os.file), so no fd leaks.
        if not self.destroyed:
            self.closing = True
            self.destroyed = True
            try:
                _os.close(self.sysfd)
            except OSError:
                pass


def _write_all(fd: int, data: Any) -> int:
    view = memoryview(data).cast("B")
    n = len(view)
    done = 0
    while done < n:
        done += _os.write(fd, view[done:])
    return n


class File:
    """An open file descriptor whose operations park only the calling goroutine. Go: os.File.

    Pipes and devices wait on the netpoller; regular files do their I/O on the thread pool.
    Reads follow gonet's Reader convention (read(buf) -> count, 0 at EOF), writes its Writer
    convention (everything is written, or an exception says how much was, in ``.written``).
    """

    __slots__ = ("name", "_fd", "_pfd", "__weakref__")

    def __init__(self, fd: int, name: str, pollable: bool) -> None:
        """Wrap fd; pollable: try the netpoller (the fd is made non-blocking)."""
        self.name = name
        self._pfd: FD | None = None
        self._fd: _BlockingFD | None = None
        if pollable:
            # No info for the pollDesc: it sits in the scheduler's fd table, and pointing it
            # back at this File would keep an unreachable File (and its fd) alive forever.
            shim = _PollFile(fd)
            pfd = FD(shim, register=False)  # type: ignore[arg-type]
            try:
                pfd.init()
            except PermissionError:  # epoll refuses this kind of file (/dev/null): EPERM
                shim.fd = -1  # the FD object must not close what the blocking kind now owns
                pfd.closing = pfd.destroyed = True
                _os.set_blocking(fd, True)
            else:
                self._pfd = pfd
                return
        self._fd = _BlockingFD(fd)

    # -- facts ---------------------------------------------------------------------------------

    def fileno(self) -> int:
        """Return the descriptor number (-1 once closed). Go: File.Fd."""
        if self._pfd is not None:
            return self._pfd.fileno()
        fd = self._fd
        assert fd is not None
        return -1 if fd.destroyed else fd.sysfd

    def pollable(self) -> bool:
        """Report whether the file waits on the netpoller (else its I/O uses the thread pool)."""
        return self._pfd is not None

    def __repr__(self) -> str:
        kind = "pollable" if self._pfd is not None else "thread pool"
        return f"<gonet.os.File {self.name!r} fd={self.fileno()} {kind}>"

    # -- I/O -----------------------------------------------------------------------------------

    def read(self, buf: bytearray | memoryview) -> int:
        """Read once into buf; return the byte count, 0 at EOF (or for an empty buf).

        Raises:
            PathError: op "read" (closed file, deadline, I/O error).

        Go: File.Read.
        """
        pfd = self._pfd
        try:
            if pfd is not None:
                return pfd.read(buf)
            return self._blocking(True, _os.readv, (buf,))  # type: ignore[no-any-return]
        except OSError as e:
            raise path_error("read", self.name, e) from None

    def write(self, data: bytes | bytearray | memoryview) -> int:
        """Write all of data; return len(data) in bytes.

        Raises:
            PathError: op "write"; ``.written`` holds the bytes written before the failure.

        Go: File.Write.
        """
        pfd = self._pfd
        try:
            if pfd is not None:
                return pfd.write(data)
            return self._blocking(False, _write_all, data)  # type: ignore[no-any-return]
        except OSError as e:
            pe = path_error("write", self.name, e)
            pe.written = getattr(e, "written", 0)  # type: ignore[attr-defined]
            raise pe from None

    def read_at(self, buf: bytearray | memoryview, off: int) -> int:
        """Read into buf from offset off (pread); return the count, 0 at EOF. Go: File.ReadAt."""
        if off < 0:
            raise path_error("readat", self.name, ValueError("negative offset"))
        return self._call("read", True, _os.preadv, (buf,), off)  # type: ignore[no-any-return]

    def write_at(self, data: bytes | bytearray | memoryview, off: int) -> int:
        """Write all of data at offset off (pwrite); return len(data). Go: File.WriteAt."""
        if off < 0:
            raise path_error("writeat", self.name, ValueError("negative offset"))
        return self._call("write", False, _pwrite_all, data, off)  # type: ignore[no-any-return]

    def seek(self, offset: int, whence: int = 0) -> int:
        """Set the offset for the next read or write; return the new offset. Go: File.Seek."""
        return self._call("seek", True, _os.lseek, offset, whence)  # type: ignore[no-any-return]

    def stat(self) -> _os.stat_result:
        """Return the file's status (fstat). Go: File.Stat."""
        return self._call("stat", True, _os.fstat)  # type: ignore[no-any-return]

    def sync(self) -> None:
        """Flush the file's data to stable storage (fsync). Go: File.Sync."""
        self._call("sync", False, _os.fsync)

    def truncate(self, size: int) -> None:
        """Change the file's size. Go: File.Truncate."""
        self._call("truncate", False, _os.ftruncate, size)

    # -- deadlines -----------------------------------------------------------------------------

    def set_deadline(self, when: float | None) -> None:
        """Set the absolute read and write deadline (gonet.now() based); None clears.

        Raises:
            PathError: ErrNoDeadline for a file on the thread pool (a regular file).

        Go: File.SetDeadline.
        """
        self._deadline(when, True, True)

    def set_read_deadline(self, when: float | None) -> None:
        """Set the read deadline. Go: File.SetReadDeadline."""
        self._deadline(when, True, False)

    def set_write_deadline(self, when: float | None) -> None:
        """Set the write deadline. Go: File.SetWriteDeadline."""
        self._deadline(when, False, True)

    def _deadline(self, when: float | None, read: bool, write: bool) -> None:
        pfd = self._pfd
        try:
            if pfd is None:
                raise ErrNoDeadline()
            pfd.set_deadline(when, read, write)
        except OSError as e:
            raise path_error("SetDeadline", self.name, e) from None

    # -- close ---------------------------------------------------------------------------------

    def close(self) -> None:
        """Close the file once operations in flight have left; they fail with ErrClosed.

        Raises:
            PathError: op "close", ErrClosed if already closed.

        Go: File.Close.
        """
        pfd = self._pfd
        if pfd is not None:
            try:
                pfd.close()
            except OSError as e:
                raise path_error("close", self.name, e) from None
            return
        fd = self._fd
        assert fd is not None
        if not fd.begin_close():
            raise path_error("close", self.name, ErrClosed())
        fd.pool_close = True
        fd.wait_destroyed()
        if not fd.destroyed:
            fd.pool_close = False  # not in a goroutine: the last operation's exit closes it
            return
        try:
            run_in_thread(_os.close, fd.sysfd)
        except OSError as e:
            raise path_error("close", self.name, e) from None

    def __enter__(self) -> File:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.fileno() >= 0:
            self.close()

    # -- plumbing ------------------------------------------------------------------------------

    def _blocking(self, read: bool, fn: Any, *args: Any) -> Any:
        # Hold the read (write) lock and a reference while a worker makes the call, so the
        # descriptor cannot be closed under it.
        fd = self._fd
        assert fd is not None
        fd.lock_slow(read)
        try:
            return run_in_thread(fn, fd.sysfd, *args)
        finally:
            fd.unlock_slow(read)

    def _call(self, op: str, read: bool, fn: Any, *args: Any) -> Any:
        try:
            pfd = self._pfd
            if pfd is None:
                return self._blocking(read, fn, *args)
            # A pipe's other calls cannot block (or fail at once, as lseek with ESPIPE).
            pfd.incref()
            try:
                return fn(pfd.sysfd, *args)
            finally:
                pfd.decref()
        except OSError as e:
            raise path_error(op, self.name, e) from None


def _pwrite_all(fd: int, data: Any, off: int) -> int:
    view = memoryview(data).cast("B")
    n = len(view)
    done = 0
    while done < n:
        done += _os.pwrite(fd, view[done:], off + done)
    return n


def _pollable_kind(fd: int) -> bool:
    mode = _os.fstat(fd).st_mode
    return not (_stat.S_ISREG(mode) or _stat.S_ISDIR(mode))


def new_file(fd: int, name: str) -> File:
    """Wrap an open descriptor; it waits on the netpoller only if it is already non-blocking.

    Go: os.NewFile (kindNonBlock).
    """
    if fd < 0:
        raise ValueError(f"gonet.os.new_file: invalid descriptor {fd}")
    return File(fd, name, not _os.get_blocking(fd) and _pollable_kind(fd))


def _open_fd(name: str, flag: int, perm: int) -> tuple[int, bool]:
    fd = _os.open(name, flag | _os.O_CLOEXEC, perm)
    try:
        return fd, _pollable_kind(fd)
    except BaseException:
        _os.close(fd)
        raise


def open_file(name: str, flag: int = O_RDONLY, perm: int = 0o666) -> File:
    """Open name with flag (O_RDONLY, O_WRONLY|O_CREATE|O_TRUNC, ...) and perm (before umask).

    The open(2) itself runs on the thread pool (a slow disk or NFS must not stall the
    scheduler); a FIFO or device opened here waits on the netpoller afterwards.

    Raises:
        PathError: op "open" ("open /x: no such file or directory"), also a FileNotFoundError,
            PermissionError... as the cause was.

    Go: os.OpenFile.
    """
    name = _os.fspath(name)
    try:
        fd, pollable = run_in_thread(_open_fd, name, flag, perm)
    except OSError as e:
        raise path_error("open", name, e) from None
    return File(fd, name, pollable)


def open(name: str) -> File:  # noqa: A001 - Go's name, module-qualified (gonet.os.open)
    """Open name for reading. Go: os.Open."""
    return open_file(name, O_RDONLY, 0)


def create(name: str) -> File:
    """Create or truncate name (mode 0o666 before umask), open for reading and writing.

    Go: os.Create.
    """
    return open_file(name, O_RDWR | O_CREATE | O_TRUNC, 0o666)


def pipe() -> tuple[File, File]:
    """Return a connected pair (read end, write end) of pollable Files. Go: os.Pipe.

    The ends are close-on-exec; exec.Cmd passes one to a child by duplicating it.
    """
    r, w = _os.pipe2(_os.O_CLOEXEC)
    return File(r, "|0", True), File(w, "|1", True)


def _read_whole(name: str) -> bytes:
    try:
        fd = _os.open(name, _os.O_RDONLY | _os.O_CLOEXEC)
    except OSError as e:
        raise path_error("open", name, e) from None
    try:
        try:
            size = _os.fstat(fd).st_size
            # One read of the whole size is the common case; /proc files report 0, so read on.
            parts = []
            want = size + 1 if size > 0 else _READ_CHUNK
            while True:
                chunk = _os.read(fd, want)
                if not chunk:
                    break
                parts.append(chunk)
                want = _READ_CHUNK
        except OSError as e:
            raise path_error("read", name, e) from None
    finally:
        _os.close(fd)
    return parts[0] if len(parts) == 1 else b"".join(parts)


def read_file(name: str) -> bytes:
    """Return the whole contents of name: open, read and close in one thread-pool call.

    Raises:
        PathError: op "open" or "read".

    Go: os.ReadFile.
    """
    return run_in_thread(_read_whole, _os.fspath(name))


def _write_whole(name: str, data: Any, perm: int) -> None:
    try:
        fd = _os.open(name, _os.O_WRONLY | _os.O_CREAT | _os.O_TRUNC | _os.O_CLOEXEC, perm)
    except OSError as e:
        raise path_error("open", name, e) from None
    try:
        _write_all(fd, data)
    except OSError as e:
        raise path_error("write", name, e) from None
    finally:
        _os.close(fd)


def write_file(name: str, data: bytes | bytearray | memoryview, perm: int = 0o666) -> None:
    """Write data to name, creating it with perm (before umask) or truncating it first.

    One thread-pool call: open, write, close.

    Raises:
        PathError: op "open" or "write".

    Go: os.WriteFile.
    """
    if isinstance(data, str):
        raise TypeError("gonet.os.write_file needs bytes, not str (encode it first)")
    run_in_thread(_write_whole, _os.fspath(name), data, perm)
