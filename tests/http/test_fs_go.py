# The file server against Go 1.27's http.FileServer(http.Dir(...)): the same tree, the same
# requests, and Go's answers (status, every header but Date, the body as hex; a multipart body
# by its length, since its boundary is random). GO_OUTPUT came from a Go program doing what
# run() does below, with net/http/httptest, over a tree made as make_tree() makes it.
from __future__ import annotations

import os

from gonet.http import Dir, file_server, httptest

REQUESTS = """\
GET|/hello.txt
HEAD|/hello.txt
GET|/a.bin
GET|/page.html
GET|/noext
GET|/d.json
GET|/s.css
GET|/empty.txt
GET|/empty.txt|Range: bytes=0-5
GET|/a.bin|Range: bytes=0-9
GET|/a.bin|Range: bytes=1000-
GET|/a.bin|Range: bytes=-24
GET|/a.bin|Range: bytes=1020-5000
GET|/a.bin|Range: bytes=0-1,10-12
GET|/a.bin|Range: bytes=2000-
GET|/a.bin|Range: bytes=5-1
GET|/a.bin|Range: lines=1-2
GET|/a.bin|Range: bytes=0-1023,0-1023
GET|/a.bin|Range: bytes=0-
GET|/a.bin|Range: bytes= 1 - 2
GET|/a.bin|Range: bytes=1-2,
GET|/a.bin|Range: bytes=-0
GET|/a.bin|Range: bytes=,,
HEAD|/a.bin|Range: bytes=0-9
GET|/hello.txt|If-Modified-Since: Sun, 09 Sep 2001 01:46:40 GMT
GET|/hello.txt|If-Modified-Since: Sat, 08 Sep 2001 01:46:40 GMT
GET|/hello.txt|If-Modified-Since: garbage
POST|/hello.txt|If-Modified-Since: Sun, 09 Sep 2001 01:46:40 GMT
GET|/hello.txt|If-Unmodified-Since: Sat, 08 Sep 2001 01:46:40 GMT
GET|/hello.txt|If-Unmodified-Since: Sun, 09 Sep 2001 01:46:40 GMT
GET|/hello.txt|If-None-Match: *
POST|/hello.txt|If-None-Match: *
GET|/hello.txt|If-Match: *
GET|/hello.txt|If-Match: "x"
GET|/a.bin|Range: bytes=0-1|If-Range: Sun, 09 Sep 2001 01:46:40 GMT
GET|/a.bin|Range: bytes=0-1|If-Range: Sun, 09 Sep 2001 01:46:41 GMT
GET|/a.bin|Range: bytes=0-1|If-Range: "x"
GET|/sub
GET|/sub/
GET|/sub/index.html
GET|/sub/index.html/
GET|/hello.txt/
GET|/list/
GET|/list
GET|/noindex/
GET|/noindex/|If-Modified-Since: Sun, 09 Sep 2001 01:46:40 GMT
GET|/nope
GET|/hello.txt/x
GET|/
GET|/../hello.txt
GET|/sub/../hello.txt
GET|/./hello.txt
GET|//hello.txt
GET|hello.txt
GET|/a%2fb
"""

