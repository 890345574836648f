# gonet.http._fs: serving files (Go: net/http/fs.go): Dir, file_server, serve_file, serve_content,
# with Range (single and multipart/byteranges), the conditional headers, directory listings and
# Go's index.html and trailing-slash redirects.
#
# Invariants:
# - Dir never opens anything outside its root: the name is cleaned as a rooted path (no ".."
#   survives), NUL bytes are refused, and the file actually opened is checked to lie under the
#   root's real path (via /proc/self/fd, so a symlink swapped in after the check cannot escape);
#   a symlink that points outside the root is answered 404 like a missing file.
# - Only regular files and directories are served (a FIFO or device would block or never end).
# - Errors never leak OS details to the client: not found -> 404 "404 page not found",
#   permission -> 403 "403 Forbidden", anything else -> 500 (Go's toHTTPError).
# - Disk I/O runs in the serving goroutine in bounded steps: open/stat/listdir are single
#   syscalls, contents go by sendfile(2) (w.read_from) when the response allows it, else in
#   32 KiB reads each followed by a socket write (a scheduling point). A read from the page
#   cache takes microseconds, far less than a hop to the thread pool would cost.
from __future__ import annotations

import calendar
import datetime as _dt
import logging
import mimetypes
import os
import posixpath
import secrets
import stat as _stat
import time as _time
from typing import TYPE_CHECKING, Any, Protocol

from gonet.http._handlers import error
from gonet.http._pattern import clean_rooted
from gonet.http._sniff import detect_content_type
from gonet.http._status import (
    STATUS_BAD_REQUEST,
    STATUS_FORBIDDEN,
    STATUS_INTERNAL_SERVER_ERROR,
    STATUS_MOVED_PERMANENTLY,
    STATUS_NOT_FOUND,
    STATUS_NOT_MODIFIED,
    STATUS_OK,
    STATUS_PARTIAL_CONTENT,
    STATUS_PRECONDITION_FAILED,
    STATUS_REQUESTED_RANGE_NOT_SATISFIABLE,
)
from gonet.net.url import path_escape_all

if TYPE_CHECKING:
    from gonet.http._iface import Handler, ResponseWriter
    from gonet.http._request import Request

__all__ = [
    "File",
    "FileSystem",
    "Dir",
    "OSFile",
    "file_server",
    "serve_file",
    "serve_content",
    "detect_content_type",
    "type_by_extension",
    "parse_time",
    "format_time",
    "TIME_FORMAT",
]

TIME_FORMAT = "%a, %d %b %Y %H:%M:%S GMT"
"""The HTTP date format (Go: http.TimeFormat, "Mon, 02 Jan 2006 15:04:05 GMT")."""

_CHUNK = 32 * 1024
_SNIFF_LEN = 512
_MAX_RANGES = 200  # Go's defaultMaxContentRanges: more ranges than this and the header is ignored
_log = logging.getLogger("gonet.http")


class File(Protocol):
    """An open file or directory of a FileSystem. Go: http.File."""

    def read(self, n: int = -1) -> bytes:
        """Read up to n bytes; b"" at the end."""
        ...

    def seek(self, offset: int, whence: int = 0) -> int:
        """Move the read position; return the new one."""
        ...

    def stat(self) -> os.stat_result:
        """Return the file's status (size, mtime, mode)."""
        ...

    def readdir(self) -> list[tuple[str, bool]]:
        """Return the (name, is_dir) entries of a directory."""
        ...

    def close(self) -> None:
        """Release the file."""
        ...


class FileSystem(Protocol):
    """A collection of named files, "/"-separated names. Go: http.FileSystem."""

    def open(self, name: str) -> File:
        """Open name ("/a/b.txt").

        Raises:
            FileNotFoundError, PermissionError, OSError: as the OS does.
        """
        ...


# -- time and types -----------------------------------------------------------------------------


def format_time(t: float) -> str:
    """Format a Unix time as an HTTP date ("Sun, 06 Nov 1994 08:49:37 GMT"). Go: t.UTC().Format(TimeFormat)."""
    return _time.strftime(TIME_FORMAT, _time.gmtime(t))


_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = {
    m: i
    for i, m in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1
    )
}


