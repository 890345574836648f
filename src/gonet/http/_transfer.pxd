# Cython declarations for _transfer.py (compiled when gonet is built with its accelerator).
#
# The body is a C struct: the server builds one per request that has a body, and a handler's
# read() is then a C method call without a Python frame.

cdef class body:
    cdef public object _src
    cdef public object _buf
    cdef public bint done
    cdef public bint closed
    cdef public object trailer
    cdef public object req
    cdef public object _on_first_read
    cdef public Py_ssize_t _n
    cdef public Py_ssize_t _clen

    cpdef _feed(self, object data)
    cdef bytearray _mutable(self)
    cdef bytes _take(self)
    cdef bint _need(self) except -1
    cdef _first_read(self)
    cpdef bytes read(self, Py_ssize_t n=*)
    cpdef Py_ssize_t readinto(self, object b) except -1
    cpdef close(self)
    cpdef Py_ssize_t unread(self)
    cpdef bint discard(self, Py_ssize_t limit) except -1
