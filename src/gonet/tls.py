# gonet.tls: TLS over any gonet conn, in blocking style (Go: crypto/tls Conn, Client, Server).
#
# Built on ssl.MemoryBIO + ssl.SSLObject: OpenSSL never touches the socket. Ciphertext moves
# between the two memory BIOs and the underlying conn's read/write, which park on the netpoller
# like any other I/O — so deadlines, close and full-duplex use behave exactly as on the plain
# conn (a TCPConn, UnixConn, or a net.pipe() end).
#
# Invariants:
# - The handshake runs once, on the first read/write or an explicit handshake(); concurrent
#   callers wait for it and share its outcome, failure included (Go: handshakeMutex/handshakeErr).
# - One reader at a time feeds the incoming BIO, right after each underlying read returns, so
#   ciphertext enters OpenSSL in the order it arrived (Go: c.in).
# - Records leave in the order OpenSSL produced them: whoever holds the write lock drains the
#   outgoing BIO and writes it, looping until the BIO is empty (Go: c.out).
# - close() sends close_notify (bounded by a 5 s write deadline, as Go) unless a write is in
#   flight, then closes the underlying conn.
from __future__ import annotations

import ssl
from typing import TYPE_CHECKING, Any, cast

from gonet.errors import ErrClosed
from gonet.net._makefile import makefile as _makefile
from gonet.net._mutex import FifoLock
from gonet.runtime import now

if TYPE_CHECKING:
    from gonet.net import Addr, Conn

__all__ = ["client", "server", "TLSConn"]

# Plaintext handed to OpenSSL per write call: bounds the memory the outgoing BIO can hold.
_WRITE_CHUNK = 256 * 1024
# Ciphertext read from the conn per call (a TLS record is at most ~16.7 KiB).
_READ_CHUNK = 64 * 1024
# Go: closeNotify's write deadline.
_CLOSE_NOTIFY_TIMEOUT = 5.0


