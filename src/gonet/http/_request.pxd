# Cython declarations for _request.py (compiled when gonet is built with its accelerator).
#
# Request is a C struct: the HTTP server fills one per request field by field (C member
# stores, where a Python object with __slots__ costs an attribute lookup and a descriptor call
# per field), and the server and handlers read its fields the same way.

cdef class Request:
    cdef public object method
    cdef public object url
    cdef public object proto
    cdef public object proto_major
    cdef public object proto_minor
    cdef public object header
    cdef public object body
    cdef public object content_length
    cdef public object transfer_encoding
    cdef public object close
    cdef public object host
    cdef public object remote_addr
    cdef public object request_uri
    cdef public object tls
    cdef public object trailer
    cdef public object pattern
    cdef public object get_body
    cdef public object response
    cdef public object form
    cdef public object post_form
    cdef public object _ctx
    cdef public object _path_values