def _hms(s: str) -> tuple[int, int, int]:
    h, m, sec = s.split(":")
    if len(h) != 2 or len(m) != 2 or len(sec) != 2:
        raise ValueError(s)
    return int(h), int(m), int(sec)


def parse_time(text: str) -> float:
    """Parse an HTTP date in any of the three formats of RFC 9110; return a Unix time. Go: http.ParseTime.

    Accepts "Sun, 06 Nov 1994 08:49:37 GMT", "Sunday, 06-Nov-94 08:49:37 GMT" and
    "Sun Nov  6 08:49:37 1994".

    Raises:
        ValueError: text is in none of them.
    """
    p = text.split()
    try:
        if len(p) == 6 and p[0].endswith(",") and p[5] == "GMT":  # IMF-fixdate
            if p[0][:-1] not in _DAYS or len(p[1]) != 2 or len(p[3]) != 4:
                raise ValueError(text)
            y, mo, d = int(p[3]), _MONTHS[p[2]], int(p[1])
            hh, mm, ss = _hms(p[4])
        elif len(p) == 4 and p[0].endswith(",") and p[3] == "GMT":  # RFC 850
            d_s, mo_s, y_s = p[1].split("-")
            y, mo, d = 1900 + int(y_s), _MONTHS[mo_s], int(d_s)
            if y < 1970:
                y += 100
            hh, mm, ss = _hms(p[2])
        elif len(p) == 5 and p[0] in _DAYS:  # ANSI C asctime()
            y, mo, d = int(p[4]), _MONTHS[p[1]], int(p[2])
            hh, mm, ss = _hms(p[3])
        else:
            raise ValueError(text)
        _dt.datetime(y, mo, d, hh, mm, ss)  # range checks (day 31 of February, hour 25, ...)
    except (KeyError, ValueError, IndexError):
        raise ValueError(f'parsing time "{text}": not an HTTP date') from None
    return float(calendar.timegm((y, mo, d, hh, mm, ss, 0, 0, 0)))


_BUILTIN_TYPES = {
    ".avif": "image/avif",
    ".css": "text/css; charset=utf-8",
    ".gif": "image/gif",
    ".htm": "text/html; charset=utf-8",
    ".html": "text/html; charset=utf-8",
    ".jpeg": "image/jpeg",
    ".jpg": "image/jpeg",
    ".js": "text/javascript; charset=utf-8",
    ".json": "application/json",
    ".mjs": "text/javascript; charset=utf-8",
    ".pdf": "application/pdf",
    ".png": "image/png",
    ".svg": "image/svg+xml",
    ".wasm": "application/wasm",
    ".webp": "image/webp",
    ".xml": "text/xml; charset=utf-8",
}


def type_by_extension(ext: str) -> str:
    """Return the MIME type for a file extension (".html"), or "". Go: mime.TypeByExtension.

    Go's built-in table first, then the system's (mimetypes); text/* types get charset=utf-8.
    """
    if not ext:
        return ""
    t = _BUILTIN_TYPES.get(ext) or _BUILTIN_TYPES.get(ext.lower())
    if t:
        return t
    t = mimetypes.types_map.get(ext) or mimetypes.types_map.get(ext.lower()) or ""
    if t.startswith("text/") and "charset" not in t:
        t += "; charset=utf-8"
    return t


# -- the OS file system -------------------------------------------------------------------------


