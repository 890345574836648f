# Cython declarations for _server.py (compiled when gonet is built with its accelerator).
#
# The cpdef declarations make the per-request calls between these functions C calls.

cimport cython

from gonet._poll._fd_unix cimport FD
from gonet.http._header cimport Header
from gonet.http._request cimport Request
from gonet.net.url cimport URL

cpdef bytes _status_line(long code, bint is11)
cdef bytes _HTTP11
cdef bint _PURE
cdef dict _good_values

@cython.locals(i=Py_ssize_t, k=Py_ssize_t, end=Py_ssize_t, c=int)
cdef bint _head_is_v11(bytearray rbuf, Py_ssize_t n) except -1
cpdef bytes _date()
cpdef bytes _simple_head(long code, dict m)
cpdef bytes _content_length_line(Py_ssize_t n)
cpdef bint _has_token(object v, object token)
cpdef bint _body_allowed_for_status(long code)
cpdef _write_field(bytearray out, object k, object v)
cpdef _write_header(bytearray out, dict m, object excl)

# Declared ahead: conn keeps its _ParserSlot typed, and _ParserSlot calls conn methods as C calls.
cdef class _ParserSlot

cdef class conn:
    cdef public object srv
    cdef public object rwc
    cdef public object remote_addr
    cdef public object parser
    cdef public list queue
    cdef public bint hijacked
    cdef public bint werr
    cdef public bytearray _rbuf
    cdef public object _rview
    cdef public bint rerr
    cdef public list _partial
    cdef public object _bg
    cdef public bint _bg_abort
    cdef public int state
    cdef public double born
    cdef public bytes _url
    cdef public dict _hdrs
    cdef public Py_ssize_t _hsize
    cdef public bint _bad_value
    cdef public bint _in_head
    cdef public Py_ssize_t _head_n
    cdef public object _pbody
    cdef public bytes _unparsed
    cdef public bint _dead
    cdef public bint _eof
    cdef public object _rd
    cdef public object _ctx
    cdef public object _cancel
    cdef public object _req_cancel
    cdef public object _tls
    cdef public FD _idle_fd
    cdef public FD _fd
    cdef public bint _v11
    cdef public bint _v11_next
    cdef public _ParserSlot _slot
    cdef public object _parsers

    cpdef on_message_begin(self)
    cpdef on_url(self, object url)
    cpdef on_header(self, object name, object value)
    cpdef on_headers_complete(self)
    cpdef on_body(self, object data)
    cpdef on_message_complete(self)
    cpdef _take_parser(self)
    cpdef _give_parser_back(self)
    @cython.locals(r=_ServerRequest, u=URL, h=Header)
    cpdef _new_request(self)
    cpdef _feed(self, object data)
    @cython.locals(n=Py_ssize_t, rbuf=bytearray)
    cpdef bint _fill(self)
    cpdef _set_read_deadline(self, object t)
    cpdef _next_request(self, Py_ssize_t served)
    cpdef bint _go_idle(self, object idle, bint timed)
    cpdef _enter_idle(self, object idle, bint timed)
    cpdef write(self, object data)
    @cython.locals(w=response)
    cpdef bint _serve_request(self, object handler, Request r)
    cpdef _end_request(self)

cdef class response:
    cdef public conn _c
    cdef public Request _req
    cdef public Header _h
    cdef public long status
    cdef public bint wrote_header
    cdef public bytearray _buf
    cdef public Py_ssize_t written
    cdef public Py_ssize_t _clen
    cdef public bint _chunking
    cdef public bint _head_sent
    cdef public bint handler_done
    cdef public bint close_after
    cdef public bint _wants_close
    cdef public bint _wants10_keep_alive
    cdef public bint _is11
    cdef public object _trailers
    cdef public object _out

    @cython.locals(h=Header)
    cdef _setup(self, conn c, Request req)
    cpdef write_header(self, object code)
    cpdef write(self, object data)
    cpdef _send_body(self, object data)
    cpdef _send_head(self, bint final)
    cpdef bint _send_simple(self)
    cpdef _finish(self)
    cpdef bint should_reuse_connection(self)

cdef class _ServerRequest(Request):
    cdef public object _conn

cdef class _ParserSlot:
    cdef public conn c
    cdef public object parser
