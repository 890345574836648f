# gonet._accel_modules: the names of the hot modules that the build compiles with Cython.
#
# Kept apart from gonet._accel so that setup.py can read the list (runpy) without running
# _accel's import-time choice of implementation. Invariant: this file imports nothing and does
# nothing but define ACCELERATED.
#
# Not gonet._sema / _chan / _select / sync: their thread-mode switch finds in-flight operations by their
# Python frames, which compiled functions do not have.
ACCELERATED = (
    "gonet.runtime._time",
    "gonet.runtime._proc",
    "gonet.runtime._netpoll",
    "gonet._poll._fd_mutex",
    "gonet._poll._fd_unix",
    "gonet.net._net",
    "gonet.net.url",
    "gonet.http._header",
    "gonet.http._request",
    "gonet.http._pattern",
    "gonet.http._routing_tree",
    "gonet.http._servemux",
    "gonet.http._transfer",
    "gonet.http._server",
    "gonet.http._wsgi",
)
