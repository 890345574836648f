# Cython declarations for url.py (compiled when gonet is built with its accelerator).
#
# URL is a C struct: the HTTP server makes one per request, and its fields are then set and
# read as C struct members instead of through attribute lookups.

cdef class URL:
    cdef public object scheme
    cdef public object opaque
    cdef public object user
    cdef public object host
    cdef public object path
    cdef public object raw_path
    cdef public object raw_query
    cdef public object fragment
