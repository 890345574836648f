"""Every failure is an OpError (an OSError) with Go's fields and message shape, and is also an
instance of the natural Python class of its cause; bad arguments get Go's texts or
TypeError/ValueError."""

from __future__ import annotations

import errno
import socket

import pytest
from helpers import held_closed_port, parked, spawn, tcp_pair, wait_until

import gonet
from gonet import net


def test_connection_refused_shape() -> None:
    holder, port = held_closed_port()
    with holder, pytest.raises(ConnectionRefusedError) as ei:
        net.dial("tcp", f"127.0.0.1:{port}")
    e = ei.value
    assert isinstance(e, net.OpError)
    assert isinstance(e, OSError)
    assert (e.op, e.net, e.source) == ("dial", "tcp", None)
    assert e.addr == net.TCPAddr("127.0.0.1", port)
    assert isinstance(e.err, ConnectionRefusedError)
    assert e.errno == errno.ECONNREFUSED
    assert str(e) == f"dial tcp 127.0.0.1:{port}: connect: connection refused"
    assert not e.timeout()


def test_connection_reset_on_read() -> None:
    with tcp_pair() as (c, s):
        r = spawn(s.recv, 10)
        wait_until(parked(r, "IO wait"))
        c.set_linger(0)
        c.close()  # RST
        e = r.exception()
        assert isinstance(e, ConnectionResetError)
        assert isinstance(e, net.OpError)
        assert e.op == "read"
        assert e.errno == errno.ECONNRESET
        assert e.source == s.local_addr()
        assert e.addr == s.remote_addr()
        assert str(e) == (f"read tcp {s.local_addr()}->{s.remote_addr()}: read: connection reset by peer")


def test_broken_pipe_on_write_after_close_write() -> None:
    with tcp_pair() as (c, s):
        c.close_write()
        with pytest.raises(BrokenPipeError) as ei:
            c.write(b"after shutdown")
        e = ei.value
        assert isinstance(e, net.OpError)
        assert e.op == "write"
        assert e.errno == errno.EPIPE
        assert e.written == 0
        assert str(e) == f"write tcp {c.local_addr()}->{c.remote_addr()}: write: broken pipe"


def test_timeout_error_shape() -> None:
    with tcp_pair() as (c, s):
        s.set_read_deadline(gonet.now() - 1)
        with pytest.raises(net.DeadlineExceededError) as ei:
            s.recv(1)
        e = ei.value
        assert isinstance(e, TimeoutError)
        assert isinstance(e, net.OpError)
        assert isinstance(e.err, net.DeadlineExceededError)
        assert e.timeout()
        assert str(e) == f"read tcp {s.local_addr()}->{s.remote_addr()}: i/o timeout"
        assert str(e.err) == "i/o timeout"


def test_closed_error_shape_and_addresses_pinned_before_close() -> None:
    with tcp_pair() as (c, s):
        local, remote = c.local_addr(), c.remote_addr()
        c.close()
        with pytest.raises(net.ErrClosed) as ei:
            c.write(b"x")
        e = ei.value
        assert isinstance(e, net.OpError)
        assert isinstance(e, OSError)
        assert str(e) == f"write tcp {local}->{remote}: use of closed network connection"
        assert isinstance(e.err, net.ErrClosed)


def test_every_error_is_catchable_as_op_error_and_oserror() -> None:
    holder, port = held_closed_port()
    with holder:
        for exc_type in (net.OpError, OSError, ConnectionError):
            with pytest.raises(exc_type):
                net.dial("tcp", f"127.0.0.1:{port}")


