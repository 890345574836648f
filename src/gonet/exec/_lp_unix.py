# gonet.exec._lp_unix: find an executable in $PATH (Go: os/exec/lp_unix.go, exec.go's Error).
#
# A name with a slash is used as is (checked to be an executable file); a bare name is looked up
# in each $PATH entry in order. A match found through a relative entry ("." or "bin") is
# refused with ErrDot, as Go does since 1.19: running a program from the current directory
# because $PATH said "." is how a downloaded file gets executed by surprise.
from __future__ import annotations

import errno as _errno
import os
import stat

from gonet.os import combined_class

__all__ = ["Error", "ErrNotFound", "ErrDot", "look_path", "lookup_error"]


class ErrNotFound(FileNotFoundError):
    """No executable of that name in $PATH. Go: exec.ErrNotFound."""

    def __init__(self, msg: str = "executable file not found in $PATH") -> None:
        super().__init__(_errno.ENOENT, msg)

    def __str__(self) -> str:
        return "executable file not found in $PATH"


class ErrDot(PermissionError):
    """The executable was found only through a relative $PATH entry. Go: exec.ErrDot."""

    def __init__(self, msg: str = "cannot run executable found relative to current directory") -> None:
        super().__init__(_errno.EACCES, msg)

    def __str__(self) -> str:
        return "cannot run executable found relative to current directory"


def _quote(s: str) -> str:
    # Go's strconv.Quote for the printable ASCII names programs have.
    body = s.replace("\\", "\\\\").replace('"', '\\"')
    body = "".join(c if c.isprintable() else c.encode("unicode_escape").decode() for c in body)
    return f'"{body}"'


def _cause_text(err: BaseException) -> str:
    if isinstance(err, OSError) and type(err).__str__ is OSError.__str__ and err.errno:
        text = err.strerror or os.strerror(err.errno)
        return text[:1].lower() + text[1:]
    return str(err)


class Error(OSError):
    """look_path failed: 'exec: "name": cause'. Go: exec.Error.

    ``name`` is the name looked up, ``err`` the cause (an ErrNotFound, ErrDot or OSError);
    built by lookup_error, the error is also an instance of the cause's class.
    """

    name: str
    err: BaseException

    def __init__(self, name: str, err: BaseException) -> None:
        OSError.__init__(self, err.errno if isinstance(err, OSError) else None, _cause_text(err))
        self.name = name
        self.err = err

    def __str__(self) -> str:
        return f"exec: {_quote(self.name)}: {self.strerror}"


def lookup_error(name: str, err: BaseException) -> Error:
    """Build an Error for name that is also an instance of ``type(err)``."""
    e: Error = combined_class(Error, type(err))(name, err)
    return e


def _find_executable(path: str) -> None:
    """Raise unless path is an executable regular file. Go: findExecutable."""
    st = os.stat(path)
    if stat.S_ISDIR(st.st_mode):
        raise IsADirectoryError(_errno.EISDIR, os.strerror(_errno.EISDIR))
    if os.access(path, os.X_OK, effective_ids=os.access in os.supports_effective_ids):
        return
    raise PermissionError(_errno.EACCES, os.strerror(_errno.EACCES))


def look_path(file: str) -> str:
    """Return the path of the executable named file, searching $PATH if file has no slash.

    Raises:
        Error: 'exec: "file": executable file not found in $PATH' (also a FileNotFoundError),
            the stat or permission error of a path with a slash, or ErrDot for a match found
            only through a relative $PATH entry.

    Go: exec.LookPath.
    """
    if "/" in file:
        try:
            _find_executable(file)
        except OSError as e:
            raise lookup_error(file, e) from None
        return file
    for d in os.environ.get("PATH", "").split(os.pathsep):
        path = os.path.join(d or ".", file)
        try:
            _find_executable(path)
        except OSError:
            continue
        if not os.path.isabs(path):
            raise lookup_error(file, ErrDot())
        return path
    raise lookup_error(file, ErrNotFound())
