# gonet.socket._create: create_connection and create_server, the stdlib's own code run over
# gonet's socket class and resolver (Python: socket.create_connection / socket.create_server).
#
# The functions are the stdlib's code objects bound to a copy of the stdlib module's globals in
# which `socket` and `getaddrinfo` are gonet's: the behaviour (error choice, all_errors,
# dual-stack, SO_REUSEADDR) stays the interpreter's own, version for version, and nothing in the
# stdlib module is modified.
from __future__ import annotations

import socket as _std
import types
from collections.abc import Callable
from typing import Any

from gonet.socket._dns import getaddrinfo
from gonet.socket._socket import socket

__all__ = ["create_connection", "create_server"]

_GLOBALS: dict[str, Any] = dict(vars(_std))
_GLOBALS.update(socket=socket, getaddrinfo=getaddrinfo)


def _rebind(fn: Callable[..., Any]) -> Callable[..., Any]:
    g = types.FunctionType(fn.__code__, _GLOBALS, fn.__name__, fn.__defaults__, fn.__closure__)
    g.__kwdefaults__ = fn.__kwdefaults__
    g.__doc__ = fn.__doc__
    g.__module__ = "gonet.socket"
    return g


create_connection: Callable[..., socket] = _rebind(_std.create_connection)
create_server: Callable[..., socket] = _rebind(_std.create_server)
