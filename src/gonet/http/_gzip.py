# gonet.http._gzip: the transport's transparent gzip decoding of response bodies
# (Go: transport.go's gzipReader over compress/gzip).
#
# Invariants: the wrapped body is read lazily (nothing is decompressed before the first read);
# closing the gzip reader closes the wrapped body (which releases the connection); a stream
# that ends early or does not decode fails the read with Go's texts ("unexpected EOF",
# "gzip: invalid header", "gzip: invalid checksum").
from __future__ import annotations

import zlib
from typing import Any

from gonet.errors import ErrBodyReadAfterClose, HTTPError
from gonet.io import ErrUnexpectedEOF

__all__ = ["GzipReader"]

_CHUNK = 32 * 1024


class GzipReader:
    """Decompress a gzip-encoded response body on read. Go: http.gzipReader."""

    __slots__ = ("_body", "_z", "_pending", "_eof", "_closed", "_started")

    def __init__(self, body: Any) -> None:
        self._body = body
        self._z = zlib.decompressobj(16 + zlib.MAX_WBITS)
        self._pending = b""
        self._eof = False
        self._closed = False
        self._started = False

    def _decode(self, data: bytes) -> bytes:
        try:
            out = self._z.decompress(data)
        except zlib.error as e:
            self._body.close()
            text = str(e)
            if "header" in text:
                raise HTTPError("gzip: invalid header") from e
            if "check" in text:
                raise HTTPError("gzip: invalid checksum") from e
            raise HTTPError(f"gzip: {text}") from e
        self._started = True
        return out

    def _more(self) -> bytes:
        """Decompress until some output or the end; b"" at the end."""
        while not self._eof:
            z = self._z
            if z.eof:
                # Go's gzip reader reads concatenated members; trailing garbage is an error.
                rest = z.unused_data + self._body.read(_CHUNK)
                if not rest:
                    self._eof = True
                    self._body.read()  # reach the body's end so the connection is released
                    break
                self._z = zlib.decompressobj(16 + zlib.MAX_WBITS)
                out = self._decode(rest)
            else:
                data = self._body.read(_CHUNK)
                if not data:
                    if not self._started:
                        self._eof = True  # an empty body: Go's gzip.NewReader reports io.EOF
                        break
                    self._body.close()
                    raise ErrUnexpectedEOF()
                out = self._decode(data)
            if out:
                return out
        return b""

    def read(self, n: int = -1) -> bytes:
        """Read up to n decompressed bytes (all when n < 0); b"" at the end.

        Raises:
            HTTPError: the stream is not valid gzip ("gzip: invalid header").
            ErrUnexpectedEOF: the stream ended before its end.
        """
        if self._closed:
            raise ErrBodyReadAfterClose()
        if n < 0:
            parts = [self._pending]
            self._pending = b""
            while True:
                out = self._more()
                if not out:
                    return b"".join(parts)
                parts.append(out)
        if n == 0:
            return b""
        if not self._pending:
            self._pending = self._more()
        data, self._pending = self._pending[:n], self._pending[n:]
        return data

    def readinto(self, buf: bytearray | memoryview) -> int:
        """Read into buf; return the count, 0 at the end."""
        data = self.read(len(buf))
        buf[: len(data)] = data
        return len(data)

    def close(self) -> None:
        """Close the underlying body."""
        self._closed = True
        self._body.close()

    def __iter__(self) -> GzipReader:
        return self

    def __next__(self) -> bytes:
        data = self.read(_CHUNK)
        if not data:
            raise StopIteration
        return data
