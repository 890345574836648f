"""A reverse proxy in the style of Go's httputil.ReverseProxy, on gonet.http's server and client.

Every request is sent on to the target by an http.Client (keep-alive pool, no redirect
following: a redirect goes back to the client as is); the response streams back as it arrives.
Hop-by-hop headers are dropped both ways (RFC 9110 7.6.1, including those Connection names), the
client's address is appended to X-Forwarded-For, X-Forwarded-Host and -Proto are set, and an
unreachable target is a 502 Bad Gateway. The request's context goes with the outgoing request:
if the client disconnects, the upstream request is abandoned too.

Run: python examples/http_proxy.py LISTEN_ADDR TARGET_URL
e.g. python examples/http_proxy.py 127.0.0.1:8081 http://127.0.0.1:8080   (with examples/http_hello.py)
"""

from __future__ import annotations

import logging
import sys

from gonet import http, net
from gonet.net.url import parse

HOP_BY_HOP = (
    "Connection",
    "Proxy-Connection",
    "Keep-Alive",
    "Proxy-Authenticate",
    "Proxy-Authorization",
    "Te",
    "Trailer",
    "Transfer-Encoding",
    "Upgrade",
)
log = logging.getLogger("http_proxy")


def remove_hop_by_hop(h: http.Header) -> None:
    """Delete the hop-by-hop headers, and those the Connection header names, from h."""
    for v in h.values("Connection"):
        for name in v.split(","):
            if name.strip():
                h.delete(name.strip())
    for name in HOP_BY_HOP:
        h.delete(name)


def no_redirects(req: http.Request, via: list[http.Request]) -> None:
    """Hand every redirect back to the client unchanged. Go: return http.ErrUseLastResponse."""
    raise http.ErrUseLastResponse()


class ReverseProxy:
    """A Handler that forwards each request to target and copies the response back."""

    def __init__(self, target: str, client: http.Client | None = None) -> None:
        self.target = parse(target)
        if self.target.scheme not in ("http", "https") or not self.target.host:
            raise ValueError(f"target must be an http:// or https:// URL, not {target!r}")
        self.client = client or http.Client(check_redirect=no_redirects)

    def outgoing(self, r: http.Request) -> http.Request:
        """Build the upstream request for r: the target's scheme and host, r's path and query."""
        base = self.target.escaped_path().rstrip("/")
        url = f"{self.target.scheme}://{self.target.host}{base}{r.url.escaped_path()}"
        if r.url.raw_query:
            url += "?" + r.url.raw_query
        has_body = r.content_length != 0 or bool(r.transfer_encoding)
        out = http.new_request(r.method, url, r.body if has_body else None, ctx=r.context())
        out.content_length = r.content_length if has_body else 0
        out.header = r.header.clone()
        remove_hop_by_hop(out.header)
        client_ip = r.remote_addr.rpartition(":")[0].strip("[]")
        prior = ", ".join(out.header.values("X-Forwarded-For"))
        out.header.set("X-Forwarded-For", f"{prior}, {client_ip}" if prior else client_ip)
        out.header.set("X-Forwarded-Host", r.host)
        out.header.set("X-Forwarded-Proto", "https" if r.tls is not None else "http")
        return out

    def __call__(self, w: http.ResponseWriter, r: http.Request) -> None:
        try:
            resp = self.client.do(self.outgoing(r))
        except OSError as e:  # refused, reset, timed out (URLError is an OSError too)
            log.warning("http: proxy error: %s", e)
            w.write_header(http.STATUS_BAD_GATEWAY)
            return
        try:
            h = w.header()
            for k in resp.header:
                for v in resp.header.values(k):
                    h.add(k, v)
            remove_hop_by_hop(h)
            w.write_header(resp.status_code)
            # A body of unknown length may be a stream (server-sent events): send each piece
            # as it arrives, as Go's ReverseProxy does for ContentLength -1.
            stream = resp.content_length < 0
            while data := resp.body.read(32 * 1024):
                w.write(data)
                if stream:
                    w.flush()
        finally:
            resp.body.close()


def main(listen_addr: str, target: str) -> None:
    """Proxy every request on listen_addr to target."""
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    proxy = ReverseProxy(target)
    ln = net.listen("tcp", listen_addr)
    print(f"proxying on http://{ln.addr()} to {target}", flush=True)
    http.Server(handler=proxy, read_header_timeout=10.0, idle_timeout=90.0).serve(ln)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: http_proxy.py LISTEN_ADDR TARGET_URL")
    main(sys.argv[1], sys.argv[2])