class OSFile:
    """A file or directory opened by Dir: read/seek/stat/readdir/close/fileno. Go: *os.File."""

    __slots__ = ("_fd", "name", "_st")

    def __init__(self, fd: int, name: str, st: os.stat_result) -> None:
        self._fd = fd
        self.name = name
        self._st = st

    def read(self, n: int = -1) -> bytes:
        """Read up to n bytes (to the end when n < 0); b"" at the end."""
        if n >= 0:
            return os.read(self._fd, n)
        parts: list[bytes] = []
        while True:
            chunk = os.read(self._fd, 1 << 20)
            if not chunk:
                return b"".join(parts)
            parts.append(chunk)

    def readinto(self, buf: bytearray | memoryview) -> int:
        """Read into buf; return the count, 0 at the end."""
        return os.readv(self._fd, [buf])

    def seek(self, offset: int, whence: int = 0) -> int:
        """Move the read position; return the new one."""
        return os.lseek(self._fd, offset, whence)

    def tell(self) -> int:
        """Return the read position."""
        return os.lseek(self._fd, 0, os.SEEK_CUR)

    def fileno(self) -> int:
        """Return the OS file descriptor (for sendfile)."""
        if self._fd < 0:
            raise ValueError("I/O operation on closed file")
        return self._fd

    def stat(self) -> os.stat_result:
        """Return the status taken at open."""
        return self._st

    def readdir(self) -> list[tuple[str, bool]]:
        """Return the (name, is_dir) entries of the directory (symlinks followed)."""
        out: list[tuple[str, bool]] = []
        with os.scandir(self._fd) as it:
            for e in it:
                try:
                    is_dir = e.is_dir()
                except OSError:
                    is_dir = False
                out.append((e.name, is_dir))
        return out

    def close(self) -> None:
        """Close the file (a second call does nothing)."""
        fd, self._fd = self._fd, -1
        if fd >= 0:
            os.close(fd)

    def __enter__(self) -> OSFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _InvalidPath(FileNotFoundError):
    """The name cannot be a file under the root (NUL byte). Go: errInvalidUnsafePath."""


class Dir:
    """The files under a directory of the OS, as a FileSystem. Go: http.Dir.

    Args:
        root: the directory ("" means ".").
        follow_symlinks_out: allow symlinks that lead outside root (Go's Dir does; off by
            default here, so a link can never expose files outside the served tree).
    """

    __slots__ = ("root", "_real", "_confine")

    def __init__(self, root: str | os.PathLike[str] = ".", *, follow_symlinks_out: bool = False) -> None:
        self.root = os.fspath(root) or "."
        self._real = os.path.realpath(self.root)
        self._confine = not follow_symlinks_out

    def open(self, name: str) -> OSFile:
        """Open name ("/"-separated, rooted at root) for reading.

        Raises:
            FileNotFoundError: no such file, a path through a non-directory, a NUL byte, a
                symlink leading outside root, or not a regular file or directory.
            PermissionError: the OS refused.
        """
        if "\x00" in name:
            raise _InvalidPath(f"http: invalid or unsafe file path {name!r}")
        rel = clean_rooted(name)[1:] or "."
        full = os.path.join(self.root, rel)
        try:
            # O_NONBLOCK: opening a FIFO must not wait for a writer (it is refused below).
            fd = os.open(full, os.O_RDONLY | os.O_CLOEXEC | os.O_NONBLOCK)
        except NotADirectoryError:
            raise FileNotFoundError(f"open {full}: not a directory") from None
        try:
            st = os.fstat(fd)
            if not (_stat.S_ISREG(st.st_mode) or _stat.S_ISDIR(st.st_mode)):
                raise FileNotFoundError(f"open {full}: not a regular file or directory")
            if self._confine and not self._inside(fd, full):
                raise FileNotFoundError(f"open {full}: outside the served directory")
            os.set_blocking(fd, True)
        except BaseException:
            os.close(fd)
            raise
        return OSFile(fd, os.path.basename(full.rstrip("/")) or rel, st)

    def _inside(self, fd: int, full: str) -> bool:
        # The path of what was actually opened, so a symlink swapped in later cannot escape.
        try:
            real = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            real = os.path.realpath(full)
        root = self._real
        return real == root or real.startswith(root.rstrip("/") + "/")

    def __repr__(self) -> str:
        return f"Dir({self.root!r})"


# -- errors and redirects -----------------------------------------------------------------------


def _to_http_error(e: BaseException) -> tuple[str, int]:
    # Go: toHTTPError: never the OS's text, which could leak paths.
    if isinstance(e, FileNotFoundError | NotADirectoryError | IsADirectoryError):
        return "404 page not found", STATUS_NOT_FOUND
    if isinstance(e, PermissionError):
        return "403 Forbidden", STATUS_FORBIDDEN
    return "500 Internal Server Error", STATUS_INTERNAL_SERVER_ERROR


def _serve_error(w: ResponseWriter, text: str, code: int) -> None:
    # Go: serveError: headers meant for the content must not go out on an error.
    h = w.header()
    for k in ("Cache-Control", "Content-Encoding", "Etag", "Last-Modified"):
        h.delete(k)
    error(w, text, code)