@pytest.mark.parametrize(
    ("call", "text", "types"),
    [
        (
            lambda: net.listen("tcpx", "127.0.0.1:0"),
            "listen tcpx: unknown network tcpx",
            (net.UnknownNetworkError, ValueError),
        ),
        (
            lambda: net.dial("tcpx", "127.0.0.1:1"),
            "dial tcpx: unknown network tcpx",
            (net.UnknownNetworkError, ValueError),
        ),
        (
            lambda: net.dial("tcp", "127.0.0.1"),
            "dial tcp: address 127.0.0.1: missing port in address",
            (net.AddrError, ValueError),
        ),
        (
            lambda: net.listen("tcp", "127.0.0.1"),
            "listen tcp: address 127.0.0.1: missing port in address",
            (net.AddrError, ValueError),
        ),
        (
            lambda: net.dial("tcp", "::1:80"),
            "dial tcp: address ::1:80: too many colons in address",
            (net.AddrError, ValueError),
        ),
        (lambda: net.dial("tcp", ""), "dial tcp: missing address", (net.AddrError, ValueError)),
        (
            lambda: net.dial("tcp", "127.0.0.1:99999"),
            "dial tcp: address 99999: invalid port",
            (net.AddrError, ValueError),
        ),
    ],
)
def test_bad_arguments_get_go_texts(call: object, text: str, types: tuple[type, ...]) -> None:
    with pytest.raises(net.OpError) as ei:
        call()  # type: ignore[operator]
    assert str(ei.value) == text
    for t in types:
        assert isinstance(ei.value, t), t


def test_wrong_argument_types_are_type_errors() -> None:
    with pytest.raises(TypeError):
        net.dial(1, "127.0.0.1:80")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        net.listen("tcp", ("127.0.0.1", 0))  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        net.dial("tcp", "127.0.0.1:80", timeout="5")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="backlog must be a non-negative int, got -1"):
        net.listen("tcp", "127.0.0.1:0", backlog=-1)
    with tcp_pair() as (c, s):
        with pytest.raises(ValueError, match="-1"):
            c.recv(-1)
        with pytest.raises(TypeError):
            c.recv(1.5)
        with pytest.raises(ValueError, match="-5"):
            c.set_read_buffer(-5)


def test_with_block_on_an_already_closed_conn_and_listener_is_quiet() -> None:
    with tcp_pair() as (c, s), c:
        c.close()
    ln = net.listen("tcp", "127.0.0.1:0")
    with ln:
        ln.close()
    assert c.closed
    assert ln.closed


def test_errors_from_a_socketpair_fd_keep_python_types() -> None:
    # Below net: the fd layer raises raw causes, which OpError keeps in .err.
    from gonet._poll import FD

    a, b = socket.socketpair()
    fd = FD(a)
    try:
        b.close()
        assert fd.recv(10) == b""
        with pytest.raises(BrokenPipeError):
            fd.write(b"x" * 10)
    finally:
        fd.close()
    with pytest.raises(net.ErrClosed):
        fd.close()


# -- temporary(): which failures a server should ride out ----------------------------------------


def _oserr(code: int) -> OSError:
    return OSError(code, __import__("os").strerror(code))


@pytest.mark.parametrize(
    ("op", "cause", "temporary"),
    [
        ("accept", _oserr(errno.EMFILE), True),
        ("accept", _oserr(errno.ENFILE), True),
        ("accept", ConnectionAbortedError(errno.ECONNABORTED, "Software caused connection abort"), True),
        ("accept", ConnectionResetError(errno.ECONNRESET, "Connection reset by peer"), True),
        ("read", ConnectionResetError(errno.ECONNRESET, "Connection reset by peer"), False),
        ("dial", ConnectionRefusedError(errno.ECONNREFUSED, "Connection refused"), False),
        ("read", net.DeadlineExceededError(), True),
        ("accept", net.ErrClosed(), False),
        ("dial", net.DNSError("temporary failure in name resolution", "x.test", is_temporary=True), True),
        ("dial", net.DNSError("no such host", "x.test", is_not_found=True), False),
        ("dial", net.DNSError("i/o timeout", "x.test", is_timeout=True), True),
        ("accept", _oserr(errno.ENOBUFS), False),  # Go's Errno.Temporary leaves it out too
    ],
)
def test_op_error_temporary_follows_go(op: str, cause: BaseException, temporary: bool) -> None:
    e = net.OpError(op, "tcp", None, net.TCPAddr("127.0.0.1", 80), cause)
    assert e.temporary() is temporary
    assert gonet.errors.op_error(op, "tcp", None, None, cause).temporary() is temporary