class TLSConn:
    """A TLS connection over another conn; read/write/deadlines/close like any Conn.

    Go: tls.Conn.
    """

    def __init__(
        self, conn: Conn, context: ssl.SSLContext, server_side: bool, server_hostname: str | None
    ) -> None:
        if not isinstance(context, ssl.SSLContext):
            raise TypeError(f"context must be an ssl.SSLContext, not {type(context).__name__}")
        self._conn = conn
        self._in = ssl.MemoryBIO()
        self._out = ssl.MemoryBIO()
        self._ssl = context.wrap_bio(
            self._in, self._out, server_side=server_side, server_hostname=server_hostname
        )
        self._rbuf = bytearray(_READ_CHUNK)
        self._hlock = FifoLock()
        self._rlock = FifoLock()
        self._wlock = FifoLock()
        self._handshake_done = False
        self._handshake_err: BaseException | None = None
        self._eof = False
        self._close_notify_sent = False
        self._closed = False

    # -- plumbing between the BIOs and the conn ------------------------------------------------

    def _flush(self) -> None:
        """Write out everything OpenSSL has produced, in order (takes the write lock)."""
        out = self._out
        if not out.pending:
            return
        lock = self._wlock
        lock.acquire()
        try:
            while out.pending:
                self._conn.write(out.read())
        finally:
            lock.release()

    def _flush_if_free(self) -> None:
        # A reader must not queue behind a writer parked on a full send buffer: the writer's
        # drain loop will pick these bytes up when its write completes.
        if self._out.pending and not self._wlock.locked:
            self._flush()

    def _fill(self) -> None:
        """Read ciphertext from the conn into the incoming BIO; EOF marks the BIO's end."""
        n = self._conn.read(self._rbuf)
        if n:
            self._in.write(memoryview(self._rbuf)[:n])
        else:
            self._in.write_eof()

    # -- handshake -----------------------------------------------------------------------------

    def handshake(self) -> None:
        """Run the TLS handshake now (read/write run it on first use).

        Deadlines set on this conn bound it.

        Raises:
            ssl.SSLError: e.g. ssl.SSLCertVerificationError; a failed handshake fails every
                later call with the same error.
            OpError: from the underlying conn (timeout, reset, closed).

        Go: Conn.Handshake.
        """
        if self._handshake_done:
            return
        if self._closed:
            raise ErrClosed()
        self._hlock.acquire()
        try:
            if self._handshake_err is not None:
                raise self._handshake_err
            if self._handshake_done:
                return
            try:
                while True:
                    try:
                        self._ssl.do_handshake()
                        break
                    except ssl.SSLWantReadError:
                        self._flush()
                        self._fill()
                self._flush()
            except BaseException as e:
                self._handshake_err = e
                if isinstance(e, ssl.SSLError):
                    try:
                        self._flush()  # let the peer see our alert
                    except OSError:
                        pass
                raise
            self._handshake_done = True
        finally:
            self._hlock.release()

    # Python: socket.makefile — a file over the conn whose reads park (the function's overloads
    # type each mode's file).
    makefile = _makefile

    # -- I/O -----------------------------------------------------------------------------------

    def read(self, buf: bytearray | memoryview) -> int:
        """Read decrypted bytes into buf; return the count, 0 at EOF (close_notify or EOF).

        Raises:
            ssl.SSLError, or the underlying conn's OpError (timeout, closed, reset).

        Go: Conn.Read.
        """
        if self._closed:
            raise ErrClosed()  # even if decrypted bytes are still buffered, as Go
        self.handshake()
        n = len(buf)
        if not n:
            return 0
        self._rlock.acquire()
        try:
            while True:
                if self._eof:
                    return 0
                try:
                    k = cast(int, self._ssl.read(n, buf))
                except ssl.SSLWantReadError:
                    self._flush_if_free()
                    self._fill()
                    continue
                except (ssl.SSLZeroReturnError, ssl.SSLEOFError):
                    # close_notify, or an EOF without one (as Python's suppress_ragged_eofs).
                    self._eof = True
                    return 0
                self._flush_if_free()  # e.g. a TLS 1.3 KeyUpdate answer
                return k
        finally:
            self._rlock.release()

    def recv(self, n: int) -> bytes:
        """Read up to n decrypted bytes and return them; b"" at EOF."""
        if not isinstance(n, int):
            raise TypeError(f"recv size must be int, not {type(n).__name__}")
        if n < 0:
            raise ValueError(f"negative buffer size {n}")
        buf = bytearray(n)
        k = self.read(buf)
        return bytes(buf[:k])

    def write(self, data: bytes | bytearray | memoryview) -> int:
        """Encrypt and write all of data; return len(data).

        Raises:
            ssl.SSLError (e.g. after close_write), or the underlying conn's OpError.

        Go: Conn.Write.
        """
        if self._closed:
            raise ErrClosed()
        self.handshake()
        view = memoryview(data)
        if view.format != "B" or view.ndim != 1:
            view = view.cast("B")
        total = view.nbytes
        lock = self._wlock
        lock.acquire()
        try:
            for i in range(0, total, _WRITE_CHUNK):
                self._ssl.write(view[i : i + _WRITE_CHUNK])
                out = self._out
                while out.pending:
                    self._conn.write(out.read())
        finally:
            lock.release()
        return total

    sendall = write

    # -- close ---------------------------------------------------------------------------------

    def _close_notify(self) -> None:
        # Go: closeNotify — bounded by a write deadline, then further writes fail.
        if self._close_notify_sent:
            return
        self._close_notify_sent = True
        self._conn.set_write_deadline(now() + _CLOSE_NOTIFY_TIMEOUT)
        try:
            self._ssl.unwrap()
        except ssl.SSLWantReadError:
            pass  # close_notify is queued; the peer's answer is not awaited
        except ssl.SSLError:
            return
        self._flush()

    def close_write(self) -> None:
        """Send close_notify: the peer reads EOF; this end can still read. Go: Conn.CloseWrite.

        Raises:
            ssl.SSLError: the handshake has not completed.
        """
        if not self._handshake_done:
            raise ssl.SSLError("tls: CloseWrite called before handshake complete")
        self._close_notify()
        self._conn.set_write_deadline(now())

    def close(self) -> None:
        """Send close_notify (if the handshake completed and no write is in flight), then close
        the underlying conn.

        Raises:
            OpError (ErrClosed): already closed.

        Go: Conn.Close.
        """
        if self._closed:
            self._conn.close()  # raises "use of closed network connection", as Go
            return
        self._closed = True
        try:
            if self._handshake_done and not self._wlock.locked:
                try:
                    self._close_notify()
                except OSError:
                    pass  # closed anyway, as Go does
        finally:
            self._conn.close()

    @property
    def closed(self) -> bool:
        """Whether close() has been called."""
        return self._closed

    def __enter__(self) -> TLSConn:
        return self

    def __exit__(self, *exc: Any) -> None:
        if not self._closed:
            self.close()

    def __repr__(self) -> str:
        side = "server" if self._ssl.server_side else "client"
        return f"<TLSConn {side} over {self._conn!r}>"

    # -- delegation and state ------------------------------------------------------------------

    def net_conn(self) -> Conn:
        """Return the underlying conn. Go: Conn.NetConn."""
        return self._conn

    def local_addr(self) -> Addr | None:
        """Return the underlying conn's local address."""
        return self._conn.local_addr()

    def remote_addr(self) -> Addr | None:
        """Return the underlying conn's remote address."""
        return self._conn.remote_addr()

    def set_deadline(self, t: float | None) -> None:
        """Set the read and write deadline of the underlying conn (handshake included)."""
        self._conn.set_deadline(t)

    def set_read_deadline(self, t: float | None) -> None:
        """Set the underlying conn's read deadline."""
        self._conn.set_read_deadline(t)

    def set_write_deadline(self, t: float | None) -> None:
        """Set the underlying conn's write deadline."""
        self._conn.set_write_deadline(t)

    def version(self) -> str | None:
        """Return the negotiated protocol version ("TLSv1.3"), None before the handshake."""
        return self._ssl.version()

    def cipher(self) -> tuple[str, str, int] | None:
        """Return (cipher name, protocol, secret bits), None before the handshake."""
        return self._ssl.cipher()

    def selected_alpn_protocol(self) -> str | None:
        """Return the ALPN protocol agreed on, or None."""
        return self._ssl.selected_alpn_protocol()

    def getpeercert(self, binary_form: bool = False) -> Any:
        """Return the peer's certificate (as ssl.SSLObject.getpeercert)."""
        return self._ssl.getpeercert(binary_form)

    @property
    def server_hostname(self) -> str | None:
        """The name the client verifies the server's certificate against."""
        return self._ssl.server_hostname


