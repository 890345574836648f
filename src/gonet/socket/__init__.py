# gonet.socket: the stdlib socket module's surface, with sockets whose blocking calls park only
# the calling goroutine (Go: package net's netFD over the netpoller; Python: socket).
#
# Everything the stdlib module exports is re-exported (constants, exceptions, helpers); the
# names below are gonet's own: the socket class, the functions that make sockets, and the name
# lookups (on the lookup thread pool). In a plain thread every one of them behaves exactly as
# the stdlib's. gonet.patch.socket() installs them into the stdlib module for libraries.
from socket import *  # noqa: F403 - the stdlib module's whole surface (constants, errors)
from socket import __all__ as _std_all

from gonet.socket._create import create_connection as create_connection
from gonet.socket._create import create_server as create_server
from gonet.socket._dns import getaddrinfo as getaddrinfo
from gonet.socket._dns import getfqdn as getfqdn
from gonet.socket._dns import gethostbyaddr as gethostbyaddr
from gonet.socket._dns import gethostbyname as gethostbyname
from gonet.socket._dns import gethostbyname_ex as gethostbyname_ex
from gonet.socket._dns import getnameinfo as getnameinfo
from gonet.socket._socket import fromfd as fromfd  # type: ignore[assignment]
from gonet.socket._socket import socket as socket
from gonet.socket._socket import socketpair as socketpair

__all__ = sorted(
    {
        *_std_all,
        "socket",
        "socketpair",
        "fromfd",
        "create_connection",
        "create_server",
        "getaddrinfo",
        "gethostbyname",
        "gethostbyname_ex",
        "gethostbyaddr",
        "getnameinfo",
        "getfqdn",
    }
)
