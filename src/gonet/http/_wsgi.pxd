# Cython declarations for _wsgi.py (compiled when gonet is built with its accelerator).
#
# The adapter's per-request objects (_Response, _Input) are C structs, the calls between the
# handler's steps are C calls, and the caches are typed dicts (their get() is a C call).
cimport cython

from gonet.http._request cimport Request
from gonet.http._server cimport response

cdef dict _header_keys
cdef dict _status_codes
cdef dict _plain_lengths
cdef dict _cgi_keys
cdef dict _hosts

cdef class _Input:
    cdef object _body
    cdef bytearray _buf
    cdef bint _eof

    cdef bint _fill(self, Py_ssize_t want) except -1

cdef class _Response:
    cdef public object w
    cdef public object status
    cdef public list headers
    cdef public long code
    cdef public bint sent
    cdef public Py_ssize_t length
    cdef public bint plain_length
    cdef public bint body_ok

    @cython.locals(key=str, got=object, length=Py_ssize_t, lengths=Py_ssize_t, plain=bint)
    cdef _check_headers(self, object headers)
    @cython.locals(key=str, m=dict, vs=object, rw=response)
    cpdef send_headers(self, bint skip_length=*)

cdef class WSGIHandler:
    cdef public object app
    cdef public str script_name
    cdef public bint multiprocess
    cdef public object error_log
    cdef public object errors
    cdef public dict _base

    @cython.locals(env=dict, m=dict, key=str, vs=list, n=Py_ssize_t)
    cpdef dict environ(self, Request r)
    @cython.locals(total=Py_ssize_t, rw=response)
    cdef bint _send_blocks(self, _Response resp, object blocks, Request r) except -1
    cdef _send(self, _Response resp, object result, bint head)
    cdef bint _sendfile(self, _Response resp, object fw, bint head) except -1
    cdef _fail(self, _Response resp, object r)

cpdef str _header_key(str name)
cpdef long _status_code(str status) except -1
cpdef Py_ssize_t _parse_length(str value) except? -1
cpdef str _cgi_key(str k)
@cython.locals(cache=dict, got=tuple)
cpdef tuple _split_host_cached(str hostport, str default_port)
cpdef bint _body_allowed(long code)
