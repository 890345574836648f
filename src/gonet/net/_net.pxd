# Cython declarations for _net.py (compiled when gonet is built with its accelerator).
from gonet._poll._fd_unix cimport FD

cdef class SocketConn:
    cdef public FD _fd
    cdef public object _net
    cdef public object _laddr
    cdef public object _raddr
    cdef public object _raw_raddr
    cdef public object _addr_of
    cdef object __weakref__

cdef class SocketListener:
    cdef public FD _fd
    cdef public object _net
    cdef public object _laddr
    cdef public object _addr_of
    cdef object __weakref__
