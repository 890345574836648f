# Cython declarations for _time.py (compiled when gonet is built with its accelerator).
cdef class Timer:
    cdef public double when
    cdef public object fn
    cdef public object arg
    cdef public long gen
    cdef public bint pending
    cdef public TimerHeap heap
    cpdef bint reset(self, double when)
    cpdef bint stop(self)

cdef class TimerHeap:
    cdef public list _heap
    cdef public object _seq
    cdef public long active
    cdef public long fired
    cpdef Timer new(self, object fn, object arg=*)
    cpdef bint reset(self, Timer t, double when)
    cpdef bint stop(self, Timer t)
    cpdef _compact(self)
    cpdef object next_when(self)
    cpdef long fire(self, double now) except? -1