def _local_redirect(w: ResponseWriter, r: Request, new_path: str) -> None:
    # Go: localRedirect: a relative Location (correct under strip_prefix), 301.
    p = r.url.escaped_path()
    if "%2f" in p or "%2F" in p:
        from gonet.http._handlers import not_found

        not_found(w, r)
        return
    if r.url.raw_query:
        new_path += "?" + r.url.raw_query
    w.header().set("Location", new_path)
    w.write_header(STATUS_MOVED_PERMANENTLY)


# -- conditional requests (RFC 9110 13) -----------------------------------------------------------

_NONE, _TRUE, _FALSE = 0, 1, 2


def _scan_etag(s: str) -> tuple[str, str]:
    # Go: scanETag: a W/"..." or "..." tag at the start of s, and the rest.
    s = s.strip(" \t")
    start = 2 if s.startswith("W/") else 0
    if len(s) - start < 2 or s[start] != '"':
        return "", ""
    for i in range(start + 1, len(s)):
        c = ord(s[i])
        if c == 0x22:
            return s[: i + 1], s[i + 1 :]
        if not (c == 0x21 or 0x23 <= c <= 0x7E or c >= 0x80):
            return "", ""
    return "", ""


def _etag_strong_match(a: str, b: str) -> bool:
    return a == b and a != "" and a[0] == '"'


def _etag_weak_match(a: str, b: str) -> bool:
    return a.removeprefix("W/") == b.removeprefix("W/")


def _check_etags(header_value: str, etag: str, strong: bool) -> int:
    # _TRUE if a tag in the list (or "*") matches etag, _FALSE if none does.
    buf = header_value
    while True:
        buf = buf.strip(" \t")
        if not buf:
            return _FALSE
        if buf[0] == ",":
            buf = buf[1:]
            continue
        if buf[0] == "*":
            return _TRUE
        tag, buf = _scan_etag(buf)
        if not tag:
            return _FALSE
        if (_etag_strong_match if strong else _etag_weak_match)(tag, etag):
            return _TRUE


def _is_zero_time(t: float | None) -> bool:
    return t is None or t == 0


def _check_if_unmodified_since(r: Request, modtime: float | None) -> int:
    ius = r.header.get("If-Unmodified-Since")
    if not ius or _is_zero_time(modtime):
        return _NONE
    try:
        t = parse_time(ius)
    except ValueError:
        return _NONE
    assert modtime is not None
    return _TRUE if int(modtime) <= t else _FALSE


def _check_if_modified_since(r: Request, modtime: float | None) -> int:
    if r.method not in ("GET", "HEAD"):
        return _NONE
    ims = r.header.get("If-Modified-Since")
    if not ims or _is_zero_time(modtime):
        return _NONE
    try:
        t = parse_time(ims)
    except ValueError:
        return _NONE
    assert modtime is not None
    # Last-Modified has whole seconds, so compare whole seconds.
    return _FALSE if int(modtime) <= t else _TRUE


def _check_if_range(w: ResponseWriter, r: Request, modtime: float | None) -> int:
    if r.method not in ("GET", "HEAD"):
        return _NONE
    ir = r.header.get("If-Range")
    if not ir:
        return _NONE
    tag, _ = _scan_etag(ir)
    if tag:
        return _TRUE if _etag_strong_match(tag, w.header().get("Etag")) else _FALSE
    if modtime is None:
        return _FALSE
    try:
        t = parse_time(ir)
    except ValueError:
        return _FALSE
    return _TRUE if int(t) == int(modtime) else _FALSE


def _write_not_modified(w: ResponseWriter) -> None:
    h = w.header()
    for k in ("Content-Type", "Content-Length", "Content-Encoding"):
        h.delete(k)
    if h.get("Etag"):
        h.delete("Last-Modified")
    w.write_header(STATUS_NOT_MODIFIED)


