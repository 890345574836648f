# Cython declarations for _servemux.py (compiled when gonet is built with its accelerator).
#
# ServeMux is an extension type holding its routing tree as a typed RoutingNode, so routing a
# request is C calls from ServeMux.__call__ down the tree. The request's strings stay `object`
# (a typed str would refuse a str subclass).
cimport cython

from gonet.http._pattern cimport Pattern, Segment
from gonet.http._request cimport Request
from gonet.http._routing_tree cimport RoutingNode
from gonet.net.url cimport URL

cdef frozenset _PATH_KEEP
cdef dict _hosts
cdef Py_ssize_t _HOSTS_MAX

cpdef object _escaped_path(object u)
cpdef object _strip_host_port(object h)
cpdef object _strip_host_port_cached(object h)
# Only called with an exact str (the caller checks), so the path's methods are C calls.
@cython.locals(segs=list)
cpdef list _plain_segments(str p)
@cython.locals(pat=Pattern, segs=list, last=Segment)
cpdef bint _exact_match(RoutingNode n, object path) except -1

cdef class ServeMux:
    cdef public RoutingNode _tree
    cdef public object _index
    cdef public object _lock
    cdef public list _patterns

    @cython.locals(matches=list, n=RoutingNode, n2=RoutingNode)
    cpdef tuple _match_or_redirect(self, object host, object method, object path, object u)
    @cython.locals(n=RoutingNode, matches=list)
    cpdef tuple _find_handler(self, object r)
    @cython.locals(u=URL, matches=list, n=RoutingNode, pat=Pattern)
    cpdef _route(self, object w, Request r)
    @cython.locals(out=set)
    cpdef list _matching_methods(self, object host, object path)
