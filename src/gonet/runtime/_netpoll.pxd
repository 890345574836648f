# Cython declarations for _netpoll.py (compiled when gonet is built with its accelerator).
cimport cython

# Declared before the cimport of _proc, whose .pxd cimports it back (the two modules share types).
@cython.locals(pd=PollDesc, g=G, ev=long, woken=long)
cpdef long netpollready(dict pds, list events, object runq, dict specials) except? -1

from gonet.runtime._proc cimport G, Scheduler
from gonet.runtime._time cimport Timer

cdef class PollDesc:
    cdef public int fd
    cdef public Scheduler sched
    cdef public bint closing
    cdef public bint everr
    cdef public bint rready
    cdef public bint wready
    cdef public bint trust
    cdef public G rg
    cdef public G wg
    cdef public double rd
    cdef public double wd
    cdef public Timer rt
    cdef public Timer wt
    cdef public object info

    cpdef close(self)
    cpdef adopt(self, Scheduler sched)
    cpdef Scheduler _adopt_current(self)
    cpdef evict(self)
    cpdef wait_read(self)
    cpdef wait_write(self)
    cpdef _unblock_read(self)
    cpdef _unblock_write(self)
    cpdef set_deadline(self, object when, bint read, bint write)
