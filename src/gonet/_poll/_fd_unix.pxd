# Cython declarations for _fd_unix.py (compiled when gonet is built with its accelerator).
from gonet._poll._fd_mutex cimport FdMutex
from gonet.runtime._netpoll cimport PollDesc

cdef class FD(FdMutex):
    cdef public object sock
    cdef public int sysfd
    cdef public PollDesc pd
    cdef public bint stream
    cdef public object _recv_into
    cdef public object _recv
    cdef public object _send
    cdef public object on_destroy
    cdef object __weakref__

    cpdef init(self, object info=*)
    cpdef adopt(self)
    cpdef int fileno(self)
    cpdef close(self)
    cpdef destroy(self)
    cpdef wait_read_ready(self)
    cpdef object read(self, object buf)
    cpdef object recv(self, object size)
    cpdef object write(self, object data)
