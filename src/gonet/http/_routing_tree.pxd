# Cython declarations for _routing_tree.py (compiled when gonet is built with its accelerator).
#
# A RoutingNode is a C struct: matching a request walks the tree with C calls, typed dict gets
# and typed child pointers. RoutingIndex (registration only) stays a Python class. The request's
# strings (host, method, path) stay `object`: a typed str would refuse a str subclass.
cimport cython

from gonet.http._pattern cimport Pattern, Segment

cdef class RoutingNode:
    cdef public Pattern pattern
    cdef public object handler
    cdef public dict children
    cdef public RoutingNode wild
    cdef public RoutingNode multi

    @cython.locals(n=RoutingNode, seg=Segment)
    cpdef add_pattern(self, Pattern p, object handler)
    @cython.locals(c=RoutingNode)
    cpdef RoutingNode _child(self, str key)
    @cython.locals(h=RoutingNode, w=RoutingNode, n=RoutingNode)
    cpdef RoutingNode match(self, object host, object method, list segs, object raw, list matches)
    @cython.locals(c=RoutingNode, n=RoutingNode)
    cpdef RoutingNode _match_method_and_path(self, object method, list segs, object raw, list matches)
    @cython.locals(c=RoutingNode, n=RoutingNode, seg=str, p=Pattern, last=Segment)
    cpdef RoutingNode match_path(self, list segs, Py_ssize_t i, list matches, object raw)
    @cython.locals(h=RoutingNode)
    cpdef matching_methods(self, object host, list segs, object raw, set out)
    @cython.locals(c=RoutingNode)
    cpdef _matching_methods_path(self, list segs, object raw, set out)

@cython.locals(raw=list)
cpdef list split_path(object path)
@cython.locals(pos=Py_ssize_t)
cpdef object _rest(object raw, Py_ssize_t i)
