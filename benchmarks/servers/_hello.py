# _hello.py - the one HTTP application every benchmark server serves, in WSGI form.
"""The HTTP benchmark contract: `GET /` and `POST /post` (whole body read) answer "Hello, World!".

Every HTTP server script serves exactly this: the same status, headers and 13-byte text/plain
body, so the servers differ only in how they get there. Anything else is 404 (405 for a wrong
method on a known path).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

BODY = b"Hello, World!"
CONTENT_TYPE = "text/plain"
HEADERS = [("Content-Type", CONTENT_TYPE), ("Content-Length", str(len(BODY)))]
POST_PATH = "/post"
READ_CHUNK = 65536


def route(method: str, path: str) -> int:
    """Return the status the contract gives (method, path): 200, 404 or 405."""
    want = {"/": ("GET", "HEAD"), POST_PATH: ("POST",)}.get(path)
    if want is None:
        return 404
    return 200 if method in want else 405


def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    """Serve the contract as a WSGI application (PEP 3333)."""
    status = route(environ["REQUEST_METHOD"], environ.get("PATH_INFO", ""))
    if status != 200:
        text = b"404 page not found\n" if status == 404 else b"Method Not Allowed\n"
        start_response(
            f"{status} {'Not Found' if status == 404 else 'Method Not Allowed'}",
            [("Content-Type", "text/plain"), ("Content-Length", str(len(text)))],
        )
        return [text]
    if environ["REQUEST_METHOD"] == "POST":
        # PEP 3333: read no further than CONTENT_LENGTH (a server may block past it).
        body, left = environ["wsgi.input"], int(environ.get("CONTENT_LENGTH") or 0)
        while left > 0:
            chunk = body.read(min(left, READ_CHUNK))
            if not chunk:
                break
            left -= len(chunk)
    start_response("200 OK", HEADERS)
    return [BODY]


def report_port(port: int) -> None:
    """Print the listening port as the first stdout line, flushed, for the runner."""
    print(port, flush=True)
