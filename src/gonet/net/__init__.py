# gonet.net: Go's net package in blocking style — listen, dial, Conn, Listener, datagrams,
# pipes, name resolution, addresses, errors.
#
# Every blocking call parks only the calling goroutine; the socket underneath is non-blocking and
# registered once with the scheduler's edge-triggered epoll.
#
# Conn, PacketConn, Listener and Addr are interfaces (Protocols, as in Go): TCPConn, UnixConn,
# PipeConn and tls.TLSConn are all Conns; UDPConn and UnixConn are also PacketConns.
from gonet.errors import (
    AddrError,
    DeadlineExceededError,
    DNSError,
    ErrClosed,
    InvalidAddrError,
    OpError,
    UnknownNetworkError,
)
from gonet.net._dial import Dialer, dial
from gonet.net._iface import Addr, Conn, Listener, PacketConn
from gonet.net._ipsock import TCPAddr, UDPAddr, join_host_port, split_host_port
from gonet.net._listen import listen, listen_packet
from gonet.net._lookup import (
    AddrInfo,
    DNSTimeoutError,
    GetAddrInfo,
    Resolver,
    default_resolver,
    lookup_addr,
    lookup_host,
    lookup_ip,
    lookup_ip_addrs,
    lookup_port,
)
from gonet.net._net import ErrWriteToConnected
from gonet.net._pipe import ErrClosedPipe, PipeAddr, PipeConn, pipe
from gonet.net._rawconn import RawConn
from gonet.net._resolve import resolve_tcp_addr, resolve_udp_addr, resolve_unix_addr
from gonet.net._tcpsock import TCPConn, TCPListener
from gonet.net._udpsock import UDPConn
from gonet.net._unixsock import UnixAddr, UnixConn, UnixListener

__all__ = [
    "listen",
    "listen_packet",
    "dial",
    "Dialer",
    "pipe",
    "Addr",
    "Conn",
    "PacketConn",
    "Listener",
    "TCPConn",
    "TCPListener",
    "UDPConn",
    "UnixConn",
    "UnixListener",
    "PipeConn",
    "RawConn",
    "TCPAddr",
    "UDPAddr",
    "UnixAddr",
    "PipeAddr",
    "split_host_port",
    "join_host_port",
    "resolve_tcp_addr",
    "resolve_udp_addr",
    "resolve_unix_addr",
    "Resolver",
    "GetAddrInfo",
    "AddrInfo",
    "default_resolver",
    "lookup_host",
    "lookup_ip",
    "lookup_port",
    "lookup_addr",
    "lookup_ip_addrs",
    "OpError",
    "AddrError",
    "UnknownNetworkError",
    "InvalidAddrError",
    "DNSError",
    "DNSTimeoutError",
    "ErrClosed",
    "ErrClosedPipe",
    "ErrWriteToConnected",
    "DeadlineExceededError",
]