GO_OUTPUT = """\
GET /hello.txt -> 200 Accept-Ranges=bytes;Content-Length=13;Content-Type=text/plain; charset=utf-8;Last-Modified=Sun, 09 Sep 2001 01:46:40 GMT 13:68656c6c6f2c20776f726c640a
HEAD /hello.txt -> 200 Accept-Ranges=bytes;Content-Length=13;Content-Type=text/plain; charset=utf-8;Last-Modified=Sun, 09 Sep 2001 01:46:40 GMT 0:
GET /a.bin -> 200 Accept-Ranges=bytes;Content-Length=1024;Content-Type=application/octet-stream;Last-Modified=Sun, 09 Sep 2001 01:46:40 GMT 1024:000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9fa0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedfe0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9fa0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedfe0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9fa0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedfe0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9fa0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedfe0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff
GET /page.html -> 200 Accept-Ranges=bytes;Content-Length=8;Content-Type=text/html; charset=utf-8;Last-Modified=Sun, 09 Sep 2001 01:46:40 GMT 8:3c703e783c2f703e
GET /noext -> 200 Accept-Ranges=bytes;Content-Length=11;Content-Type=text/plain; charset=utf-8;Last-Modified=Sun, 09 Sep 2001 01:46:40 GMT 11:706c61696e20776f726473
GET /d.json -> 200 Accept-Ranges=bytes;Content-Length=7;Content-Type=application/json;Last-Modified=Sun, 09 Sep 2001 01:46:40 GMT 7:7b2261223a317d
GET /s.css -> 200 Accept-Ranges=bytes;Content-Length=6;Content-Type=text/css; charset=utf-8;Last-Modified=Sun, 09 Sep 2001 01:46:40 GMT 6:626f64797b7d
GET /empty.txt -> 200 Accept-Ranges=bytes;Content-Length=0;Content-Type=text/plain; charset=utf-8;Last-Modified=Sun, 09 Sep 2001 01:46:40 GMT 0:
GET /empty.txt -> 200 Accept-Ranges=bytes;Content-Length=0;Content-Type=text/plain; charset=utf-8;Last-Modified=Sun, 09 Sep 2001 01:46:40 GMT 0:
GET /a.bin -> 206 Accept-Ranges=bytes;Content-Length=10;Content-Range=bytes 0-9/1024;Content-Type=application/octet-stream;Last-Modified=Sun, 09 Sep 2001 01:46:40 GMT 10:00010203040506070809
GET /a.bin -> 206 Accept-Ranges=bytes;Content-Length=24;Content-Range=bytes 1000-1023/1024;Content-Type=application/octet-stream;Last-Modified=Sun, 09 Sep 2001 01:46:40 GMT 24:e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff
GET /a.bin -> 206 Accept-Ranges=bytes;Content-Length=24;Content-Range=bytes 1000-1023/1024;Content-Type=application/octet-stream;Last-Modified=Sun, 09 Sep 2001 01:46:40 GMT 24:e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff
GET /a.bin -> 206 Accept-Ranges=bytes;Content-Length=4;Content-Range=bytes 1020-1023/1024;Content-Type=application/octet-stream;Last-Modified=Sun, 09 Sep 2001 01:46:40 GMT 4:fcfdfeff
GET /a.bin -> 206 Accept-Ranges=bytes;Content-Length=351;Last-Modified=Sun, 09 Sep 2001 01:46:40 GMT 15:3c6d756c746970617274203335313e
GET /a.bin -> 416 Content-Range=bytes */1024;Content-Type=text/plain; charset=utf-8;X-Content-Type-Options=nosniff 33:696e76616c69642072616e67653a206661696c656420746f206f7665726c61700a
GET /a.bin -> 416 Content-Type=text/plain; charset=utf-8;X-Content-Type-Options=nosniff 14:696e76616c69642072616e67650a
GET /a.bin -> 416 Content-Type=text/plain; charset=utf-8;X-Content-Type-Options=nosniff 14:696e76616c69642072616e67650a
GET /a.bin -> 200 Accept-Ranges=bytes;Content-Length=1024;Content-Type=application/octet-stream;Last-Modified=Sun, 09 Sep 2001 01:46:40 GMT 1024:000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9fa0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedfe0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9fa0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedfe0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9fa0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedfe0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9fa0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedfe0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff
GET /a.bin -> 206 Accept-Ranges=bytes;Content-Length=1024;Content-Range=bytes 0-1023/1024;Content-Type=application/octet-stream;Last-Modified=Sun, 09 Sep 2001 01:46:40 GMT 1024:000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9fa0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedfe0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9fa0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedfe0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9fa0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedfe0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9fa0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedfe0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff
GET /a.bin -> 206 Accept-Ranges=bytes;Content-Length=2;Content-Range=bytes 1-2/1024;Content-Type=application/octet-stream;Last-Modified=Sun, 09 Sep 2001 01:46:40 GMT 2:0102
GET /a.bin -> 206 Accept-Ranges=bytes;Content-Length=2;Content-Range=bytes 1-2/1024;Content-Type=application/octet-stream;Last-Modified=Sun, 09 Sep 2001 01:46:40 GMT 2:0102
GET /a.bin -> 206 Accept-Ranges=bytes;Content-Length=0;Content-Range=bytes 1024-1023/1024;Content-Type=application/octet-stream;Last-Modified=Sun, 09 Sep 2001 01:46:40 GMT 0:
GET /a.bin -> 200 Accept-Ranges=bytes;Content-Length=1024;Content-Type=application/octet-stream;Last-Modified=Sun, 09 Sep 2001 01:46:40 GMT 1024:000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9fa0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedfe0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9fa0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedfe0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9fa0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedfe0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9fa0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedfe0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff
HEAD /a.bin -> 206 Accept-Ranges=bytes;Content-Length=10;Content-Range=bytes 0-9/1024;Content-Type=application/octet-stream;Last-Modified=Sun, 09 Sep 2001 01:46:40 GMT 0:
GET /hello.txt -> 304 Last-Modified=Sun, 09 Sep 2001 01:46:40 GMT 0:
GET /hello.txt -> 200 Accept-Ranges=bytes;Content-Length=13;Content-Type=text/plain; charset=utf-8;Last-Modified=Sun, 09 Sep 2001 01:46:40 GMT 13:68656c6c6f2c20776f726c640a
GET /hello.txt -> 200 Accept-Ranges=bytes;Content-Length=13;Content-Type=text/plain; charset=utf-8;Last-Modified=Sun, 09 Sep 2001 01:46:40 GMT 13:68656c6c6f2c20776f726c640a
POST /hello.txt -> 200 Accept-Ranges=bytes;Content-Length=13;Content-Type=text/plain; charset=utf-8;Last-Modified=Sun, 09 Sep 2001 01:46:40 GMT 13:68656c6c6f2c20776f726c640a
GET /hello.txt -> 412 Last-Modified=Sun, 09 Sep 2001 01:46:40 GMT 0:
GET /hello.txt -> 200 Accept-Ranges=bytes;Content-Length=13;Content-Type=text/plain; charset=utf-8;Last-Modified=Sun, 09 Sep 2001 01:46:40 GMT 13:68656c6c6f2c20776f726c640a
GET /hello.txt -> 304 Last-Modified=Sun, 09 Sep 2001 01:46:40 GMT 0:
POST /hello.txt -> 412 Last-Modified=Sun, 09 Sep 2001 01:46:40 GMT 0:
GET /hello.txt -> 200 Accept-Ranges=bytes;Content-Length=13;Content-Type=text/plain; charset=utf-8;Last-Modified=Sun, 09 Sep 2001 01:46:40 GMT 13:68656c6c6f2c20776f726c640a
GET /hello.txt -> 412 Last-Modified=Sun, 09 Sep 2001 01:46:40 GMT 0:
GET /a.bin -> 206 Accept-Ranges=bytes;Content-Length=2;Content-Range=bytes 0-1/1024;Content-Type=application/octet-stream;Last-Modified=Sun, 09 Sep 2001 01:46:40 GMT 2:0001
GET /a.bin -> 200 Accept-Ranges=bytes;Content-Length=1024;Content-Type=application/octet-stream;Last-Modified=Sun, 09 Sep 2001 01:46:40 GMT 1024:000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9fa0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedfe0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9fa0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedfe0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9fa0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedfe0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9fa0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedfe0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff
GET /a.bin -> 200 Accept-Ranges=bytes;Content-Length=1024;Content-Type=application/octet-stream;Last-Modified=Sun, 09 Sep 2001 01:46:40 GMT 1024:000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9fa0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedfe0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9fa0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedfe0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9fa0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedfe0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9fa0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedfe0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff
GET /sub -> 301 Location=sub/ 0:
GET /sub/ -> 200 Accept-Ranges=bytes;Content-Length=10;Content-Type=text/html; charset=utf-8;Last-Modified=Sun, 09 Sep 2001 01:46:40 GMT 10:3c68313e693c2f68313e
GET /sub/index.html -> 301 Location=./ 0:
GET /sub/index.html/ -> 301 Location=../index.html 0:
GET /hello.txt/ -> 301 Location=../hello.txt 0:
GET /list/ -> 200 Content-Type=text/html; charset=utf-8;Last-Modified=Sun, 09 Sep 2001 01:46:40 GMT 183:3c21646f63747970652068746d6c3e0a3c6d657461206e616d653d2276696577706f72742220636f6e74656e743d2277696474683d6465766963652d7769647468223e0a3c7072653e0a3c6120687265663d222e2f613a636f6c6f6e223e613a636f6c6f6e3c2f613e0a3c6120687265663d2262253343262533452e747874223e62266c743b26616d703b2667743b2e7478743c2f613e0a3c6120687265663d226469722f223e6469722f3c2f613e0a3c2f7072653e0a
GET /list -> 301 Location=list/ 0:
GET /noindex/ -> 200 Content-Type=text/html; charset=utf-8;Last-Modified=Sun, 09 Sep 2001 01:46:40 GMT 81:3c21646f63747970652068746d6c3e0a3c6d657461206e616d653d2276696577706f72742220636f6e74656e743d2277696474683d6465766963652d7769647468223e0a3c7072653e0a3c2f7072653e0a
GET /noindex/ -> 304  0:
GET /nope -> 404 Content-Type=text/plain; charset=utf-8;X-Content-Type-Options=nosniff 19:3430342070616765206e6f7420666f756e640a
GET /hello.txt/x -> 404 Content-Type=text/plain; charset=utf-8;X-Content-Type-Options=nosniff 19:3430342070616765206e6f7420666f756e640a
GET / -> 200 Content-Type=text/html; charset=utf-8;Last-Modified=Sun, 09 Sep 2001 01:46:40 GMT 371:3c21646f63747970652068746d6c3e0a3c6d657461206e616d653d2276696577706f72742220636f6e74656e743d2277696474683d6465766963652d7769647468223e0a3c7072653e0a3c6120687265663d22612e62696e223e612e62696e3c2f613e0a3c6120687265663d22642e6a736f6e223e642e6a736f6e3c2f613e0a3c6120687265663d22656d7074792e747874223e656d7074792e7478743c2f613e0a3c6120687265663d2268656c6c6f2e747874223e68656c6c6f2e7478743c2f613e0a3c6120687265663d226c6973742f223e6c6973742f3c2f613e0a3c6120687265663d226e6f657874223e6e6f6578743c2f613e0a3c6120687265663d226e6f696e6465782f223e6e6f696e6465782f3c2f613e0a3c6120687265663d22706167652e68746d6c223e706167652e68746d6c3c2f613e0a3c6120687265663d22732e637373223e732e6373733c2f613e0a3c6120687265663d227375622f223e7375622f3c2f613e0a3c2f7072653e0a
GET /../hello.txt -> 200 Accept-Ranges=bytes;Content-Length=13;Content-Type=text/plain; charset=utf-8;Last-Modified=Sun, 09 Sep 2001 01:46:40 GMT 13:68656c6c6f2c20776f726c640a
GET /sub/../hello.txt -> 200 Accept-Ranges=bytes;Content-Length=13;Content-Type=text/plain; charset=utf-8;Last-Modified=Sun, 09 Sep 2001 01:46:40 GMT 13:68656c6c6f2c20776f726c640a
GET /./hello.txt -> 200 Accept-Ranges=bytes;Content-Length=13;Content-Type=text/plain; charset=utf-8;Last-Modified=Sun, 09 Sep 2001 01:46:40 GMT 13:68656c6c6f2c20776f726c640a
GET //hello.txt -> 200 Accept-Ranges=bytes;Content-Length=13;Content-Type=text/plain; charset=utf-8;Last-Modified=Sun, 09 Sep 2001 01:46:40 GMT 13:68656c6c6f2c20776f726c640a
GET hello.txt -> 200 Accept-Ranges=bytes;Content-Length=13;Content-Type=text/plain; charset=utf-8;Last-Modified=Sun, 09 Sep 2001 01:46:40 GMT 13:68656c6c6f2c20776f726c640a
GET /a%2fb -> 404 Content-Type=text/plain; charset=utf-8;X-Content-Type-Options=nosniff 19:3430342070616765206e6f7420666f756e640a
"""