def client(conn: Conn, server_hostname: str | None = None, context: ssl.SSLContext | None = None) -> TLSConn:
    """Return the client side of a TLS connection over conn; the handshake runs on first use.

    Args:
        conn: a connected gonet conn (TCPConn, UnixConn, a pipe end, ...).
        server_hostname: the name to verify the server's certificate against (and SNI).
        context: the ssl.SSLContext; default ssl.create_default_context() (system CAs,
            hostname checking).

    Raises:
        ValueError: the context checks hostnames but no server_hostname was given.

    Go: tls.Client.
    """
    if context is None:
        context = ssl.create_default_context()
    if isinstance(context, ssl.SSLContext) and context.check_hostname and not server_hostname:
        # ssl would only notice at handshake time, with a less helpful message.
        raise ValueError(
            "tls.client: the context checks host names, so server_hostname is "
            "required (or set context.check_hostname = False)"
        )
    return TLSConn(conn, context, False, server_hostname)


def server(conn: Conn, context: ssl.SSLContext) -> TLSConn:
    """Return the server side of a TLS connection over conn; the handshake runs on first use.

    Args:
        conn: an accepted gonet conn.
        context: an ssl.SSLContext with the server's certificate chain loaded.

    Go: tls.Server.
    """
    return TLSConn(conn, context, True, None)
