# ServeMux against Go 1.27's net/http ServeMux: the same registrations and requests, and the
# answers Go gave (status, Location, Allow, body with r.pattern and the path values; the
# registration errors without their "registered at" locations). GO_OUTPUT was produced by a Go
# program doing exactly what run_script() below does, with net/http/httptest.
from __future__ import annotations

import re

from gonet.http import ServeMux, httptest

SCRIPT = """\
P GET /hello/{name}
P /static/
P POST /items/{id}
P GET /items/{id}/
P /a/b/z
P /a/{x}/c
P /files/{rest...}
P ex.org/
P ex.org/{$}
P GET /{$}
P DELETE /items/{id}
P GET /hello/{x}
P /a/{
P GET /a//b
P GET /b/{x}/{x}
P /{x}/b
P /a/{y}
P /a/{x}/d
P HEAD /head/{x}
P GET /head/{y}
P /x/{a}/{b...}
P /x/{b}/y
P GET /m/
P /m/{x}
P OPTIONS /
P /c/{$}
P /c/
P /c/{x...}
P GET  /sp
P G@T /z
P host.com
P /{bad-name}
P /{9x}
P /{}
P /{...}
P /{a...}/b
P /{$}/b
P /q{x}
P ho{st/p
R GET /hello/bob
R HEAD /hello/x
R GET /static
R GET /static/a/b
R GET /a/../hello/z
R GET /items/3
R PUT /items/3
R GET /items/3/
R GET /nope
R GET /hello/a%20b
R GET /a/b/c
R GET /a/b/z
R GET /a/q/c
R GET /files/x/y%2Fz
R GET /files
R GET / ex.org
R GET /zz ex.org
R GET /
R POST /
R GET //static/x
R GET /static/./x?q=1
R GET /items/4?x=y
R GET /m
R GET /m/
R GET /m/q
R POST /m
R GET /c
R GET /c/
R GET /c/d
R HEAD /head/1
R GET /head/1
R POST /head/1
R GET /x/1/y
R GET /x/1/2/3
R GET /hello/b%2Fc
R GET /hello/
R GET / ex.org:8080
R GET /a%2Fb
R GET /zz ex.org:80
R GET /files/a/../b
R CONNECT /static
R GET /hello/b%2Fc/
R GET /items/%41
"""

