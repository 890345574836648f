# Cython declarations for _proc.py (compiled when gonet is built with its accelerator).
cimport cython

from gonet.runtime._netpoll cimport PollDesc, netpollready
from gonet.runtime._time cimport TimerHeap

cdef class G:
    cdef public long id
    cdef public object glet
    cdef public Scheduler sched
    cdef public object fn
    cdef public object args
    cdef public object kwargs
    cdef public object status
    cdef public object waitreason
    cdef public double waitsince
    cdef public object waitobj
    cdef public object wakeval
    cdef public object wakeexc
    cdef public long parent_id
    cdef public object created_by
    cdef public long created_lasti
    cdef public object ctx
    cdef object __weakref__

cdef class Scheduler:
    cdef public long thread_ident
    cdef public object runq
    cdef public TimerHeap timers
    cdef public object poller
    cdef public dict pds
    cdef public long io_waiters
    cdef public long external
    cdef public list inbox
    cdef public object inbox_lock
    cdef public bint wake_pending
    cdef public list gfree
    cdef public dict gs
    cdef public long ticks
    cdef public object clock
    cdef public double now
    cdef public G main
    cdef public G cur
    cdef public object hub
    cdef public bint closed
    cdef public G runnext
    cdef public long runnext_streak
    cdef public object shuffle
    cdef public object autojump
    cdef public bint preempt
    cdef public bint sleeping
    cdef public long gfree_low
    cdef public double gfree_trim_at
    cdef public long n_created
    cdef public long n_peak
    cdef public long n_parks
    cdef public long n_polls
    cdef public long n_events
    cdef public long n_wakeups
    cdef public long n_deadlocks
    cdef public dict _parks_by
    cdef object __weakref__

    cpdef G go(self, object fn, tuple args, dict kwargs)
    cpdef G spawn(self, object fn, tuple args, dict kwargs, object creator, long lasti)
    cpdef bint _goexit(self, G g)
    cpdef object park(self, object reason, object waitobj=*)
    cpdef G running(self)
    cpdef ready(self, G g, object value=*)
    cpdef ready_exc(self, G g, object exc)
    cpdef interrupt(self, G g, object exc)
    cpdef gosched(self)
    cpdef preempt_yield(self)
    cpdef _wake_sleeping_hub(self)
    cpdef _trim_gfree(self, double now)
    cpdef _switch_away(self)
    cpdef _drain_inbox(self)
    cpdef _hub_loop(self)
    cpdef _netpoll(self, double timeout)
