# Cython declarations for _header.py (compiled when gonet is built with its accelerator).
#
# Header is an extension type whose map is a C field: the server makes two per request with
# Header.__new__ and sets or reads that field directly; canonical_header_key is a C call with a
# typed cache (its get() is a C call).

cdef frozenset _TOKEN_STR
cdef dict _canon_cache
cdef Py_ssize_t _CANON_CACHE_MAX

cpdef bint valid_header_field_name(object name) except -1
cpdef object canonical_header_key(object key)

cdef class Header:
    cdef public dict _m
