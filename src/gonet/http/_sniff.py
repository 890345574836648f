# gonet.http._sniff: Content-Type sniffing (Go: net/http/sniff.go, the WHATWG MIME Sniffing
# algorithm as Go implements it).
#
# Invariants: at most the first 512 bytes are looked at; the signatures are tried in Go's
# order and the first match wins; the answer is always a valid MIME type
# ("application/octet-stream" when nothing matches).
from __future__ import annotations

from collections.abc import Callable

__all__ = ["detect_content_type", "SNIFF_LEN"]

SNIFF_LEN = 512
"""How many leading bytes detect_content_type considers. Go: sniffLen."""

_WS = b"\t\n\x0c\r "
_HTML = "text/html; charset=utf-8"
_TEXT = "text/plain; charset=utf-8"
_BINARY = frozenset(set(range(0x09)) | {0x0B} | set(range(0x0E, 0x1B)) | set(range(0x1C, 0x20)))
_BINARY_BYTES = bytes(sorted(_BINARY))

Sig = Callable[[bytes, int], str]


def _html(tag: bytes) -> Sig:
    """Match an HTML tag, case-insensitively, followed by a space or '>'. Go: htmlSig."""
    n = len(tag)

    def match(data: bytes, first: int) -> str:
        d = data[first:]
        if len(d) < n + 1:
            return ""
        for i in range(n):
            b = tag[i]
            db = d[i]
            if 0x41 <= b <= 0x5A:
                db &= 0xDF
            if b != db:
                return ""
        if d[n] not in b" >":
            return ""
        return _HTML

    return match


def _masked(mask: bytes, pat: bytes, ct: str, skip_ws: bool = False) -> Sig:
    """Match pat under mask. Go: maskedSig."""

    def match(data: bytes, first: int) -> str:
        d = data[first:] if skip_ws else data
        if len(pat) != len(mask) or len(d) < len(pat):
            return ""
        for i in range(len(pat)):
            if d[i] & mask[i] != pat[i]:
                return ""
        return ct

    return match


def _exact(sig: bytes, ct: str) -> Sig:
    """Match a prefix. Go: exactSig."""

    def match(data: bytes, first: int) -> str:
        return ct if data.startswith(sig) else ""

    return match


def _mp4(data: bytes, first: int) -> str:
    """Match an ISO base media file with an mp4 brand. Go: mp4Sig."""
    if len(data) < 12:
        return ""
    box = int.from_bytes(data[:4], "big")
    if len(data) < box or box % 4 != 0:
        return ""
    if data[4:8] != b"ftyp":
        return ""
    for st in range(8, box, 4):
        if st == 12:
            continue  # the minor version number
        if data[st : st + 3] == b"mp4":
            return "video/mp4"
    return ""


def _text(data: bytes, first: int) -> str:
    """Match data with no binary control bytes. Go: textSig."""
    if data[first:].translate(None, _BINARY_BYTES) != data[first:]:
        return ""
    return _TEXT


_SIGNATURES: tuple[Sig, ...] = (
    *(
        _html(t)
        for t in (
            b"<!DOCTYPE HTML",
            b"<HTML",
            b"<HEAD",
            b"<SCRIPT",
            b"<IFRAME",
            b"<H1",
            b"<DIV",
            b"<FONT",
            b"<TABLE",
            b"<A",
            b"<STYLE",
            b"<TITLE",
            b"<B",
            b"<BODY",
            b"<BR",
            b"<P",
            b"<!--",
        )
    ),
    _masked(b"\xff\xff\xff\xff\xff", b"<?xml", "text/xml; charset=utf-8", skip_ws=True),
    _exact(b"%PDF-", "application/pdf"),
    _exact(b"%!PS-Adobe-", "application/postscript"),
    # UTF byte order marks.
    _masked(b"\xff\xff\x00\x00", b"\xfe\xff\x00\x00", "text/plain; charset=utf-16be"),
    _masked(b"\xff\xff\x00\x00", b"\xff\xfe\x00\x00", "text/plain; charset=utf-16le"),
    _masked(b"\xff\xff\xff\x00", b"\xef\xbb\xbf\x00", _TEXT),
    # Images.
    _exact(b"\x00\x00\x01\x00", "image/x-icon"),
    _exact(b"\x00\x00\x02\x00", "image/x-icon"),
    _exact(b"BM", "image/bmp"),
    _exact(b"GIF87a", "image/gif"),
    _exact(b"GIF89a", "image/gif"),
    _masked(
        b"\xff\xff\xff\xff\x00\x00\x00\x00\xff\xff\xff\xff\xff\xff",
        b"RIFF\x00\x00\x00\x00WEBPVP",
        "image/webp",
    ),
    _exact(b"\x89PNG\x0d\x0a\x1a\x0a", "image/png"),
    _exact(b"\xff\xd8\xff", "image/jpeg"),
    # Audio and video.
    _masked(b"\xff\xff\xff\xff\x00\x00\x00\x00\xff\xff\xff\xff", b"FORM\x00\x00\x00\x00AIFF", "audio/aiff"),
    _masked(b"\xff\xff\xff", b"ID3", "audio/mpeg"),
    _masked(b"\xff\xff\xff\xff\xff", b"OggS\x00", "application/ogg"),
    _masked(b"\xff\xff\xff\xff\xff\xff\xff\xff", b"MThd\x00\x00\x00\x06", "audio/midi"),
    _masked(b"\xff\xff\xff\xff\x00\x00\x00\x00\xff\xff\xff\xff", b"RIFF\x00\x00\x00\x00AVI ", "video/avi"),
    _masked(b"\xff\xff\xff\xff\x00\x00\x00\x00\xff\xff\xff\xff", b"RIFF\x00\x00\x00\x00WAVE", "audio/wave"),
    _mp4,
    _exact(b"\x1a\x45\xdf\xa3", "video/webm"),
    # Fonts.
    _masked(b"\xff" * 10 + b"\x00" * 24 + b"\xff\xff", b"\x00" * 34 + b"LP", "application/vnd.ms-fontobject"),
    _exact(b"\x00\x01\x00\x00", "font/ttf"),
    _exact(b"OTTO", "font/otf"),
    _exact(b"ttcf", "font/collection"),
    _exact(b"wOFF", "font/woff"),
    _exact(b"wOF2", "font/woff2"),
    # Archives.
    _exact(b"\x1f\x8b\x08", "application/x-gzip"),
    _exact(b"PK\x03\x04", "application/zip"),
    _exact(b"Rar!\x1a\x07\x00", "application/x-rar-compressed"),
    _exact(b"Rar!\x1a\x07\x01\x00", "application/x-rar-compressed"),
    _exact(b"\x00\x61\x73\x6d", "application/wasm"),
    _text,  # last
)


def detect_content_type(data: bytes | bytearray | memoryview) -> str:
    """Return the MIME type of data judged from its first 512 bytes. Go: http.DetectContentType.

    Returns:
        A type such as "text/html; charset=utf-8", "image/png", "text/plain; charset=utf-8",
        or "application/octet-stream" when nothing matches.
    """
    d = bytes(data[:SNIFF_LEN])
    first = len(d) - len(d.lstrip(_WS))
    for sig in _SIGNATURES:
        ct = sig(d, first)
        if ct:
            return ct
    return "application/octet-stream"
