# gonet._poll._sendfile: file -> socket copies in the kernel (Go: internal/poll/sendfile_linux.go).
#
# os.sendfile with an explicit offset (the file position is not used or moved), at most
# MAX_SENDFILE bytes per call so one huge copy cannot hold the write lock in a single syscall;
# EAGAIN parks on the pollDesc as every write does.
#
# Invariants:
# - Returns (written, handled). handled is False only when the kernel refused the pair before a
#   byte moved (EINVAL, ENOSYS, EOPNOTSUPP, ...): the caller then falls back to read/write.
#   After progress, any error is raised with `.written` set, as FD.write does.
# - A short sendfile is NOT taken as "send buffer full": it may equally mean the file ended,
#   and parking for an EPOLLOUT that never comes would hang. The next call tells which.
from __future__ import annotations

import errno
import os

from gonet._poll._fd_posix import prepare_counted, try_write
from gonet._poll._fd_unix import FD

__all__ = ["sendfile", "MAX_SENDFILE"]

# Go: maxSendfileSize (4 MiB per call).
MAX_SENDFILE = 4 << 20

_UNSUPPORTED = {
    errno.EINVAL,
    errno.ENOSYS,
    errno.EOPNOTSUPP,
    errno.ENOTSUP,
    errno.ESPIPE,
    errno.EBADF,
    errno.EXDEV,
    errno.ENOTSOCK,
}


def sendfile(fd: FD, src: int, offset: int, count: int | None) -> tuple[int, bool]:
    """Copy up to count bytes (None: to end of file) of file descriptor src from offset.

    Returns:
        (bytes written, handled); handled False means nothing was sent and sendfile(2) cannot
        serve this file/socket pair.

    Raises:
        OSError (incl. ErrClosed, DeadlineExceededError) with ``.written`` set.

    Go: poll.SendFile.
    """
    pd = prepare_counted(fd)
    try:
        out = fd.sysfd
        written = 0
        while count is None or written < count:
            n = MAX_SENDFILE if count is None else min(count - written, MAX_SENDFILE)
            try:
                k = try_write(pd, written, os.sendfile, out, src, offset + written, n)
            except OSError as e:
                if not written and e.errno in _UNSUPPORTED:
                    return 0, False
                raise
            if k < 0:
                continue
            if k == 0:
                break  # end of file
            written += k
        return written, True
    finally:
        fd.unlock_slow(False)