def _check_preconditions(w: ResponseWriter, r: Request, modtime: float | None) -> tuple[bool, str]:
    # Go: checkPreconditions, RFC 7232 section 6 order. Returns (answered, range header).
    im = r.header.get("If-Match")
    ch = _check_etags(im, w.header().get("Etag"), True) if im else _NONE
    if ch == _NONE:
        ch = _check_if_unmodified_since(r, modtime)
    if ch == _FALSE:
        w.write_header(STATUS_PRECONDITION_FAILED)
        return True, ""
    inm = r.header.get("If-None-Match")
    if inm:
        if _check_etags(inm, w.header().get("Etag"), False) == _TRUE:
            if r.method in ("GET", "HEAD"):
                _write_not_modified(w)
            else:
                w.write_header(STATUS_PRECONDITION_FAILED)
            return True, ""
    elif _check_if_modified_since(r, modtime) == _FALSE:
        _write_not_modified(w)
        return True, ""
    rng = r.header.get("Range")
    if rng and _check_if_range(w, r, modtime) == _FALSE:
        rng = ""
    return False, rng


# -- ranges -------------------------------------------------------------------------------------


class _NoOverlap(ValueError):
    """No range starts inside the content. Go: errNoOverlap."""


def _parse_int(s: str) -> int:
    if not s or not s.isdigit() or not s.isascii():
        raise ValueError("invalid range")
    return int(s)


def parse_range(s: str, size: int) -> list[tuple[int, int]]:
    """Parse a Range header into (start, length) pairs for content of size bytes. Go: parseRange.

    Raises:
        ValueError: "invalid range" for a malformed header; its subclass for
            "invalid range: failed to overlap" when no range starts inside the content.
    """
    if not s:
        return []
    if not s.startswith("bytes="):
        raise ValueError("invalid range")
    spec = s[6:]
    if spec.count(",") + 1 > _MAX_RANGES:
        return []
    out: list[tuple[int, int]] = []
    no_overlap = False
    for ra in spec.split(","):
        ra = ra.strip(" \t")
        if not ra:
            continue
        start_s, dash, end_s = ra.partition("-")
        if not dash:
            raise ValueError("invalid range")
        start_s, end_s = start_s.strip(" \t"), end_s.strip(" \t")
        if not start_s:
            n = _parse_int(end_s)  # suffix-length: the last n bytes
            n = min(n, size)
            out.append((size - n, n))
            continue
        start = _parse_int(start_s)
        if start >= size:
            no_overlap = True
            continue
        if not end_s:
            out.append((start, size - start))
            continue
        end = _parse_int(end_s)
        if start > end:
            raise ValueError("invalid range")
        end = min(end, size - 1)
        out.append((start, end - start + 1))
    if no_overlap and not out:
        raise _NoOverlap("invalid range: failed to overlap")
    return out


def _content_range(start: int, length: int, size: int) -> str:
    return f"bytes {start}-{start + length - 1}/{size}"


def _part_header(boundary: str, first: bool, ctype: str, start: int, length: int, size: int) -> bytes:
    # Go's multipart.Writer.CreatePart with the fields in sorted order.
    lead = "" if first else "\r\n"
    return (
        f"{lead}--{boundary}\r\nContent-Range: {_content_range(start, length, size)}\r\n"
        f"Content-Type: {ctype}\r\n\r\n"
    ).encode("latin-1", "replace")


# -- serving ------------------------------------------------------------------------------------


def _copy_n(w: ResponseWriter, f: Any, n: int) -> None:
    # Copy n bytes from f's position in bounded reads (see the header comment).
    while n > 0:
        chunk = f.read(min(_CHUNK, n))
        if not chunk:
            return
        w.write(chunk)
        n -= len(chunk)


def _send_all(w: ResponseWriter, f: Any, size: int) -> None:
    # The whole content from offset 0: sendfile through the writer when it can.
    read_from = getattr(w, "read_from", None)
    if read_from is not None and callable(getattr(f, "fileno", None)):
        read_from(f)
        return
    _copy_n(w, f, size)


def _modtime_of(modtime: float | _dt.datetime | None) -> float | None:
    if modtime is None:
        return None
    if isinstance(modtime, _dt.datetime):
        if modtime.tzinfo is None:
            modtime = modtime.replace(tzinfo=_dt.timezone.utc)
        return modtime.timestamp()
    return float(modtime)


