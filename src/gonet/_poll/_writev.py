# gonet._poll._writev: vectored writes with sendmsg (Go: internal/poll/writev.go, net.Buffers).
#
# One sendmsg carries at most IOV_MAX (1024) buffers and MAX_RW bytes; the loop consumes the
# progress of each call (whole buffers dropped, a partly sent one sliced) until everything is
# written. Like FD.write it never returns a short count: it writes all or raises with
# `.written` set to the bytes already sent.
#
# Invariant: a call that sent fewer bytes than it was offered filled the send buffer, so (while
# the pollDesc trusts edges) the loop parks for EPOLLOUT instead of trying a send that would
# fail with EAGAIN — the same inference as FD.write.
from __future__ import annotations

from gonet._poll._fd_posix import prepare_counted, try_write
from gonet._poll._fd_unix import FD, MAX_RW

__all__ = ["writev", "IOV_MAX"]

# Linux's UIO_MAXIOV; Go caps each writev at the same number (maxVec).
IOV_MAX = 1024


def writev(fd: FD, bufs: list[memoryview]) -> int:
    """Write every buffer in order, parking while the send buffer is full; return the total.

    Args:
        fd: a stream socket's FD.
        bufs: non-empty byte-format memoryviews; the list is consumed (modified) in place.

    Raises:
        OSError (incl. ErrClosed, DeadlineExceededError) with ``.written`` set.

    Go: FD.Writev.
    """
    pd = prepare_counted(fd)
    try:
        sendmsg = fd.sock.sendmsg
        written = 0
        i = 0
        nbufs = len(bufs)
        while i < nbufs:
            chunk = []
            offered = 0
            for b in bufs[i : i + IOV_MAX]:
                if offered and offered + b.nbytes > MAX_RW:
                    break
                chunk.append(b)
                offered += b.nbytes
            k = try_write(pd, written, sendmsg, chunk)
            if k < 0:
                continue
            written += k
            if k < offered and pd.trust:
                pd.wready = False  # a short send filled the buffer: wait for EPOLLOUT
            # Consume k bytes of progress: drop whole buffers, slice the partly sent one.
            while k:
                b = bufs[i]
                if k >= b.nbytes:
                    k -= b.nbytes
                    i += 1
                else:
                    bufs[i] = b[k:]
                    k = 0
        return written
    finally:
        fd.unlock_slow(False)
