# gonet.http: Go's net/http on goroutines — server, client, ServeMux, WSGI hosting.
#
# One goroutine per connection runs its requests one after another; a handler is any callable
# (w, r) and writes with plain blocking calls. The modules mirror Go's files: _header.go ->
# _header.py, request.go -> _request.py, server.go -> _server.py, ...; this package only
# re-exports their public names (each section lists one module's).
from __future__ import annotations

from gonet.errors import (
    ErrAbortHandler,
    ErrBodyNotAllowed,
    ErrBodyReadAfterClose,
    ErrContentLength,
    ErrHandlerTimeout,
    ErrHijacked,
    ErrNoCookie,
    ErrServerClosed,
    ErrUseLastResponse,
    HTTPError,
    MaxBytesError,
    URLError,
)
from gonet.http._cookie import Cookie, SameSite, set_cookie
from gonet.http._header import Header, canonical_header_key
from gonet.http._iface import Body, Handler, ResponseWriter
from gonet.http._request import MAX_FORM_SIZE, NoBody, Request, new_request
from gonet.http._status import *  # noqa: F403 - the STATUS_* constants and status_text
from gonet.http._status import __all__ as _status_all
from gonet.net.url import URL

__all__ = [
    "ErrAbortHandler",
    "ErrBodyNotAllowed",
    "ErrBodyReadAfterClose",
    "ErrContentLength",
    "ErrHandlerTimeout",
    "ErrHijacked",
    "ErrNoCookie",
    "ErrServerClosed",
    "ErrUseLastResponse",
    "HTTPError",
    "MaxBytesError",
    "URLError",
    "Cookie",
    "SameSite",
    "set_cookie",
    "Header",
    "canonical_header_key",
    "Body",
    "Handler",
    "ResponseWriter",
    "MAX_FORM_SIZE",
    "NoBody",
    "Request",
    "new_request",
    "URL",
    *_status_all,
]

# -- server (_server.py, _transfer.py, _sniff.py) ---------------------------------------------
from gonet.http._server import (  # noqa: E402
    CHUNKING_THRESHOLD,
    DEFAULT_MAX_HEADER_BYTES,
    Server,
    listen_and_serve,
    listen_and_serve_tls,
)
from gonet.http._sniff import detect_content_type  # noqa: E402

__all__ += [
    "Server",
    "listen_and_serve",
    "listen_and_serve_tls",
    "DEFAULT_MAX_HEADER_BYTES",
    "CHUNKING_THRESHOLD",
    "detect_content_type",
]

# -- routing and helper handlers (_servemux.py, _pattern.py, _fs.py, _handlers.py, httptest) --
from gonet.http import httptest  # noqa: E402
from gonet.http._fs import (  # noqa: E402
    Dir,
    File,
    FileSystem,
    file_server,
    parse_time,
    serve_content,
    serve_file,
)
from gonet.http._handlers import (  # noqa: E402
    MaxBytesReader,
    error,
    max_bytes_reader,
    not_found,
    not_found_handler,
    redirect,
    redirect_handler,
    strip_prefix,
    timeout_handler,
)
from gonet.http._servemux import ServeMux, default_serve_mux, handle, handle_func, new_serve_mux  # noqa: E402

__all__ += [
    "httptest",
    "Dir",
    "File",
    "FileSystem",
    "file_server",
    "parse_time",
    "serve_content",
    "serve_file",
    "MaxBytesReader",
    "error",
    "max_bytes_reader",
    "not_found",
    "not_found_handler",
    "redirect",
    "redirect_handler",
    "strip_prefix",
    "timeout_handler",
    "ServeMux",
    "default_serve_mux",
    "handle",
    "handle_func",
    "new_serve_mux",
]

# -- client (_client.py, _transport.py, _response.py) -----------------------------------------

# -- WSGI hosting (_wsgi.py) ------------------------------------------------------------------