def _serve_content(  # noqa: C901 - Go's serveContent, one decision list in order
    w: ResponseWriter, r: Request, name: str, modtime: float | None, size: int | None, content: Any
) -> None:
    # Go: serveContent. size None: seek to the end to learn it.
    if not _is_zero_time(modtime):
        assert modtime is not None
        w.header().set("Last-Modified", format_time(modtime))
    done, range_req = _check_preconditions(w, r, modtime)
    if done:
        return
    h = w.header()
    ctypes = h._m.get("Content-Type")
    if ctypes is None:
        ctype = type_by_extension(posixpath.splitext(name)[1])
        if not ctype:
            head = content.read(_SNIFF_LEN)
            ctype = detect_content_type(head)
            try:
                content.seek(0)
            except OSError:
                _serve_error(w, "seeker can't seek", STATUS_INTERNAL_SERVER_ERROR)
                return
        h.set("Content-Type", ctype)
    else:
        ctype = ctypes[0] if ctypes else ""
    if size is None:
        try:
            size = content.seek(0, 2)
            content.seek(0)
        except (OSError, ValueError):
            _serve_error(w, "seeker can't seek", STATUS_INTERNAL_SERVER_ERROR)
            return
    assert size is not None
    try:
        ranges = parse_range(range_req, size)
    except _NoOverlap as e:
        if size != 0:
            h.set("Content-Range", f"bytes */{size}")
            _serve_error(w, str(e), STATUS_REQUESTED_RANGE_NOT_SATISFIABLE)
            return
        ranges = []  # an empty file ignores the Range header (some clients always send one)
    except ValueError as e:
        _serve_error(w, str(e), STATUS_REQUESTED_RANGE_NOT_SATISFIABLE)
        return
    if sum(ln for _, ln in ranges) > size:
        ranges = []  # more bytes than the file: an attack or a confused client
    code = STATUS_OK
    send_size = size
    boundary = ""
    if len(ranges) == 1:
        start, send_size = ranges[0]
        code = STATUS_PARTIAL_CONTENT
        h.set("Content-Range", _content_range(start, send_size, size))
    elif ranges:
        boundary = secrets.token_hex(30)
        code = STATUS_PARTIAL_CONTENT
        send_size = sum(
            len(_part_header(boundary, i == 0, ctype, s, ln, size)) + ln for i, (s, ln) in enumerate(ranges)
        ) + len(f"\r\n--{boundary}--\r\n")
        h.set("Content-Type", "multipart/byteranges; boundary=" + boundary)
    h.set("Accept-Ranges", "bytes")
    if ranges or not h.get("Content-Encoding"):
        h.set("Content-Length", str(send_size))
    w.write_header(code)
    if r.method == "HEAD":
        return
    if not ranges:
        _send_all(w, content, size)
    elif len(ranges) == 1:
        content.seek(ranges[0][0])
        _copy_n(w, content, send_size)
    else:
        for i, (s, ln) in enumerate(ranges):
            w.write(_part_header(boundary, i == 0, ctype, s, ln, size))
            content.seek(s)
            _copy_n(w, content, ln)
        w.write(f"\r\n--{boundary}--\r\n".encode("ascii"))


def serve_content(
    w: ResponseWriter,
    r: Request,
    name: str,
    modtime: float | _dt.datetime | None,
    content: Any,
) -> None:
    """Reply with content, honouring Range and the conditional headers. Go: http.ServeContent.

    Args:
        name: used only for the Content-Type (by extension) when the header is unset;
            otherwise the first 512 bytes are sniffed.
        modtime: Unix time or datetime of the content (Last-Modified, If-Modified-Since), or
            None/0 when unknown.
        content: a seekable binary file-like (read, seek); its size is found by seeking.

    An ETag header set by the caller is used for If-Match, If-None-Match and If-Range.
    """
    _serve_content(w, r, name, _modtime_of(modtime), None, content)


def _dir_list(w: ResponseWriter, r: Request, f: File) -> None:
    try:
        entries = f.readdir()
    except OSError as e:
        _log.error("http: error reading directory: %s", e)
        error(w, "Error reading directory", STATUS_INTERNAL_SERVER_ERROR)
        return
    entries.sort()
    from gonet.http._handlers import html_escape

    out = ['<!doctype html>\n<meta name="viewport" content="width=device-width">\n<pre>\n']
    for name, is_dir in entries:
        if is_dir:
            name += "/"
        href = path_escape_all(name)
        first = href.split("/", 1)[0]
        if ":" in first:
            href = "./" + href  # "a:b" would read as a URL scheme
        out.append(f'<a href="{href}">{html_escape(name)}</a>\n')
    out.append("</pre>\n")
    w.header().set("Content-Type", "text/html; charset=utf-8")
    w.write("".join(out).encode("utf-8", "surrogateescape"))