def make_tree(root) -> None:
    (root / "sub").mkdir()
    (root / "list" / "dir").mkdir(parents=True)
    (root / "noindex").mkdir()
    (root / "a.bin").write_bytes(bytes(range(256)) * 4)
    (root / "hello.txt").write_bytes(b"hello, world\n")
    (root / "page.html").write_bytes(b"<p>x</p>")
    (root / "noext").write_bytes(b"plain words")
    (root / "sub" / "index.html").write_bytes(b"<h1>i</h1>")
    (root / "list" / "b<&>.txt").write_bytes(b"b")
    (root / "list" / "a:colon").write_bytes(b"a")
    (root / "d.json").write_bytes(b'{"a":1}')
    (root / "s.css").write_bytes(b"body{}")
    (root / "empty.txt").write_bytes(b"")
    for dirpath, dirnames, filenames in os.walk(root):
        for n in dirnames + filenames:
            os.utime(os.path.join(dirpath, n), (1_000_000_000, 1_000_000_000))
    os.utime(root, (1_000_000_000, 1_000_000_000))


def run(root) -> list[str]:
    h = file_server(Dir(root))
    out = []
    for line in REQUESTS.splitlines():
        f = line.split("|")
        r = httptest.new_request(f[0], "/")
        r.url.path = f[1]
        for kv in f[2:]:
            k, _, v = kv.partition(": ")
            r.header.set(k, v)
        w = httptest.new_recorder()
        h(w, r)
        hdr = w.snapshot if w.snapshot is not None else w.header_map
        multipart = hdr.get("Content-Type").startswith("multipart/")
        keys = sorted(k for k in hdr._m if k != "Date" and not (k == "Content-Type" and multipart))
        hs = ";".join(k + "=" + ",".join(hdr._m[k]) for k in keys)
        body = bytes(w.body)
        if multipart:
            body = f"<multipart {len(body)}>".encode()
        out.append(f"{f[0]} {f[1]} -> {w.code} {hs} {len(body)}:{body.hex()}")
    return out


def test_file_server_answers_as_go_does(tmp_path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    make_tree(root)
    got = run(root)
    want = GO_OUTPUT.splitlines()
    assert len(got) == len(want)
    for g, w in zip(got, want, strict=True):
        assert g == w
