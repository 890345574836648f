# gonet.net: Go's net package in blocking style — listen, dial, Conn, Listener, addresses, errors.
#
# Every blocking call parks only the calling goroutine; the socket underneath is non-blocking and
# registered once with the scheduler's edge-triggered epoll.
from gonet.errors import (
    AddrError,
    DeadlineExceededError,
    DNSError,
    ErrClosed,
    InvalidAddrError,
    OpError,
    UnknownNetworkError,
)
from gonet.net._dial import Dialer, dial, listen
from gonet.net._ipsock import TCPAddr, UDPAddr, join_host_port, split_host_port
from gonet.net._lookup import lookup_ip_addrs
from gonet.net._net import Conn, Listener
from gonet.net._tcpsock import TCPConn, TCPListener
from gonet.net._unixsock import UnixAddr, UnixConn, UnixListener

__all__ = [
    "listen", "dial", "Dialer", "Conn", "Listener", "TCPConn", "TCPListener", "UnixConn",
    "UnixListener", "TCPAddr", "UDPAddr", "UnixAddr", "split_host_port", "join_host_port",
    "lookup_ip_addrs", "OpError", "AddrError", "UnknownNetworkError", "InvalidAddrError",
    "DNSError", "ErrClosed", "DeadlineExceededError",
]
