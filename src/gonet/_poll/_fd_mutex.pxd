# Cython declarations for _fd_mutex.py (compiled when gonet is built with its accelerator).
from gonet.runtime._proc cimport Scheduler, G

cdef class FdMutex:
    cdef public bint closing
    cdef public long refs
    cdef public bint rlocked
    cdef public bint wlocked
    cdef public object rwait
    cdef public object wwait
    cdef public object closer
    cdef public bint destroyed
    cdef public Scheduler sched

    cpdef incref(self)
    cpdef decref(self)
    cpdef yield_point(self)
    cpdef adopt(self)
    cpdef lock_slow(self, bint read)
    cpdef bint _holds_after_handoff(self, G g)
    cpdef unlock_slow(self, bint read)
    cpdef bint begin_close(self)
    cpdef wait_destroyed(self)
    cpdef _destroy_and_notify(self)
    cpdef destroy(self)