GO_OUTPUT = """\
REG "GET /hello/{x}" ERR pattern "GET /hello/{x}"  conflicts with pattern "GET /hello/{name}" :|GET /hello/{x} matches the same requests as GET /hello/{name}
REG "/a/{" ERR parsing "/a/{": at offset 3: bad wildcard segment (must end with '}')
REG "GET /a//b" ERR parsing "GET /a//b": at offset 4: non-CONNECT pattern with unclean path can never match
REG "GET /b/{x}/{x}" ERR parsing "GET /b/{x}/{x}": at offset 11: duplicate wildcard name "x"
REG "/{x}/b" ERR pattern "/{x}/b"  conflicts with pattern "/static/" :|/{x}/b and /static/ both match some paths, like "/static/b".|But neither is more specific than the other.|/{x}/b matches "/x/b", but /static/ doesn't.|/static/ matches "/static/", but /{x}/b doesn't.
REG "/m/{x}" ERR pattern "/m/{x}"  conflicts with pattern "GET /m/" :|/m/{x} matches more methods than GET /m/, but has a more specific path pattern
REG "OPTIONS /" ERR pattern "OPTIONS /"  conflicts with pattern "/static/" :|OPTIONS / matches fewer methods than /static/, but has a more general path pattern
REG "/c/{x...}" ERR pattern "/c/{x...}"  conflicts with pattern "/c/" :|/c/{x...} matches the same requests as /c/
REG "G@T /z" ERR parsing "G@T /z": at offset 0: invalid method "G@T"
REG "host.com" ERR parsing "host.com": at offset 0: host/path missing /
REG "/{bad-name}" ERR parsing "/{bad-name}": at offset 1: bad wildcard name "bad-name"
REG "/{9x}" ERR parsing "/{9x}": at offset 1: bad wildcard name "9x"
REG "/{}" ERR parsing "/{}": at offset 1: empty wildcard
REG "/{...}" ERR parsing "/{...}": at offset 1: empty wildcard
REG "/{a...}/b" ERR parsing "/{a...}/b": at offset 1: {...} wildcard not at end
REG "/{$}/b" ERR parsing "/{$}/b": at offset 1: {$} not at end
REG "/q{x}" ERR parsing "/q{x}": at offset 1: bad wildcard segment (must start with '{')
REG "ho{st/p" ERR parsing "ho{st/p": at offset 2: host contains '{' (missing initial '/'?)
GET /hello/bob -> 200 loc="" allow="" body="pat=GET /hello/{name} name=bob"
HEAD /hello/x -> 200 loc="" allow="" body="pat=GET /hello/{name} name=x"
GET /static -> 307 loc="/static/" allow="" body="<a href="/static/">Temporary Redirect</a>."
GET /static/a/b -> 200 loc="" allow="" body="pat=/static/"
GET /a/../hello/z -> 307 loc="/hello/z" allow="" body="<a href="/hello/z">Temporary Redirect</a>."
GET /items/3 -> 307 loc="/items/3/" allow="" body="<a href="/items/3/">Temporary Redirect</a>."
PUT /items/3 -> 405 loc="" allow="DELETE, GET, HEAD, POST" body="Method Not Allowed"
GET /items/3/ -> 200 loc="" allow="" body="pat=GET /items/{id}/ id=3"
GET /nope -> 404 loc="" allow="" body="404 page not found"
GET /hello/a%20b -> 200 loc="" allow="" body="pat=GET /hello/{name} name=a b"
GET /a/b/c -> 200 loc="" allow="" body="pat=/a/{x}/c x=b"
GET /a/b/z -> 200 loc="" allow="" body="pat=/a/b/z"
GET /a/q/c -> 200 loc="" allow="" body="pat=/a/{x}/c x=q"
GET /files/x/y%2Fz -> 200 loc="" allow="" body="pat=/files/{rest...} rest=x/y/z"
GET /files -> 307 loc="/files/" allow="" body="<a href="/files/">Temporary Redirect</a>."
GET / -> 200 loc="" allow="" body="pat=ex.org/{$}"
GET /zz -> 200 loc="" allow="" body="pat=ex.org/"
GET / -> 200 loc="" allow="" body="pat=GET /{$}"
POST / -> 405 loc="" allow="GET, HEAD" body="Method Not Allowed"
GET //static/x -> 307 loc="/static/x" allow="" body="<a href="/static/x">Temporary Redirect</a>."
GET /static/./x?q=1 -> 307 loc="/static/x?q=1" allow="" body="<a href="/static/x?q=1">Temporary Redirect</a>."
GET /items/4?x=y -> 307 loc="/items/4/?x=y" allow="" body="<a href="/items/4/?x=y">Temporary Redirect</a>."
GET /m -> 307 loc="/m/" allow="" body="<a href="/m/">Temporary Redirect</a>."
GET /m/ -> 200 loc="" allow="" body="pat=GET /m/"
GET /m/q -> 200 loc="" allow="" body="pat=GET /m/"
POST /m -> 405 loc="" allow="GET, HEAD" body="Method Not Allowed"
GET /c -> 307 loc="/c/" allow="" body="<a href="/c/">Temporary Redirect</a>."
GET /c/ -> 200 loc="" allow="" body="pat=/c/{$}"
GET /c/d -> 200 loc="" allow="" body="pat=/c/"
HEAD /head/1 -> 200 loc="" allow="" body="pat=HEAD /head/{x} x=1"
GET /head/1 -> 200 loc="" allow="" body="pat=GET /head/{y} y=1"
POST /head/1 -> 405 loc="" allow="GET, HEAD" body="Method Not Allowed"
GET /x/1/y -> 200 loc="" allow="" body="pat=/x/{b}/y b=1"
GET /x/1/2/3 -> 200 loc="" allow="" body="pat=/x/{a}/{b...} a=1 b=2/3"
GET /hello/b%2Fc -> 200 loc="" allow="" body="pat=GET /hello/{name} name=b/c"
GET /hello/ -> 404 loc="" allow="" body="404 page not found"
GET / -> 200 loc="" allow="" body="pat=ex.org/{$}"
GET /a%2Fb -> 404 loc="" allow="" body="404 page not found"
GET /zz -> 200 loc="" allow="" body="pat=ex.org/"
GET /files/a/../b -> 307 loc="/files/b" allow="" body="<a href="/files/b">Temporary Redirect</a>."
CONNECT /static -> 307 loc="/static/" allow="" body=""
GET /hello/b%2Fc/ -> 404 loc="" allow="" body="404 page not found"
GET /items/%41 -> 307 loc="/items/%41/" allow="" body="<a href="/items/%41/">Temporary Redirect</a>."
"""

NAMES = ["a", "b", "x", "y", "rest", "name", "id"]


def _handler(w, r):
    s = f"pat={r.pattern}"
    for n in NAMES:
        v = r.path_value(n)
        if v:
            s += f" {n}={v}"
    w.write(s.encode())


def run_script(script: str) -> list[str]:
    mux = ServeMux()
    out = []
    for line in script.splitlines():
        if line.startswith("P "):
            pat = line[2:]
            try:
                mux.handle_func(pat, _handler)
            except ValueError as e:
                msg = re.sub(r"\(registered at [^)]*\)", "", str(e)).replace("\n", "|")
                out.append(f'REG "{pat}" ERR {msg}')
        elif line.startswith("R "):
            f = line[2:].split(" ", 2)
            req = httptest.new_request(f[0], f[1])
            if len(f) > 2:
                req.host = f[2]
            rec = httptest.new_recorder()
            mux(rec, req)
            h = rec.header_map
            body = bytes(rec.body).decode().strip()
            out.append(
                f'{f[0]} {f[1]} -> {rec.code} loc="{h.get("Location")}" allow="{h.get("Allow")}" body="{body}"'
            )
    return out


def test_mux_answers_as_go_does() -> None:
    got = run_script(SCRIPT)
    want = GO_OUTPUT.splitlines()
    assert len(got) == len(want)
    for g, w in zip(got, want, strict=False):
        assert g == w
