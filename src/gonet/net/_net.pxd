# Cython declarations for _net.py (compiled when gonet is built with its accelerator).
from gonet._poll._fd_unix cimport FD

cdef class Conn:
    cdef public FD _fd
    cdef public object _net
    cdef public object _laddr
    cdef public object _raddr
    cdef public object _raw_raddr
    cdef public object _addr_of
    cdef object __weakref__

cdef class Listener:
    cdef public FD _fd
    cdef public object _net
    cdef public object _laddr
    cdef public object _addr_of
    cdef object __weakref__
