# Cython declarations for _pattern.py (compiled when gonet is built with its accelerator).
#
# Pattern and Segment are C structs: the routing tree and ServeMux read a matched pattern's
# fields (str, names, its last segment) directly. The strings stay `object` (a typed str would
# refuse a str subclass registered as a pattern).

cdef class Segment:
    cdef public object s
    cdef public bint wild
    cdef public bint multi

cdef class Pattern:
    cdef public object str
    cdef public object method
    cdef public object host
    cdef public list segments
    cdef public object loc
    cdef public tuple names

    cpdef Segment last_segment(self)