def test_emfile_from_accept_is_temporary_not_a_timeout() -> None:
    e = gonet.errors.op_error(
        "accept", "tcp", None, net.TCPAddr("::", 8080), _oserr(errno.EMFILE), syscall="accept"
    )
    assert (e.temporary(), e.timeout(), e.errno) == (True, False, errno.EMFILE)
    assert str(e) == "accept tcp [::]:8080: accept: too many open files"


def test_try_again_from_the_resolver_is_a_temporary_dns_error() -> None:
    def gai(host, port, family=0, type=0, proto=0, flags=0):
        raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")

    r = net.Resolver(getaddrinfo=gai)
    with pytest.raises(net.DNSError) as ei:
        r.lookup_host("flaky.test")
    e = ei.value
    assert str(e) == "lookup flaky.test: temporary failure in name resolution"
    assert (e.is_temporary, e.temporary(), e.timeout(), e.is_not_found) == (True, True, False, False)
    with pytest.raises(net.OpError) as oi:
        net.Dialer(resolver=r).dial("tcp", "flaky.test:80")
    assert str(oi.value) == "dial tcp: lookup flaky.test: temporary failure in name resolution"
    assert oi.value.temporary() is True


def test_not_found_is_not_temporary() -> None:
    def gai(host, port, family=0, type=0, proto=0, flags=0):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    with pytest.raises(net.DNSError) as ei:
        net.Resolver(getaddrinfo=gai).lookup_host("nope.test")
    assert (ei.value.is_temporary, ei.value.temporary()) == (False, False)


# -- common mistakes get messages that say what to do ---------------------------------------------


@pytest.mark.parametrize(
    ("arg", "text"),
    [
        (100, "read needs a writable buffer such as bytearray(100); use recv(100) for bytes"),
        (b"abc", "read needs a writable buffer such as bytearray(n), not bytes; use recv(n) for bytes"),
        ("abc", "read needs a writable buffer such as bytearray(n), not str; use recv(n) for bytes"),
    ],
)
def test_read_with_a_size_or_readonly_buffer_explains_itself(arg: object, text: str) -> None:
    with tcp_pair() as (c, s):
        c.write(b"x")
        with pytest.raises(TypeError) as ei:
            s.read(arg)  # type: ignore[arg-type]
        assert str(ei.value) == text
        assert s.recv(1) == b"x"  # the failed call consumed nothing
    a, b = net.pipe()
    with a, b, pytest.raises(TypeError) as ei:
        a.read(arg)  # type: ignore[arg-type]
    assert str(ei.value) == text


def test_read_from_with_a_size_explains_itself() -> None:
    with net.listen_packet("udp", "127.0.0.1:0") as pc:
        with pytest.raises(TypeError) as ei:
            pc.read_from(512)  # type: ignore[arg-type]
        assert str(ei.value) == (
            "read_from needs a writable buffer such as bytearray(512); use recv_from(512) for bytes"
        )


def test_select_given_a_channel_instead_of_a_case_explains_itself() -> None:
    ch: gonet.Chan[int] = gonet.Chan(1)
    with pytest.raises(TypeError) as ei:
        gonet.select(ch)  # type: ignore[arg-type]
    assert str(ei.value) == ("select takes cases such as ch.recv_case() or ch.send_case(v), not a Chan")
    with pytest.raises(TypeError) as ei:
        gonet.select(ch.recv_case(), 5)  # type: ignore[arg-type]
    assert str(ei.value) == ("select takes cases such as ch.recv_case() or ch.send_case(v), not int")