def _serve_file(w: ResponseWriter, r: Request, fs: FileSystem, name: str, redirect: bool) -> None:  # noqa: C901 - Go's serveFile, one decision list
    # Go: serveFile.
    index_page = "/index.html"
    if r.url.path.endswith(index_page):
        _local_redirect(w, r, "./")
        return
    try:
        f = fs.open(name)
    except OSError as e:
        _serve_error(w, *_to_http_error(e))
        return
    try:
        d = f.stat()
        url = r.url.path
        if redirect:
            if _stat.S_ISDIR(d.st_mode):
                if not url.endswith("/"):
                    _local_redirect(w, r, _base(url) + "/")
                    return
            elif url.endswith("/"):
                base = _base(url)
                if base in ("/", "."):
                    _serve_error(
                        w, "http: attempting to traverse a non-directory", STATUS_INTERNAL_SERVER_ERROR
                    )
                    return
                _local_redirect(w, r, "../" + base)
                return
        if _stat.S_ISDIR(d.st_mode):
            if not url.endswith("/"):
                _local_redirect(w, r, _base(url) + "/")
                return
            try:
                ff = fs.open(name.rstrip("/") + index_page)
            except OSError:
                ff = None
            if ff is not None:
                f.close()
                f, d = ff, ff.stat()
        if _stat.S_ISDIR(d.st_mode):
            if _check_if_modified_since(r, d.st_mtime) == _FALSE:
                _write_not_modified(w)
                return
            w.header().set("Last-Modified", format_time(d.st_mtime))
            _dir_list(w, r, f)
            return
        base = getattr(f, "name", "") or posixpath.basename(name)
        _serve_content(w, r, base, d.st_mtime, d.st_size, f)
    finally:
        f.close()


def _base(p: str) -> str:
    # Go: path.Base: the last element, trailing slashes ignored; "/" for the root, "." for "".
    if not p:
        return "."
    p = p.rstrip("/")
    if not p:
        return "/"
    return p[p.rfind("/") + 1 :]


def _contains_dot_dot(v: str) -> bool:
    if ".." not in v:
        return False
    return any(ent == ".." for ent in v.replace("\\", "/").split("/"))


def serve_file(w: ResponseWriter, r: Request, name: str) -> None:
    """Reply with the contents of the file or directory name. Go: http.ServeFile.

    name is an OS path chosen by the program (relative to the working directory). A request
    whose URL path has a ".." element is refused with 400 "invalid URL path", in case name
    was built from it; a URL path ending in "/index.html" is redirected to "./".
    """
    if _contains_dot_dot(r.url.path):
        _serve_error(w, "invalid URL path", STATUS_BAD_REQUEST)
        return
    d, file = os.path.split(name)
    _serve_file(w, r, Dir(d or ".", follow_symlinks_out=True), file, False)


class _FileHandler:
    """Serve a FileSystem. Go: fileHandler."""

    __slots__ = ("root",)

    def __init__(self, root: FileSystem) -> None:
        self.root = root

    def __call__(self, w: ResponseWriter, r: Request) -> None:
        upath = r.url.path
        if not upath.startswith("/"):
            upath = "/" + upath
            r.url.path = upath
        _serve_file(w, r, self.root, clean_rooted(upath) if upath != "/" else "/", True)

    def __repr__(self) -> str:
        return f"file_server({self.root!r})"


def file_server(root: FileSystem | str | os.PathLike[str]) -> Handler:
    """Return a handler serving the files under root. Go: http.FileServer.

    root is a FileSystem (Dir(...)) or a directory path (wrapped in Dir). Directories are
    listed unless they hold index.html; "/dir" redirects to "/dir/", ".../index.html" to
    ".../". Files are sent with sendfile when the response writer supports it.
    """
    fs: FileSystem = Dir(root) if isinstance(root, str | os.PathLike) else root
    return _FileHandler(fs)
